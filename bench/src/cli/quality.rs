//! `seqrisk-bench quality`.

use anyhow::{Context, Result, bail};
use clap::Args;
use seqrisk_bench::quality::{self, QualityPlan};
use seqrisk_core::models::ModelSpec;
use seqrisk_core::models::Preset;
use seqrisk_core::schema::{Limits, Schema, Session};
use seqrisk_native::data::{read_schema, read_sessions};
use seqrisk_native::scenario::Generators;
use seqrisk_native::settings::Settings;
use seqrisk_native::train::{SplitMode, TrainOptions};

use super::save_report;
use seqrisk_native::scenario::ScenarioArgs;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args)]
pub(crate) struct QualityArgs {
    /// Labelled data (`.jsonl` or `.csv`); default: synthetic data generated with the options
    /// below.
    #[arg(long)]
    pub(crate) data: Option<PathBuf>,
    /// Schema of `--data` (TOML or JSON); default: the synthetic data's schema.
    #[arg(long)]
    pub(crate) schema: Option<PathBuf>,
    /// HUIHEN: older, profile-only labelled sessions to pretrain on (with `--data`; the
    /// synthetic credit scenario brings its own).
    #[arg(long)]
    pub(crate) pretrain_data: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) scenario_args: ScenarioArgs,
    /// Models, comma-separated, or `all`.
    #[arg(long, default_value = "all")]
    pub(crate) models: String,
    /// Seeds per model (seeds 1, 2, …).
    #[arg(long, default_value_t = 5)]
    pub(crate) seeds: u64,
    /// Maximum epochs of the neural models.
    #[arg(long, default_value_t = TrainOptions::default().epochs)]
    pub(crate) epochs: usize,
    /// Early-stopping patience in epochs.
    #[arg(long, default_value_t = TrainOptions::default().patience)]
    pub(crate) patience: usize,
    /// Split: `random` (stratified, re-drawn per seed) or `time` (most recent sessions for
    /// test, the same for every seed).
    #[arg(long, value_enum, default_value_t = SplitMode::Random)]
    pub(crate) split: SplitMode,
    /// Data set name in the report and file names; default: the data file's stem or `synthetic`.
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Output folder: `quality-<name>.{md,json}` and `quality-<name>-roc.png`.
    #[arg(long, short, default_value = "seqrisk-out/bench")]
    pub(crate) out: PathBuf,
    /// Keep the models an earlier, interrupted run of the same benchmark finished (read from
    /// `quality-<name>.json` in `--out`) and run only the rest.
    #[arg(long)]
    pub(crate) resume: bool,
    /// Keep only each session's last this many days of events (before its last event): the
    /// same users through a shorter history window, as LBSF's 45/90/180-day subsets; the data
    /// set's name gets a `-<days>d` suffix.
    #[arg(long)]
    pub(crate) window_days: Option<f64>,
    /// Settings file (TOML) as `seqrisk tune` writes it, applied to every model listed (its
    /// embedding size and dropout to those that have them: a GBDT row beside the tuned model
    /// shares its encodings and split).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// Defaults of what neither `--config` nor the schema sets: `realistic` (the default) or
    /// `paper` (each paper's exact settings, for the fidelity tables).
    #[arg(long)]
    pub(crate) preset: Option<Preset>,
    /// Hide the progress bar.
    #[arg(long)]
    pub(crate) quiet: bool,
}

