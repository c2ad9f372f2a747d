//! `seqrisk cluster`: FinDeepBehaviorCluster's unsupervised pipeline.

use crate::cluster::{ClusterOptions, pipeline};
use crate::data::{read_schema, read_sessions};
use crate::files::write_atomic;
use crate::flags::as_flags;
use crate::plot;
use crate::rules::RuleOptions;
use anyhow::{Context, Result};
use clap::Args;
use seqrisk_core::cluster::{ClusterSelection, NeighbourSearch};
use seqrisk_core::models::behavior_cluster::{NextEvent, Representation};
use seqrisk_core::schema::{Limits, Schema, Session};
use seqrisk_core::synth::{SynthConfig, generate};

use std::path::{Path, PathBuf};

/// HDBSCAN's cluster selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Selection {
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
pub(crate) enum RepresentationArg {
    /// The sequence embedding and the handcrafted features (§3.3).
    Hybrid,
    /// The sequence embedding alone.
    Embedding,
    /// The handcrafted features alone.
    Handcrafted,
}

/// `--next-event`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum NextEventArg {
    /// The page of every next event, by a decoder with the attention fed back (the paper's
    /// Eq. 3).
    EveryStep,
    /// The page of the last event, from the embedding alone.
    Last,
}

/// `--search`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum SearchArg {
    /// Every pairwise distance up to 20,000 sessions, the inverted file above.
    Auto,
    /// Every pairwise distance.
    Exact,
    /// An inverted file (pHDBSCAN).
    Ivf,
}

#[derive(Args)]
pub(crate) struct ClusterArgs {
    /// Sessions (`.jsonl`, `.csv` or `.parquet`); default: the synthetic fraud data
    /// (`--sessions` of them), whose planted patterns the report then breaks down.
    #[arg(long)]
    pub(crate) data: Option<PathBuf>,
    /// Schema of `--data`.
    #[arg(long)]
    pub(crate) schema: Option<PathBuf>,
    /// Synthetic sessions to generate when no `--data` is given (enough that every planted
    /// pattern is dense: about 60 card-testing sessions among the clustered ones).
    #[arg(long, default_value_t = 20_000)]
    pub(crate) sessions: usize,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = SynthConfig::default().seed)]
    pub(crate) seed: u64,
    /// The event categorical field holding the page event.
    #[arg(long, default_value = "page")]
    pub(crate) page: String,
    /// The event numeric field holding the dwell time.
    #[arg(long, default_value = "dwell_ms")]
    pub(crate) dwell: String,
    /// Epochs of the sequence network.
    #[arg(long, default_value_t = ClusterOptions::default().epochs)]
    pub(crate) epochs: usize,
    /// What the sequence network learns to predict: `last` (the last event's page from the
    /// embedding alone) or `every-step` (the paper's Eq. 3: the page of every next event, by a
    /// decoder started from the embedding with the attention context fed back into its
    /// recurrence; it clustered the generated fraud patterns less well,
    /// docs/benchmarks/cluster-representations.md).
    #[arg(long, value_enum, default_value_t = NextEventArg::Last)]
    pub(crate) next_event: NextEventArg,
    /// HDBSCAN's min_cluster_size.
    #[arg(long, default_value_t = ClusterOptions::default().hdbscan.min_cluster_size)]
    pub(crate) min_cluster_size: usize,
    /// HDBSCAN's min_samples.
    #[arg(long, default_value_t = ClusterOptions::default().hdbscan.min_samples.unwrap_or(5))]
    pub(crate) min_samples: usize,
    /// What to cluster on: `hybrid` (embedding and handcrafted features), `embedding` or
    /// `handcrafted`.
    #[arg(long, value_enum, default_value_t = RepresentationArg::Hybrid)]
    pub(crate) representation: RepresentationArg,
    /// How HDBSCAN picks clusters from its tree: `leaf` (the leaves of the cluster tree: small,
    /// homogeneous groups such as fraud patterns) or `eom` (excess of mass: the most stable
    /// clusters).
    #[arg(long, value_enum, default_value_t = ClusterOptions::default().hdbscan.selection.into())]
    pub(crate) selection: Selection,
    /// Neighbours per session for the clustering.
    #[arg(long, default_value_t = ClusterOptions::default().neighbours)]
    pub(crate) neighbours: usize,
    /// How the neighbours are found: `auto` (`exact` up to 20,000 clustered sessions, `ivf`
    /// above), `exact` (every distance, O(n²·d)) or `ivf` (an inverted file of about 4·√n
    /// k-means cells, `--probes` of them searched per session: the paper's pHDBSCAN
    /// neighbour search, on the CPU; approximate, for millions of sessions).
    #[arg(long, value_enum, default_value_t = SearchArg::Auto)]
    pub(crate) search: SearchArg,
    /// Cells each session searches with the inverted file.
    #[arg(long, default_value_t = 8)]
    pub(crate) probes: usize,
    /// A cluster is risky from this share of positive sessions.
    #[arg(long, default_value_t = ClusterOptions::default().risky_density)]
    pub(crate) risky_density: f64,
    /// ... and this many sessions.
    #[arg(long, default_value_t = ClusterOptions::default().risky_min_size)]
    pub(crate) risky_min_size: usize,
    /// Members of each risky cluster kept in the artifact's fingerprints.
    #[arg(long, default_value_t = ClusterOptions::default().exemplars)]
    pub(crate) exemplars: usize,
    /// Bagged trees grown per risky cluster for its rules.
    #[arg(long, default_value_t = RuleOptions::default().bags)]
    pub(crate) rule_bags: usize,
    /// Smallest out-of-bag precision of a kept rule.
    #[arg(long, default_value_t = RuleOptions::default().settings.min_precision)]
    pub(crate) rule_precision: f64,
    /// Smallest out-of-bag recall of a kept rule.
    #[arg(long, default_value_t = RuleOptions::default().settings.min_recall)]
    pub(crate) rule_recall: f64,
    /// Most rules per risky cluster.
    #[arg(long, default_value_t = RuleOptions::default().settings.max_rules)]
    pub(crate) max_rules: usize,
    /// Share of the sessions (the earliest, by their last event) clustered; the later ones
    /// are assigned to clusters and flagged, the paper's induction evaluation (1: cluster
    /// everything, no evaluation).
    #[arg(long, default_value_t = ClusterOptions::default().train_share)]
    pub(crate) train_share: f64,
    /// Stratified sampling of the clustered sessions (§4, Table 4): keep every labelled
    /// positive and sample the others so positives make up this share (0: keep everything).
    #[arg(long, default_value_t = ClusterOptions::default().fraud_share)]
    pub(crate) fraud_share: f64,
    /// The event numeric field of transaction amounts, for the return rate.
    #[arg(long, default_value = "amount")]
    pub(crate) amount: String,
    /// Hide progress bars.
    #[arg(long)]
    pub(crate) quiet: bool,
    /// Folder for `cluster.{md,json}` and the artifact `cluster.seqrisk`.
    #[arg(long, short, default_value = "seqrisk-out/cluster")]
    pub(crate) out: PathBuf,
}

