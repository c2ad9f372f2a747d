//! The command-line reference pages (`docs/cli-reference.md` for `seqrisk`,
//! `docs/bench-reference.md` for `seqrisk-bench`): every command's `--help` text as it is, so
//! the docs cannot disagree with the binaries. A test of each binary renders its page and
//! compares it with the committed one (`SEQRISK_BLESS=1` rewrites it instead).

use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;

/// The reference page of `binary`: its `--help`, then each command's, as Markdown.
pub fn help_reference(binary: &Path, name: &str) -> Result<String> {
    let help = |args: &[&str]| -> Result<String> {
        let out = Command::new(binary)
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .with_context(|| format!("cannot run {}", binary.display()))?;
        if !out.status.success() {
            bail!(
                "{name} {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8(out.stdout)?)
    };
    let top = help(&["--help"])?;
    let commands: Vec<&str> = top
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    let mut page = format!(
        "# `{name}` reference\n\nEvery command's `--help`, generated from the binary (a test compares this page with it;\n`SEQRISK_BLESS=1 cargo test` rewrites it). The overview is [`cli.md`](cli.md).\n\n## `{name}`\n\n```text\n{top}```\n"
    );
    for c in commands {
        let text = help(&[c, "--help"])?;
        page.push_str(&format!("\n## `{name} {c}`\n\n```text\n{text}```\n"));
    }
    Ok(page)
}

/// Compare `page` with the committed file at `path`, or write it there when `SEQRISK_BLESS` is
/// set: the error says which command's text changed and how to refresh the page.
pub fn check_or_bless(page: &str, path: &Path) -> Result<()> {
    if std::env::var_os("SEQRISK_BLESS").is_some() {
        return crate::files::write_atomic(path, page.as_bytes());
    }
    let committed =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    if committed == page {
        return Ok(());
    }
    let section = |t: &str, line: &str| {
        t.lines()
            .take_while(|l| *l != line)
            .filter(|l| l.starts_with("## "))
            .last()
            .unwrap_or("the top")
            .to_string()
    };
    let first = committed
        .lines()
        .zip(page.lines())
        .find(|(a, b)| a != b)
        .map_or_else(|| "the end".to_string(), |(a, _)| section(&committed, a));
    bail!(
        "{} differs from the binaries' --help (first under {first}); refresh it with SEQRISK_BLESS=1 cargo test",
        path.display()
    )
}