pub(crate) fn run(a: &QualityArgs) -> Result<()> {
    let all = a.models.trim().eq_ignore_ascii_case("all");
    let mut models = model_list(&a.models)?;
    if a.seeds == 0 {
        bail!("--seeds must be at least 1");
    }
    let seeds: Vec<u64> = (1..=a.seeds).collect();
    let file = a.config.as_deref().map(Settings::read).transpose()?;
    let settings = Settings {
        preset: a.preset,
        ..Settings::default()
    }
    .or(&file.unwrap_or_default());
    let Data {
        schema,
        sessions,
        fingerprint,
        name: default_name,
        old,
    } = data(a)?;
    if all && schema.merchants.merchant.is_none() {
        // LBSF and its flat Transformer read payments with merchants
        models.retain(|m| m.payment_view().is_none());
        eprintln!(
            "`all` leaves out LBSF and the flat Transformer: the schema names no merchant field"
        );
    }
    if all && old.is_none() {
        // HUIHEN is made for sessionized credit data with an older population to pretrain on
        models.retain(|m| !m.needs_session_view());
        eprintln!("`all` leaves out the HUIHEN models: no pretraining data (--pretrain-data)");
    }
    let name = a.name.clone().unwrap_or(default_name);
    let template = TrainOptions {
        epochs: a.epochs,
        patience: a.patience,
        split: a.split,
        old_sessions: old,
        // the GBDT is a row of the benchmark of its own
        gbdt_baseline: false,
        ..Default::default()
    };
    eprintln!(
        "quality benchmark on {name}: {} sessions, {} models × {} seeds",
        sessions.len(),
        models.len(),
        seeds.len()
    );
    let base = a.out.join(format!("quality-{name}"));
    let roc = a.out.join(format!("quality-{name}-roc.png"));
    // written after every model, so a long run keeps what it has finished
    let json = base.with_extension("json");
    let resume = if a.resume { earlier(&json)? } else { None };
    let save = |report: &quality::QualityReport| save_report(report, &a.out, "quality");
    let report = quality::run(
        &QualityPlan {
            dataset: &name,
            sessions: &sessions,
            schema: &schema,
            fingerprint: &fingerprint,
            models: &models,
            seeds: &seeds,
            template: &template,
            settings: &settings,
            progress: !a.quiet,
            resume,
        },
        save,
    )?;
    println!("{}", quality::markdown(&report));
    eprintln!(
        "wrote {}.md, {}.json and {}",
        base.display(),
        base.display(),
        roc.display()
    );
    Ok(())
}

/// The benchmark's sessions with what goes with them.
struct Data {
    schema: Schema,
    sessions: Vec<Session>,
    fingerprint: String,
    /// The data set's default name: the file's stem or the scenario's.
    name: String,
    /// HUIHEN's older population to pretrain on, when there is one.
    old: Option<Arc<Vec<Session>>>,
}

/// `--data` (with `--pretrain-data`) read, or the scenario generated; with `--window-days`,
/// each session cut to its window (and the name and fingerprint saying so).
fn data(a: &QualityArgs) -> Result<Data> {
    let mut d = match &a.data {
        Some(path) => {
            let schema = read_schema(a.schema.as_deref())?;
            let loaded = read_sessions(path, &schema, &Limits::default())?;
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "data".into());
            let old = match &a.pretrain_data {
                Some(p) => Some(Arc::new(
                    read_sessions(p, &schema, &Limits::default())?.sessions,
                )),
                None => None,
            };
            Data {
                schema,
                sessions: loaded.sessions,
                fingerprint: loaded.fingerprint,
                name: stem,
                old,
            }
        }
        None => {
            let scenario = a.scenario_args.scenario.unwrap_or_default();
            let g = Generators {
                fraud: a.scenario_args.config()?,
                credit: a.scenario_args.credit(),
                payments: a.scenario_args.payments(),
                transactions: a.scenario_args.transactions(),
            };
            let data = scenario.generate(&g);
            Data {
                schema: scenario.schema(),
                sessions: data.sessions,
                fingerprint: data.fingerprint,
                name: scenario.stem().into(),
                old: data.old,
            }
        }
    };
    match a.window_days {
        Some(days) if !(days.is_finite() && days > 0.0) => {
            bail!("--window-days must be a positive number of days, got {days}")
        }
        Some(days) => {
            for s in &mut d.sessions {
                s.keep_window(days * 86_400.0);
            }
            d.fingerprint = format!("{}:window{days}d", d.fingerprint);
            d.name = format!("{}-{days}d", d.name);
        }
        None => {}
    }
    Ok(d)
}

/// `--models`: a comma-separated list, or `all` (the supervised models).
fn model_list(list: &str) -> Result<Vec<ModelSpec>> {
    if list.trim().eq_ignore_ascii_case("all") {
        return Ok(ModelSpec::ALL
            .into_iter()
            .filter(|m| m.supervised())
            .collect());
    }
    Ok(list
        .split(',')
        .map(|m| m.trim().parse::<ModelSpec>())
        .collect::<Result<_, _>>()?)
}

/// The report an interrupted run left at `json`, to resume.
fn earlier(json: &std::path::Path) -> Result<Option<quality::QualityReport>> {
    if !json.exists() {
        return Ok(None);
    }
    let text = std::fs::read(json).with_context(|| format!("reading {}", json.display()))?;
    let earlier: quality::QualityReport = serde_json::from_slice(&text)
        .with_context(|| format!("{} is not a quality report to resume", json.display()))?;
    eprintln!(
        "resuming {}: {} models done",
        json.display(),
        earlier.models.len()
    );
    Ok(Some(earlier))
}
