//! One module per benchmark command, each with its clap `Args` and a `run` that converts the
//! flags into the library's options and calls it; `main.rs` only dispatches.

use anyhow::{Context, Result};
use clap::Subcommand;
use seqrisk_bench::quality as quality_report;
use seqrisk_native::files::write_md_json;
use seqrisk_native::plot;

use std::path::Path;

mod cluster;
mod latency;
mod model_scaling;
mod models;
mod quality;
mod scaling;
mod teacher;

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Single-session latency (p50/p99) and batched throughput of an artifact on the native CPU
    /// backend, from JSON text to score; the wasm side is tests/js/bench.mjs (scripts/bench-wasm.sh).
    Latency(latency::LatencyArgs),
    /// Train models over several seeds on one data set and report test AUC, pAUC (FPR ≤ 1%),
    /// KS and Recall@10% as mean ± 95% CI, as Markdown, JSON and an overlaid ROC plot.
    Quality(quality::QualityArgs),
    /// HUIHEN's Table 6 on profile-only data: an MLP (the UPI layer) with and without a GBDT
    /// teacher (Eq. 16), over several seeds.
    Teacher(teacher::TeacherArgs),
    /// What folding buys in cost: time and peak memory of a batch as a user's payment history
    /// grows, LBSF next to the flat Transformer over the whole history.
    Scaling(scaling::ScalingArgs),
    /// HDBSCAN at scale on planted blobs: seqrisk from exact and from inverted-file neighbour
    /// lists, next to scikit-learn's HDBSCAN and fast_hdbscan when `--python` has them
    /// (scripts/bench-cluster.sh sets one up).
    Cluster(cluster::ClusterBenchArgs),
    /// Training and inference speed of NHFM and DIFM at several batch sizes, next to PyTorch
    /// CPU eager on the same sessions and weights when `--python` has it (after a parity check
    /// of the outputs; scripts/bench-models.sh sets one up).
    Models(models::ModelBenchArgs),
    /// How NHFM's and DIFM's training time, inference time and memory grow with the sequence
    /// length and with the batch size, as tables and plots.
    ModelScaling(model_scaling::ModelScalingArgs),
}

pub(crate) fn run(command: &Command) -> Result<()> {
    match command {
        Command::Latency(a) => latency::run(a),
        Command::Quality(a) => quality::run(a),
        Command::Teacher(a) => teacher::run(a),
        Command::Scaling(a) => scaling::run(a),
        Command::Cluster(a) => cluster::run(a),
        Command::Models(a) => models::run(a),
        Command::ModelScaling(a) => model_scaling::run(a),
    }
}

/// A comma-separated list of counts given to `flag`, each a number of `what`.
pub(crate) fn counts(list: &str, flag: &str, what: &str) -> Result<Vec<usize>> {
    list.split(',')
        .map(|l| {
            l.trim()
                .parse::<usize>()
                .with_context(|| format!("{flag}: `{l}` is not a number of {what}"))
        })
        .collect()
}

/// Write a report as `<out>/<kind>-<dataset>.{md,json}` and its overlaid ROC curves as
/// `<out>/<kind>-<dataset>-roc.png`.
pub(crate) fn save_report(
    report: &quality_report::QualityReport,
    out: &Path,
    kind: &str,
) -> Result<()> {
    let base = out.join(format!("{kind}-{}", report.dataset));
    write_md_json(&base, &quality_report::markdown(report), report)?;
    plot::roc_png(
        &out.join(format!("{kind}-{}-roc.png", report.dataset)),
        &format!(
            "ROC on {} (test split, seed {})",
            report.dataset,
            report.seeds.first().copied().unwrap_or_default()
        ),
        &report.rocs(),
    )
}
