//! One module per command, each with its clap `Args` and a `run` that converts the flags into
//! the library's options and calls it; `main.rs` only dispatches.

pub(crate) mod bench;
pub(crate) mod cluster;
pub(crate) mod demo;
pub(crate) mod eval;
pub(crate) mod generate;
pub(crate) mod german;
pub(crate) mod inspect;
pub(crate) mod movielens;
pub(crate) mod score;
pub(crate) mod train;
pub(crate) mod tune;
pub(crate) mod web_demo;

use anyhow::Result;
use seqrisk_native::files::write_atomic;
use std::path::Path;

/// Write `<base>.md` and `<base>` as pretty JSON in `<base>.json`, each atomically.
pub(crate) fn write_md_json(base: &Path, md: &str, json: &impl serde::Serialize) -> Result<()> {
    write_atomic(&base.with_extension("md"), md.as_bytes())?;
    write_atomic(
        &base.with_extension("json"),
        serde_json::to_string_pretty(json)?.as_bytes(),
    )
}
