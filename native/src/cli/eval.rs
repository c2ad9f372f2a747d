//! `seqrisk eval`: an artifact's metrics on labelled data.

use anyhow::{Context, Result};
use clap::Args;
use seqrisk_core::metrics::{CalibrationMetrics, Metrics, roc_curve};
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
    let scored = scorer.score(&loaded.sessions)?;
    // rankings read the model's own score; an isotonic calibration's ties would blur them
    let raw: Vec<f64> = scored.iter().map(|s| s.raw_score).collect();
    let m = Metrics::compute(&raw, &labels);
    print!("{}", report::metrics_table(&model, &m));
    let calibration = |p: &[f64]| CalibrationMetrics::compute(p, &labels);
    let before = calibration(&raw);
    match scorer.calibrator {
        Some(c) => {
            let after = calibration(&scored.iter().map(|s| s.score).collect::<Vec<_>>());
            println!(
                "calibration ({}), uncalibrated → calibrated: Brier {:.4} → {:.4}, ECE {:.4} → {:.4}",
                c.method().name(),
                before.brier,
                after.brier,
                before.ece,
                after.ece
            );
        }
        None => println!(
            "calibration: none; Brier {:.4}, ECE {:.4}",
            before.brier, before.ece
        ),
    }
    let scores = raw;
    if roc_curve(&scores, &labels).is_none() {
        eprintln!("note: the data needs positive and negative sessions for AUC, KS and pAUC");
    }
    Ok(())
}
