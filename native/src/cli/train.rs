//! `seqrisk train`: fit a model on a data file and write its artifact, metrics and ROC plot.

use crate::data::{read_merchant_vectors, read_schema, read_sessions};
use crate::files::write_atomic;
use crate::flags::as_flags;
use crate::settings::{Settings, parse_model};
use crate::train::{Backend, SplitMode, TrainOptions, TrainOutcome, read_teacher_probs, train};
use crate::{plot, report};
use anyhow::{Context, Result, bail};
use clap::Args;
use seqrisk_core::calibration::CalibrationMethod;
use seqrisk_core::encode::MerchantVectors;
use seqrisk_core::models::ModelSpec;
use seqrisk_core::schema::{Limits, Schema, Session};
use seqrisk_core::synth::SynthConfig;
use seqrisk_core::synth::credit::CreditConfig;

use crate::cli::generate::generate_into;
use crate::scenario::ScenarioArgs;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

#[derive(Args, Clone)]
pub(crate) struct FitArgs {
    /// Model to train: nhfm, difm, huihen, lbsf, an ablation (nhfm-alpha, nhfm-beta, difm-alpha,
    /// difm-beta, difm-same, huihen-no-pretrain, huihen-no-time-gate, huihen-gru, huihen-shared-fan) or a baseline
    /// (lr, dnn, wide-deep, nfm, deepfm, afm, xdeepfm, lstm4fd, gbdt, flat-transformer).
    #[arg(long, default_value = "nhfm", value_parser = parse_model)]
    pub(crate) model: ModelSpec,
    /// Maximum epochs.
    #[arg(long, default_value_t = TrainOptions::default().epochs)]
    pub(crate) epochs: usize,
    /// Early-stopping patience in epochs.
    #[arg(long, default_value_t = TrainOptions::default().patience)]
    pub(crate) patience: usize,
    #[command(flatten)]
    pub(crate) settings: Settings,
    /// Settings file (TOML) as `seqrisk tune` writes it (`<model>-tuned.toml`): its values
    /// replace the defaults; a flag given here replaces the file's.
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// Seed of split, shuffling and initialisation.
    #[arg(long, default_value_t = TrainOptions::default().seed)]
    pub(crate) train_seed: u64,
    /// Training backend.
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    pub(crate) backend: Backend,
    /// Split: `random` (stratified, seeded) or `time` (most recent sessions for test).
    #[arg(long, value_enum, default_value_t = SplitMode::Random)]
    pub(crate) split: SplitMode,
    /// HUIHEN: weight α of the teacher's symmetric KL term in pretraining, Eq. (16).
    #[arg(long, default_value_t = TrainOptions::default().teacher_alpha)]
    pub(crate) teacher_alpha: f64,
    /// Go on from the last epoch an earlier, interrupted run of the same data, model and
    /// settings finished (`<out>/checkpoints/<model>-progress.bin`), ending as an uninterrupted
    /// run would; HUIHEN also reuses its finished pretraining step.
    #[arg(long)]
    pub(crate) resume: bool,
    /// How the artifact turns the model's score into a probability, fitted on the validation
    /// split: `auto` (Platt scaling or isotonic regression, whichever has the lower
    /// cross-fitted validation log-loss), `platt`, `isotonic`, or `none` (the model's sigmoid).
    #[arg(long, default_value = "auto", value_parser = CalibrationMethod::from_str)]
    pub(crate) calibration: CalibrationMethod,
    /// Hide the progress bar.
    #[arg(long)]
    pub(crate) quiet: bool,
}

