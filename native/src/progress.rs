//! The progress bars of the long commands (training, clustering, benchmarks): one style, and
//! hidden (drawing nothing) unless the command shows progress.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `len` steps drawn with `template` (indicatif's; `{prefix}` is `prefix`), or a
/// hidden one when `visible` is false.
pub fn bar(len: usize, prefix: &str, template: &str, visible: bool) -> Result<ProgressBar> {
    let bar = if visible {
        ProgressBar::new(len as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(template)
            .context("progress template")?
            .progress_chars("=> "),
    );
    bar.set_prefix(prefix.to_string());
    Ok(bar)
}
