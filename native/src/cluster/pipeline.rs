//! `seqrisk cluster` from sessions to report (FinDeepBehaviorCluster §4, Figure 8): the earlier
//! sessions (by their last event, as `train --split time` orders them) are sampled by label
//! (Table 4's stratification) and clustered; the later ones are assigned to the clusters and
//! flagged, the paper's induction evaluation; the report joins the clusters, the planted
//! patterns behind them (generated data) and the induction's figures.

use super::{ClusterOptions, Fitted, cluster, report_markdown};
use crate::induction::{self, Induction};
use crate::train::time_order;
use anyhow::Result;
use rand::SeedableRng;
use rand::seq::IndexedRandom;
use seqrisk_core::artifact::Artifact;
use seqrisk_core::schema::{Schema, Session};
use seqrisk_core::synth::Pattern;

/// The planted pattern of each generated session ([`Pattern::name`]), for the report's
/// breakdown.
pub type Planted<'a> = &'a [&'static str];

/// What a run found.
pub struct Run {
    /// The clustering and its model.
    pub fitted: Fitted,
    /// The sessions clustered (the earlier ones, sampled).
    pub train: Vec<Session>,
    /// The later sessions assigned to clusters.
    pub test: Vec<Session>,
    /// Index into the input of each clustered session.
    pub clustered: Vec<usize>,
    /// The induction evaluation on the later sessions (none when every session is clustered).
    pub induction: Option<Induction>,
    /// Per cluster (noise first), the count of each planted pattern (generated data only).
    pub planted: Option<Vec<serde_json::Value>>,
    /// The report in Markdown.
    pub markdown: String,
}

/// Cluster the earlier `opts.train_share` of `sessions` and evaluate on the rest; `planted`
/// names each session's planted pattern where the data was generated.
pub fn run(
    sessions: &[Session],
    schema: &Schema,
    planted: Option<Planted<'_>>,
    opts: &ClusterOptions,
) -> Result<Run> {
    opts.validate()?;
    let order = time_order(sessions);
    let cut =
        ((sessions.len() as f64 * opts.train_share).round() as usize).clamp(1, sessions.len());
    let clustered = stratified(sessions, &order[..cut], opts.fraud_share, opts.seed);
    let pick = |idx: &[usize]| idx.iter().map(|&i| sessions[i].clone()).collect::<Vec<_>>();
    let (train, test) = (pick(&clustered), pick(&order[cut..]));
    let fitted = cluster(&train, schema, opts)?;
    let mut markdown = report_markdown(&fitted.report);
    let planted = planted.map(|patterns| {
        let (rows, table) = planted_table(
            patterns,
            &clustered,
            &fitted.clustering.labels,
            fitted.report.clusters.len(),
        );
        markdown.push_str(&table);
        rows
    });
    let induction = if test.is_empty() {
        None
    } else {
        let r = induction::evaluate(
            &fitted,
            &train,
            &test,
            opts.amount.as_deref(),
            opts.batch_size,
            opts.seed,
        )?;
        markdown.push_str(&induction::markdown(&r));
        Some(r)
    };
    Ok(Run {
        fitted,
        train,
        test,
        clustered,
        induction,
        planted,
        markdown,
    })
}

impl Run {
    /// The artifact: the model, its fingerprints, and the test ROC of the fingerprints' scores
    /// on the later sessions; `fingerprint` names the data.
    pub fn artifact(&self, fingerprint: &str, seed: u64) -> Result<Artifact> {
        let scores = self
            .induction
            .as_ref()
            .map(|r| r.scores.clone())
            .unwrap_or_default();
        self.fitted
            .artifact(&self.train, &self.test, &scores, fingerprint, seed)
    }

    /// The JSON report: clusters, induction, every clustered session's label and outlier score,
    /// the planted patterns.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "report": self.fitted.report,
            "induction": self.induction,
            "labels": self.fitted.clustering.labels,
            "outlier_scores": self.fitted.clustering.outlier_scores,
            "planted": self.planted,
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
    let names = Pattern::ALL.map(Pattern::name);
    let rows: Vec<serde_json::Value> = (-1..clusters as i32)
        .map(|label| {
            let mut row = serde_json::Map::new();
            row.insert("cluster".into(), label.into());
            for name in names {
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
        names.join(" | "),
        "---:|".repeat(names.len())
    );
    for row in rows.iter().rev() {
        let name = match row["cluster"].as_i64() {
            Some(label) if label >= 0 => label.to_string(),
            _ => "noise".to_string(),
        };
        let counts: Vec<String> = names.iter().map(|p| row[*p].to_string()).collect();
        md.push_str(&format!("| {name} | {} |\n", counts.join(" | ")));
    }
    (rows, md)
}

/// `idx` with every labelled positive kept and the others sampled (seeded) so the positives
/// make up `share` of the result, in `idx` order; everything when `share` is 0 or there are
/// too few others.
pub fn stratified(sessions: &[Session], idx: &[usize], share: f64, seed: u64) -> Vec<usize> {
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