#[derive(Args)]
pub(crate) struct TrainArgs {
    /// Training data (`.jsonl`, `.csv` or `.parquet`), labelled; default: the model's synthetic
    /// data (the credit scenario for HUIHEN, the payments scenario for LBSF, the fraud scenario
    /// otherwise), generated into
    /// `<out>/data/`.
    #[arg(long)]
    pub(crate) data: Option<PathBuf>,
    /// HUIHEN: older, profile-only labelled sessions (read with the same schema) to pretrain
    /// the UPI layer on under a GBDT teacher (§4).
    #[arg(long)]
    pub(crate) pretrain_data: Option<PathBuf>,
    /// HUIHEN: the teacher's probabilities for the pretraining sessions from a model trained
    /// elsewhere (XGBoost, LightGBM), as CSV with columns `id` and `probability`; instead of
    /// growing a GBDT teacher here.
    #[arg(long)]
    pub(crate) teacher_probs: Option<PathBuf>,
    /// LBSF: pretrained merchant vectors from the team's own text model, keyed by merchant
    /// name: `.safetensors` (one 1-D tensor per merchant, named by it) or `.csv` (merchant, then
    /// the vector's columns). They are kept fixed; LBSF learns their projection.
    #[arg(long)]
    pub(crate) merchant_vectors: Option<PathBuf>,
    /// Schema file (TOML or JSON); default: the synthetic data's schema.
    #[arg(long)]
    pub(crate) schema: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) fit: FitArgs,
    /// Output folder for the artifact, metrics, ROC plot and checkpoints.
    #[arg(long, short, default_value = "seqrisk-out")]
    pub(crate) out: PathBuf,
}

pub(crate) fn run(a: &TrainArgs) -> Result<()> {
    let (data, schema, old) = match &a.data {
        Some(data) => {
            let schema = read_schema(a.schema.as_deref())?;
            let old = match &a.pretrain_data {
                Some(p) => {
                    let loaded = read_sessions(p, &schema, &Limits::default())?;
                    eprintln!(
                        "read {} pretraining sessions from {}",
                        loaded.sessions.len(),
                        p.display()
                    );
                    Some(Arc::new(loaded.sessions))
                }
                None => None,
            };
            (data.clone(), schema, old)
        }
        None => {
            if a.schema.is_some() || a.pretrain_data.is_some() {
                bail!("--schema and --pretrain-data describe --data; give --data too");
            }
            let defaults = ScenarioArgs {
                scenario: None,
                sessions: None,
                old_sessions: CreditConfig::default().old_users,
                fraud_rate: SynthConfig::default().fraud_rate,
                seed: SynthConfig::default().seed,
            };
            let g = generate_into(&defaults, &a.out.join("data"), a.fit.model)?;
            (g.data, g.schema, g.old)
        }
    };
    let teacher_probs = match &a.teacher_probs {
        Some(p) if a.pretrain_data.is_some() => {
            let bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
            Some(Arc::new(read_teacher_probs(
                &bytes,
                &p.display().to_string(),
            )?))
        }
        Some(_) => bail!("--teacher-probs are for the --pretrain-data sessions; give those too"),
        None => None,
    };
    let vectors = match &a.merchant_vectors {
        Some(p) => Some(Arc::new(read_merchant_vectors(p)?)),
        None => None,
    };
    fit(
        &data,
        &schema,
        &a.fit,
        (old, teacher_probs),
        vectors,
        &a.out,
    )
    .map(|_| ())
}

/// HUIHEN's older population and, optionally, its teacher's probabilities by session id.
pub(crate) type Pretraining = (Option<Arc<Vec<Session>>>, Option<Arc<HashMap<String, f64>>>);

pub(crate) fn fit(
    data: &Path,
    schema: &Schema,
    f: &FitArgs,
    (old_sessions, teacher_probs): Pretraining,
    merchant_vectors: Option<Arc<MerchantVectors>>,
    out: &Path,
) -> Result<TrainOutcome> {
    // the flags' values first (a settings file's are checked as it is read)
    f.settings.validate().map_err(|e| as_flags(e, &[]))?;
    let settings = match &f.config {
        Some(path) => f.settings.or(&Settings::read(path)?),
        None => f.settings.clone(),
    };
    let loaded = read_sessions(data, schema, &Limits::default())?;
    eprintln!(
        "read {} sessions from {}",
        loaded.sessions.len(),
        data.display()
    );
    let mut opts = TrainOptions {
        model: f.model,
        epochs: f.epochs,
        patience: f.patience,
        seed: f.train_seed,
        backend: f.backend,
        split: f.split,
        progress: !f.quiet,
        checkpoint_dir: Some(out.join("checkpoints")),
        old_sessions,
        teacher_alpha: f.teacher_alpha,
        teacher_probs,
        resume: f.resume,
        merchant_vectors,
        calibration: f.calibration,
        ..Default::default()
    };
    let mut schema = schema.clone();
    let settings = settings.resolve(f.model, &schema);
    settings.apply(&mut opts, &mut schema)?;
    eprintln!("settings: {}", settings.summary());
    let outcome = train(&loaded.sessions, &schema, &opts, &loaded.fingerprint)?;
    write_outcome(&outcome, f.model.name(), out)?;
    Ok(outcome)
}

