//! `seqrisk-bench models`: NHFM's and DIFM's speed next to PyTorch.

use anyhow::Result;
use clap::Args;
use seqrisk_bench::models::{self as model_bench, ModelBenchOptions};
use seqrisk_core::models::ModelSpec;

use super::counts;
use seqrisk_native::files::write_md_json;
use seqrisk_native::settings::parse_model;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct ModelBenchArgs {
    /// Models to time.
    #[arg(long, default_value = "nhfm,difm", value_delimiter = ',', value_parser = parse_model)]
    pub(crate) models: Vec<ModelSpec>,
    /// Batch sizes, comma-separated.
    #[arg(long, default_value = "1,64,1024")]
    pub(crate) batches: String,
    /// Synthetic sessions generated (read cyclically by every run).
    #[arg(long, default_value_t = 4096)]
    pub(crate) sessions: usize,
    /// Events per session (the schema's `max_events`, `T`).
    #[arg(long, default_value_t = 20)]
    pub(crate) events: usize,
    /// Sessions trained per timed training run.
    #[arg(long, default_value_t = 4096)]
    pub(crate) train_sessions: usize,
    /// Sessions scored per timed inference run.
    #[arg(long, default_value_t = 4096)]
    pub(crate) infer_sessions: usize,
    /// Fewest timed steps or calls per run.
    #[arg(long, default_value_t = 10)]
    pub(crate) min_steps: usize,
    /// A Python with PyTorch and safetensors, to run the reference (bench/reference/models.py).
    #[arg(long)]
    pub(crate) python: Option<PathBuf>,
    /// Seed of the sessions and the initial weights.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Rounds of timings, seqrisk's and PyTorch's alternating; medians are reported.
    #[arg(long, default_value_t = 3)]
    pub(crate) rounds: usize,
    /// Folder for `models.{md,json}`.
    #[arg(long, default_value = "seqrisk-out/bench")]
    pub(crate) out: PathBuf,
}

pub(crate) fn run(a: &ModelBenchArgs) -> Result<()> {
    let opts = ModelBenchOptions {
        models: a.models.clone(),
        sessions: a.sessions,
        events: a.events,
        batches: counts(&a.batches, "--batches", "sessions")?,
        train_sessions: a.train_sessions,
        infer_sessions: a.infer_sessions,
        min_steps: a.min_steps.max(1),
        python: a.python.clone(),
        work_dir: a.out.join("model-exchange"),
        seed: a.seed,
        rounds: a.rounds,
    };
    let report = model_bench::model_bench(&opts)?;
    let md = model_bench::markdown(&report);
    let base = a.out.join("models");
    write_md_json(&base, &md, &report)?;
    print!("{md}");
    eprintln!("wrote {}.{{md,json}}", base.display());
    Ok(())
}