/// The sessions to cluster, their schema, the planted pattern of each (synthetic data only)
/// and the data's fingerprint.
type ClusterData = (Vec<Session>, Schema, Option<Vec<&'static str>>, String);

fn data(a: &ClusterArgs) -> Result<ClusterData> {
    Ok(match &a.data {
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
    })
}

impl ClusterArgs {
    /// The flags checked and converted to the library's options.
    fn options(&self) -> Result<ClusterOptions> {
        let a = self;
        let opts = ClusterOptions {
            page: a.page.clone(),
            dwell: a.dwell.clone(),
            representation: match a.representation {
                RepresentationArg::Hybrid => Representation::Hybrid,
                RepresentationArg::Embedding => Representation::Embedding,
                RepresentationArg::Handcrafted => Representation::Handcrafted,
            },
            epochs: a.epochs,
            next_event: match a.next_event {
                NextEventArg::EveryStep => NextEvent::EveryStep,
                NextEventArg::Last => NextEvent::Last,
            },
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
            search: match a.search {
                SearchArg::Auto => NeighbourSearch::Auto {
                    probes: a.probes,
                    seed: a.seed,
                },
                SearchArg::Exact => NeighbourSearch::Exact,
                SearchArg::Ivf => NeighbourSearch::inverted_file(a.probes, a.seed),
            },
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
                ..RuleOptions::default()
            },
            seed: a.seed,
            progress: !a.quiet,
            train_share: a.train_share,
            fraud_share: a.fraud_share,
            amount: Some(a.amount.clone()),
            ..ClusterOptions::default()
        };
        // the library names its settings; the user typed flags
        opts.validate().map_err(|e| {
            as_flags(
                e,
                &[
                    ("min_precision", "rule-precision"),
                    ("min_recall", "rule-recall"),
                    ("bags", "rule-bags"),
                ],
            )
        })?;
        Ok(opts)
    }
}

/// The two plots of a clustering: its sessions on the first two principal components, and
/// the condensed tree.
fn plots(fitted: &crate::cluster::Fitted, out: &Path) -> Result<()> {
    let risky: Vec<bool> = fitted.report.clusters.iter().map(|c| c.risky).collect();
    plot::clusters_png(
        &out.join("clusters.png"),
        &format!(
            "{} sessions, {} clusters ({} risky), first two principal components",
            fitted.report.sessions,
            risky.len(),
            risky.iter().filter(|&&r| r).count()
        ),
        &crate::cluster::on_plane(&fitted.model.fingerprints.map.axes, &fitted.points),
        &fitted.clustering.labels,
        &risky,
    )?;
    plot::condensed_tree_png(
        &out.join("condensed-tree.png"),
        "HDBSCAN condensed tree (selected clusters outlined)",
        &fitted.clustering.tree,
        &fitted.clustering.clusters,
    )
}

pub(crate) fn run(a: &ClusterArgs) -> Result<()> {
    let opts = a.options()?;
    let (sessions, schema, patterns, fingerprint) = data(a)?;
    let run = pipeline::run(&sessions, &schema, patterns.as_deref(), &opts)?;
    let artifact = run.artifact(&fingerprint, a.seed)?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let artifact_path = a.out.join("cluster.seqrisk");
    write_atomic(&artifact_path, &artifact.to_bytes()?)?;
    plots(&run.fitted, &a.out)?;
    let mut md = run.markdown.clone();
    md.push_str("\n![clusters](clusters.png)\n\n![condensed tree](condensed-tree.png)\n");
    write_atomic(&a.out.join("cluster.md"), md.as_bytes())?;
    write_atomic(
        &a.out.join("cluster.json"),
        serde_json::to_string_pretty(&run.json())?.as_bytes(),
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
