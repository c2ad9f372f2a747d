//! `seqrisk inspect`: an artifact's model card.

use crate::report;
use anyhow::{Context, Result};
use clap::Args;
use seqrisk_core::artifact::Artifact;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct InspectArgs {
    /// The artifact file.
    artifact: PathBuf,
    /// Print the card as JSON (what the JS `Scorer.card` holds) instead of text.
    #[arg(long)]
    json: bool,
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
        print!("{}", report::wide_card(&artifact, 8)?);
    }
    Ok(())
}
