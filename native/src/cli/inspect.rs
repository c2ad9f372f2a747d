//! `seqrisk inspect`: an artifact's model card.

use crate::data::read_sessions;
use crate::report;
use anyhow::{Context, Result};
use clap::Args;
use seqrisk_core::artifact::Artifact;
use seqrisk_core::schema::Limits;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct InspectArgs {
    /// The artifact file.
    artifact: PathBuf,
    /// Print the card as JSON (what the JS `Scorer.card` holds) instead of text.
    #[arg(long)]
    json: bool,
    /// Labelled sessions (`.jsonl`, `.csv` or `.parquet`, in the artifact's schema): for NHFM
    /// and DIFM, also print the wide part field by field as DIFM's Table 3 does — each field's
    /// four highest- and lowest-weighted values with how many of these sessions carry each and
    /// how many of those are positive.
    #[arg(long)]
    data: Option<PathBuf>,
}

pub(crate) fn run(a: &InspectArgs) -> Result<()> {
    let bytes = std::fs::read(&a.artifact)
        .with_context(|| format!("cannot read {}", a.artifact.display()))?;
    let artifact =
        Artifact::from_bytes(&bytes).with_context(|| format!("{}", a.artifact.display()))?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&artifact.header.card()?)?
        );
    } else {
        print!("{}", report::model_card(&artifact.header, bytes.len()));
        let loaded = a
            .data
            .as_deref()
            .map(|data| read_sessions(data, &artifact.header.encoder.schema, &Limits::default()))
            .transpose()?;
        let sessions = loaded.as_ref().map(|l| l.sessions.as_slice());
        print!("{}", report::wide_card(&artifact, 8, sessions)?);
    }
    Ok(())
}
