//! `seqrisk eval`: an artifact's metrics on labelled data.

use anyhow::{Context, Result};
use clap::Args;
use seqrisk_core::metrics::{Metrics, roc_curve};
use seqrisk_core::schema::Limits;
use seqrisk_core::scorer::Scorer;
use seqrisk_native::data::{load_artifact, read_sessions};
use seqrisk_native::report;

use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct EvalArgs {
    /// The artifact.
    #[arg(long)]
    pub(crate) artifact: PathBuf,
    /// Labelled data (`.jsonl` or `.csv`), read with the artifact's schema.
    #[arg(long)]
    pub(crate) data: PathBuf,
}

pub(crate) fn run(a: &EvalArgs) -> Result<()> {
    let artifact = load_artifact(&a.artifact)?;
    let scorer = Scorer::from_artifact(&artifact, burn::prelude::Device::flex())?;
    let model = artifact.header.model_config()?.spec().to_string();
    let loaded = read_sessions(&a.data, &scorer.encoder.schema, &Limits::default())?;
    let labels: Vec<bool> = loaded
        .sessions
        .iter()
        .map(|s| s.label.context(format!("session `{}` has no label", s.id)))
        .collect::<Result<_>>()?;
    let scores: Vec<f64> = scorer
        .score(&loaded.sessions)?
        .into_iter()
        .map(|s| s.score)
        .collect();
    let m = Metrics::compute(&scores, &labels);
    print!("{}", report::metrics_table(&model, &m));
    if roc_curve(&scores, &labels).is_none() {
        eprintln!("note: the data needs positive and negative sessions for AUC, KS and pAUC");
    }
    Ok(())
}
