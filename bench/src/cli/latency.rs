//! `seqrisk-bench latency`.

use anyhow::{Context, Result};
use clap::Args;
use seqrisk_bench::latency as bench;
use seqrisk_native::files::write_atomic;

use seqrisk_native::data::load_scorer;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct LatencyArgs {
    /// The artifact.
    #[arg(long)]
    pub(crate) artifact: PathBuf,
    /// Sessions, one JSON object per line.
    #[arg(long, short)]
    pub(crate) input: PathBuf,
    /// Single-session calls timed (after 100 warm-up calls).
    #[arg(long, default_value_t = 2000)]
    pub(crate) calls: usize,
    /// Sessions per batch for the throughput figure.
    #[arg(long, default_value_t = 256)]
    pub(crate) batch: usize,
    /// Batches timed.
    #[arg(long, default_value_t = 20)]
    pub(crate) batches: usize,
    /// JSON report; standard output when absent.
    #[arg(long, short)]
    pub(crate) output: Option<PathBuf>,
}

pub(crate) fn run(a: &LatencyArgs) -> Result<()> {
    let scorer = load_scorer(&a.artifact)?;
    let text = std::fs::read_to_string(&a.input)
        .with_context(|| format!("cannot read {}", a.input.display()))?;
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let report = bench::latency(&scorer, &lines, a.calls, a.batch, a.batches)
        .with_context(|| a.input.display().to_string())?;
    let json = serde_json::to_string_pretty(&report)?;
    match &a.output {
        Some(p) => write_atomic(p, json.as_bytes())?,
        None => println!("{json}"),
    }
    Ok(())
}
