//! `seqrisk cluster`: FinDeepBehaviorCluster's unsupervised pipeline.

use anyhow::{Context, Result, bail};
use clap::Args;
use seqrisk_core::cluster::ClusterSelection;
use seqrisk_core::models::behavior_cluster::Representation;
use seqrisk_core::schema::{Limits, Schema, Session};
use seqrisk_core::synth::{Pattern, SynthConfig, generate};
use seqrisk_native::cluster::ClusterOptions;
use seqrisk_native::data::{read_schema, read_sessions};
use seqrisk_native::files::write_atomic;
use seqrisk_native::plot;
use seqrisk_native::rules::RuleOptions;

use seqrisk_native::train::time_order;
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
    #[arg(long, default_value_t = 0.7)]
    pub(crate) train_share: f64,
    /// Stratified sampling of the clustered sessions (§4, Table 4): keep every labelled
    /// positive and sample the others so positives make up this share (0: keep everything).
    #[arg(long, default_value_t = 0.2)]
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
        if a.min_samples > a.neighbours {
            bail!(
                "--neighbours ({}) must be at least --min-samples ({})",
                a.neighbours,
                a.min_samples
            );
        }
        if !(a.train_share > 0.0 && a.train_share <= 1.0) {
            bail!("--train-share must be in (0, 1], got {}", a.train_share);
        }
        if !(0.0..1.0).contains(&a.fraud_share) {
            bail!("--fraud-share must be in [0, 1), got {}", a.fraud_share);
        }
        Ok(ClusterOptions {
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
                ..RuleOptions::default()
            },
            seed: a.seed,
            progress: !a.quiet,
            ..ClusterOptions::default()
        })
    }
}

/// The planted pattern behind each cluster's sessions (noise first, as -1), as JSON rows and
/// a Markdown table; `clustered[k]` is the index into `patterns` of clustered session `k`.
fn planted_table(
    patterns: &[&str],
    clustered: &[usize],
    labels: &[i32],
    clusters: usize,
) -> (Vec<serde_json::Value>, String) {
    let rows: Vec<serde_json::Value> = (-1..clusters as i32)
        .map(|label| {
            let mut row = serde_json::Map::new();
            row.insert("cluster".into(), label.into());
            for name in Pattern::ALL.map(Pattern::name) {
                let n = (0..clustered.len())
                    .filter(|&k| labels[k] == label && patterns[clustered[k]] == name)
                    .count();
                row.insert(name.into(), n.into());
            }
            serde_json::Value::Object(row)
        })
        .collect();
    let mut md = format!(
        "\n| cluster | {} |\n|---:|{}\n",
        Pattern::ALL.map(Pattern::name).join(" | "),
        "---:|".repeat(Pattern::ALL.len())
    );
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
    (rows, md)
}

/// The two plots of a clustering: its sessions on the first two principal components, and
/// the condensed tree.
fn plots(fitted: &seqrisk_native::cluster::Fitted, out: &Path) -> Result<()> {
    let risky: Vec<bool> = fitted.report.clusters.iter().map(|c| c.risky).collect();
    plot::clusters_png(
        &out.join("clusters.png"),
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
        &out.join("condensed-tree.png"),
        "HDBSCAN condensed tree (selected clusters outlined)",
        &fitted.clustering.tree,
        &fitted.clustering.clusters,
    )
}

pub(crate) fn run(a: &ClusterArgs) -> Result<()> {
    let opts = a.options()?;
    let (sessions, schema, patterns, fingerprint) = data(a)?;
    // the earlier sessions are clustered, the later ones assigned (§4, Figure 8)
    let order = time_order(&sessions);
    let cut = ((sessions.len() as f64 * a.train_share).round() as usize).clamp(1, sessions.len());
    let clustered = stratified(&sessions, &order[..cut], a.fraud_share, a.seed);
    let pick = |idx: &[usize]| idx.iter().map(|&i| sessions[i].clone()).collect::<Vec<_>>();
    let (train, test) = (pick(&clustered), pick(&order[cut..]));
    let fitted = seqrisk_native::cluster::cluster(&train, &schema, &opts)?;
    let mut md = seqrisk_native::cluster::report_markdown(&fitted.report);
    let planted = patterns.as_ref().map(|patterns| {
        let (rows, table) = planted_table(
            patterns,
            &clustered,
            &fitted.clustering.labels,
            fitted.report.clusters.len(),
        );
        md.push_str(&table);
        rows
    });
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
    plots(&fitted, &a.out)?;
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
pub(crate) fn stratified(sessions: &[Session], idx: &[usize], share: f64, seed: u64) -> Vec<usize> {
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