/// A training run's files in `out` — the artifact, the ROC plot, the metrics as JSON and
/// Markdown — and its summary on standard output.
fn write_outcome(outcome: &TrainOutcome, name: &str, out: &Path) -> Result<()> {
    let artifact_path = out.join(format!("{name}.seqrisk"));
    write_atomic(&artifact_path, &outcome.artifact.to_bytes()?)?;
    let roc_path = out.join(format!("{name}-roc.png"));
    plot::roc_png(
        &roc_path,
        &format!(
            "{name} ROC on the test split (AUC {:.4})",
            outcome.metrics.auc
        ),
        &[(name.to_string(), outcome.artifact.header.test_roc.clone())],
    )?;
    let table = report::metrics_table(name, &outcome.metrics);
    let planted = format!(
        "{}\n{}",
        report::planted_line(&outcome.planted, "true-positive test sessions (FPR 1%)"),
        report::planted_line(
            &outcome.planted_top_decile,
            "positive test sessions in the top 10% of scores"
        )
    );
    let mut baselines = report::baseline_table(
        name,
        &outcome.metrics,
        outcome.single_feature.as_ref(),
        outcome.gbdt.as_ref(),
    );
    if let Some(cp) = &outcome.card_precision {
        baselines.push_str(&format!("\n{}\n", report::card_precision_line(name, cp)));
    }
    let calibration = outcome.artifact.header.calibration.as_ref();
    let calibration_text = calibration.map_or_else(
        || "Scores are the model's own (no calibration).\n".to_string(),
        report::calibration_lines,
    );
    if let Some(c) = calibration {
        let path = out.join(format!("{name}-reliability.png"));
        plot::reliability_png(
            &path,
            &format!("{name} reliability on the test split"),
            &[
                ("uncalibrated".to_string(), c.test_raw.bins.clone()),
                (
                    c.calibrator.method().name().to_string(),
                    c.test_calibrated.bins.clone(),
                ),
            ],
        )?;
    }
    let json = serde_json::json!({
        "model": name,
        "test": outcome.metrics,
        "calibration": calibration,
        "best_single_feature": outcome.single_feature,
        "gbdt_on_aggregates": outcome.gbdt,
        "card_precision_at_100": outcome.card_precision,
        "planted_top3": outcome.planted,
        "planted_top3_top_decile": outcome.planted_top_decile,
        "epochs": outcome.history,
    });
    write_atomic(
        &out.join(format!("{name}-metrics.json")),
        serde_json::to_string_pretty(&json)?.as_bytes(),
    )?;
    write_atomic(
        &out.join(format!("{name}-metrics.md")),
        format!("{table}\n{planted}\n\n{baselines}\n{calibration_text}").as_bytes(),
    )?;
    println!(
        "\nTest metrics\n\n{table}\n{planted}\n\nBaseline\n\n{baselines}\nCalibration\n\n{calibration_text}"
    );
    println!("artifact:  {}", artifact_path.display());
    println!("ROC curve: {}", roc_path.display());
    if calibration.is_some() {
        println!(
            "reliability: {}",
            out.join(format!("{name}-reliability.png")).display()
        );
    }
    println!(
        "metrics:   {}",
        out.join(format!("{name}-metrics.json")).display()
    );
    Ok(())
}
