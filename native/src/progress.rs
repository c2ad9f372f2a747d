//! The progress bars of the long commands (training, clustering, benchmarks): one style, and
//! hidden (drawing nothing) unless the command shows progress. They draw on the terminal
//! (standard error), or wherever [`set_draw_target`] says: a host that is not a terminal, such
//! as the Python package in a notebook, shows the same bars.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::RwLock;

/// Makes the draw target of each visible bar.
pub type DrawTarget = Box<dyn Fn() -> ProgressDrawTarget + Send + Sync>;

static DRAW_TARGET: RwLock<Option<DrawTarget>> = RwLock::new(None);

/// Draw the visible bars made from now on with `target` (`None`: on the terminal again).
pub fn set_draw_target(target: Option<DrawTarget>) {
    // a writer that panicked left a target or none: either is a valid one to replace
    let mut slot = DRAW_TARGET
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    *slot = target;
}

/// A bar of `len` steps drawn with `template` (indicatif's; `{prefix}` is `prefix`), or a
/// hidden one when `visible` is false.
pub fn bar(len: usize, prefix: &str, template: &str, visible: bool) -> Result<ProgressBar> {
    let target = DRAW_TARGET
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .as_ref()
        .map(|make| make());
    let bar = match (visible, target) {
        (false, _) => ProgressBar::hidden(),
        (true, Some(target)) => ProgressBar::with_draw_target(Some(len as u64), target),
        (true, None) => ProgressBar::new(len as u64),
    };
    bar.set_style(
        ProgressStyle::with_template(template)
            .context("progress template")?
            .progress_chars("=> "),
    );
    bar.set_prefix(prefix.to_string());
    Ok(bar)
}
