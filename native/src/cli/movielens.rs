//! `seqrisk movielens`: MovieLens-100K as labelled sessions and their schema.

use crate::files::write_atomic;
use crate::movielens;
use anyhow::{Result, bail};
use clap::Args;

use crate::cli::generate::write_sessions;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct MovielensArgs {
    /// Folder with GroupLens's u.data, u.item and u.user (scripts/fetch-movielens.sh fetches them).
    #[arg(long)]
    pub(crate) dir: PathBuf,
    /// Targets per user: each of a user's last N ratings becomes a session.
    #[arg(long, default_value_t = 20)]
    pub(crate) targets_per_user: usize,
    /// Output: `.jsonl`, `.csv` or `.parquet`; the schema goes next to it as `<stem>.schema.toml`.
    #[arg(long, short, default_value = "seqrisk-out/data/ml-100k.jsonl")]
    pub(crate) out: PathBuf,
}

pub(crate) fn run(a: &MovielensArgs) -> Result<()> {
    if a.targets_per_user == 0 {
        bail!("--targets-per-user must be at least 1");
    }
    let sessions = movielens::read(&a.dir, a.targets_per_user)?;
    let schema = movielens::schema();
    write_sessions(&a.out, &sessions, &schema)?;
    let schema_path = a.out.with_extension("schema.toml");
    write_atomic(&schema_path, movielens::SCHEMA_TOML.as_bytes())?;
    let positive = sessions.iter().filter(|s| s.label == Some(true)).count();
    eprintln!(
        "wrote {} sessions ({positive} with a rating of 4 or 5, {:.1}%) to {} and their schema to {}",
        sessions.len(),
        100.0 * positive as f64 / sessions.len().max(1) as f64,
        a.out.display(),
        schema_path.display()
    );
    Ok(())
}
