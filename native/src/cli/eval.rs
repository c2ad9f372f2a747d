//! `seqrisk eval`: an artifact's metrics on labelled data.

use crate::data::{load_artifact, read_sessions};
use crate::html_report::{self, ReportHeading};
use crate::report;
use anyhow::{Context, Result, bail};
use clap::Args;
use seqrisk_core::metrics::{CalibrationMetrics, Evaluation, Metrics, roc_curve};
use seqrisk_core::schema::Limits;
use seqrisk_core::scorer::Scorer;

use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct EvalArgs {
    /// The artifact.
    #[arg(long)]
    pub(crate) artifact: PathBuf,
    /// Labelled data (`.jsonl` or `.csv`), read with the artifact's schema.
    #[arg(long)]
    pub(crate) data: PathBuf,
    /// Also write a self-contained HTML report (no script, no request): ROC and
    /// precision-recall curves, reliability diagram, score histograms by class, gains and lift,
    /// the card's thresholds on these sessions, and metrics per segment with `--segment`.
    #[arg(long)]
    pub(crate) report: Option<PathBuf>,
    /// A profile categorical field whose values split the report into segments (its ten most
    /// common values, the others, missing).
    #[arg(long, requires = "report")]
    pub(crate) segment: Option<String>,
    /// Also write the metrics as JSON: `model`, `sessions`, `metrics` (as `train` writes them)
    /// and `calibration` (`uncalibrated` and, with a calibrator, `calibrated` Brier and ECE).
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
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
    match &scorer.calibrator {
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
    if let Some(path) = &a.json {
        let calibrated = scorer
            .calibrator
            .as_ref()
            .map(|_| calibration(&scored.iter().map(|s| s.score).collect::<Vec<_>>()));
        let json = serde_json::json!({
            "model": model,
            "sessions": labels.len(),
            "metrics": m,
            "calibration": { "uncalibrated": before, "calibrated": calibrated },
        });
        crate::files::write_atomic(path, serde_json::to_string_pretty(&json)?.as_bytes())?;
    }
    let scores = raw;
    if let Some(path) = &a.report {
        let calibrated: Vec<f64> = scored.iter().map(|s| s.score).collect();
        let segment = match &a.segment {
            Some(name) => {
                let fields = &scorer.encoder.schema.profile.categorical;
                let Some(j) = fields.iter().position(|f| &f.name == name) else {
                    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
                    bail!(
                        "--segment {name}: not a categorical profile field of the artifact's schema (it has {})",
                        if names.is_empty() {
                            "none".into()
                        } else {
                            names.join(", ")
                        }
                    );
                };
                let values: Vec<Option<String>> = loaded
                    .sessions
                    .iter()
                    .map(|s| {
                        s.profile
                            .categorical
                            .get(j)
                            .cloned()
                            .flatten()
                            .map(|v| v.to_string())
                    })
                    .collect();
                Some((name.as_str(), values))
            }
            None => None,
        };
        let evaluation = Evaluation::compute(
            &scores,
            &calibrated,
            &labels,
            &scorer.policy_points,
            segment.as_ref().map(|(n, v)| (*n, v.as_slice())),
        );
        let heading = ReportHeading {
            model: &model,
            artifact: &a.artifact.display().to_string(),
            data: &a.data.display().to_string(),
            calibration: artifact
                .header
                .calibration
                .as_ref()
                .map(report::calibration_lines),
        };
        html_report::write(path, &heading, &evaluation)?;
        eprintln!("report: {}", path.display());
    }
    if roc_curve(&scores, &labels).is_none() {
        eprintln!("note: the data needs positive and negative sessions for AUC, KS and pAUC");
    }
    Ok(())
}
