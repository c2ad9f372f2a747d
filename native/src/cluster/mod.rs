//! `seqrisk cluster` (FinDeepBehaviorCluster, Figure 2): train the sequence network without
//! labels, embed every session, join the embedding with readable handcrafted features (the
//! hybrid representation, §3.3), cluster with HDBSCAN from k-nearest-neighbour lists (exact,
//! or the paper's inverted file), and mark the risky clusters by their fraud density (§4, "heuristic rules").

pub mod pipeline;

use crate::rules::{self, RuleOptions};
use anyhow::{Result, bail};
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use indicatif::ProgressBar;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use seqrisk_core::artifact::{Artifact, Header, TrainingSummary};
use seqrisk_core::cluster::{ClusterSelection, Clustering, Hdbscan, NeighbourSearch, Points};
use seqrisk_core::encode::{Batch, EncodedSession, Encoder};
use seqrisk_core::error::InvalidParam;
use seqrisk_core::metrics::{Metrics, roc_curve};
use seqrisk_core::models::behavior_cluster::{
    BehaviorCluster, BehaviorClusterConfig, ClusterMap, Fingerprints, Handcrafted, MapPoint,
    NextEvent, Representation, RiskyCluster, SequenceEmbedding, SequenceEmbeddingConfig,
};
use seqrisk_core::models::{Model, ModelConfig};
use seqrisk_core::schema::{Schema, Session};
use serde::Serialize;
use std::time::Instant;

/// Settings of `seqrisk cluster`.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The event categorical field of page events.
    pub page: String,
    /// The event numeric field of dwell times.
    pub dwell: String,
    /// What to cluster on.
    pub representation: Representation,
    /// Epochs of the sequence network.
    pub epochs: usize,
    /// What the sequence network learns to predict (Eq. 3).
    pub next_event: NextEvent,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// HDBSCAN's settings.
    pub hdbscan: Hdbscan,
    /// Neighbours per point for the clustering (at least `min_samples`).
    pub neighbours: usize,
    /// How they are found: every distance, or the paper's inverted file (pHDBSCAN).
    pub search: NeighbourSearch,
    /// A cluster is risky when at least this share of its labelled sessions is positive...
    pub risky_density: f64,
    /// ...and it has at least this many sessions.
    pub risky_min_size: usize,
    /// Members of each risky cluster kept in its fingerprint.
    pub exemplars: usize,
    /// How rules are searched for.
    pub rules: RuleOptions,
    /// Seed of shuffling and initialisation.
    pub seed: u64,
    /// Show progress bars.
    pub progress: bool,
    /// Share of the sessions (the earliest, by their last event) [`pipeline::run`] clusters;
    /// the later ones are assigned and flagged (§4's induction evaluation; 1: cluster all).
    pub train_share: f64,
    /// Stratified sampling of the clustered sessions (§4, Table 4): every labelled positive
    /// kept, the others sampled so positives make up this share (0: keep everything).
    pub fraud_share: f64,
    /// The event numeric field of transaction amounts, for the induction's return rate.
    pub amount: Option<String>,
}

impl Default for ClusterOptions {
    /// `seqrisk cluster`'s defaults. HDBSCAN picks the leaves of its cluster tree, each of at
    /// least 30 sessions: a fraud pattern is a small, tight group next to the broad mass of
    /// legitimate behaviour, and excess of mass tends to keep that mass whole with the
    /// patterns inside it (on the default 20,000 generated sessions it put card testing and
    /// the bots in one cluster with 1,682 legitimate sessions; the leaves separate all three
    /// planted patterns, each a pure cluster).
    fn default() -> Self {
        Self {
            page: "page".into(),
            dwell: "dwell_ms".into(),
            representation: Representation::Hybrid,
            epochs: 5,
            next_event: NextEvent::Last,
            batch_size: 256,
            learning_rate: 1e-3,
            hdbscan: Hdbscan {
                min_cluster_size: 30,
                min_samples: Some(5),
                selection: ClusterSelection::Leaf,
                ..Default::default()
            },
            neighbours: 20,
            search: NeighbourSearch::Auto {
                probes: 8,
                seed: 42,
            },
            risky_density: 0.5,
            risky_min_size: 10,
            exemplars: 256,
            rules: RuleOptions::default(),
            seed: 42,
            progress: true,
            train_share: 0.7,
            fraud_share: 0.2,
            amount: Some("amount".into()),
        }
    }
}

impl ClusterOptions {
    /// Check every setting is in range before anything runs, naming it.
    pub fn validate(&self) -> seqrisk_core::Result<()> {
        for (name, value) in [
            ("epochs", self.epochs),
            ("batch_size", self.batch_size),
            ("exemplars", self.exemplars),
        ] {
            if value == 0 {
                return Err(InvalidParam::new(name, "at least 1", 0).into());
            }
        }
        self.hdbscan.validate()?;
        self.search.validate()?;
        let min_samples = self.hdbscan.effective_min_samples();
        if self.neighbours < min_samples {
            let expected = format!("at least min_samples ({min_samples})");
            return Err(InvalidParam::new("neighbours", expected, self.neighbours).into());
        }
        if !(self.train_share > 0.0 && self.train_share <= 1.0) {
            let expected = "above 0 and at most 1";
            return Err(InvalidParam::new("train_share", expected, self.train_share).into());
        }
        if !(0.0..1.0).contains(&self.fraud_share) {
            let expected = "at least 0 and below 1";
            return Err(InvalidParam::new("fraud_share", expected, self.fraud_share).into());
        }
        if !(0.0..=1.0).contains(&self.risky_density) {
            let expected = "between 0 and 1";
            return Err(InvalidParam::new("risky_density", expected, self.risky_density).into());
        }
        let rules = &self.rules.settings;
        for (name, value) in [
            ("min_precision", rules.min_precision),
            ("min_recall", rules.min_recall),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(InvalidParam::new(name, "between 0 and 1", value).into());
            }
        }
        if self.rules.bags == 0 {
            return Err(InvalidParam::new("bags", "at least 1", 0).into());
        }
        Ok(())
    }
}

/// One cluster.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterSummary {
    /// Label (`0..k`).
    pub label: i32,
    /// Sessions in it.
    pub size: usize,
    /// Labelled positive sessions in it.
    pub positives: usize,
    /// `positives / size`.
    pub fraud_density: f64,
    /// Stability (excess of mass) of the cluster.
    pub stability: f64,
    /// Whether it is risky.
    pub risky: bool,
    /// Mean of each handcrafted feature over the cluster's sessions, in the data's units.
    pub feature_means: Vec<f64>,
    /// Its rules (risky clusters only), best first.
    pub rules: Vec<RuleReport>,
}

/// One rule of a risky cluster.
#[derive(Debug, Clone, Serialize)]
pub struct RuleReport {
    /// The rule in words.
    pub text: String,
    /// Share of the sessions it matches that are in the cluster.
    pub precision: f64,
    /// Share of the cluster's sessions it matches.
    pub recall: f64,
    /// Sessions it matches.
    pub support: usize,
    /// Share of the labelled sessions it matches that are positive.
    pub fraud_share: f64,
}

/// What `seqrisk cluster` found.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterReport {
    /// Sessions clustered.
    pub sessions: usize,
    /// Labelled positive sessions among them.
    pub positives: usize,
    /// What was clustered.
    pub representation: Representation,
    /// Width of the embedding.
    pub embedding_dim: usize,
    /// Names of the handcrafted features joined to the embedding.
    pub handcrafted: Vec<String>,
    /// How the neighbour lists were found: `exact` or `inverted file`.
    pub neighbour_search: String,
    /// What the sequence network learned to predict.
    pub next_event: NextEvent,
    /// Mean next-event cross-entropy (Eq. 3, per predicted event) per training epoch.
    pub epoch_losses: Vec<f64>,
    /// The clusters.
    pub clusters: Vec<ClusterSummary>,
    /// Sessions left as noise.
    pub noise: usize,
    /// The fraud density from which a cluster is risky (`--risky-density`).
    pub risky_density: f64,
    /// Seconds of each step: training, embedding, neighbours, clustering, risky clusters and
    /// rules.
    pub seconds: [f64; 5],
}

fn bar(len: usize, prefix: &str, progress: bool) -> Result<ProgressBar> {
    crate::progress::bar(
        len,
        prefix,
        "{spinner} {prefix} [{bar:30}] {pos}/{len} {msg}",
        progress,
    )
}

/// Train the sequence network on `encoded` (next-event cross-entropy, Adam).
fn train_network(
    config: &SequenceEmbeddingConfig,
    encoded: &[EncodedSession],
    opts: &ClusterOptions,
) -> Result<(SequenceEmbedding, Vec<f64>)> {
    let device = Device::flex().autodiff();
    device.seed(opts.seed);
    let mut model = config.init(&device);
    let mut optim = AdamConfig::new().init();
    let mut order: Vec<usize> = (0..encoded.len()).collect();
    let mut rng = SmallRng::seed_from_u64(opts.seed ^ 0xc1u64);
    let batches = encoded.len().div_ceil(opts.batch_size);
    let progress = bar(opts.epochs * batches, "sequence network", opts.progress)?;
    let mut losses = Vec::with_capacity(opts.epochs);
    for epoch in 1..=opts.epochs {
        order.shuffle(&mut rng);
        let mut sum = 0.0;
        for chunk in order.chunks(opts.batch_size) {
            let items: Vec<&EncodedSession> = chunk.iter().map(|&i| &encoded[i]).collect();
            let batch = Batch::new(&items, &device);
            let loss = model.predict_next(&batch).loss();
            let value = f64::from(loss.clone().into_scalar::<f32>());
            if !value.is_finite() {
                bail!("the sequence network diverged at epoch {epoch} (loss {value})");
            }
            sum += value * chunk.len() as f64;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(opts.learning_rate, model, grads);
            progress.inc(1);
        }
        let mean = sum / encoded.len() as f64;
        progress.set_message(format!("epoch {epoch}: loss {mean:.4}"));
        if progress.is_hidden() {
            eprintln!("sequence network: epoch {epoch:>2}: next-event loss {mean:.4}");
        }
        losses.push(mean);
    }
    progress.finish_and_clear();
    Ok((model.valid(), losses))
}

/// A fitted clustering and everything made from it.
#[derive(Debug)]
pub struct Fitted {
    /// What was found.
    pub report: ClusterReport,
    /// HDBSCAN's result on the training sessions.
    pub clustering: Clustering,
    /// The standardised hybrid vectors it was fitted on.
    pub points: Points,
    /// The encoder fitted on the training sessions.
    pub encoder: Encoder,
    /// The scoring model's configuration (network and fingerprints).
    pub config: BehaviorClusterConfig,
    /// The scoring model: the trained network and the fingerprints.
    pub model: BehaviorCluster,
}

/// `[n, D]` hybrid vectors of `encoded` before standardisation, row-major.
fn raw_vectors(
    model: &BehaviorCluster,
    encoded: &[EncodedSession],
    batch_size: usize,
    device: &Device,
) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    for chunk in encoded.chunks(batch_size) {
        let items: Vec<&EncodedSession> = chunk.iter().collect();
        let (raw, _) = model.raw_vectors(&Batch::new(&items, device));
        let values: Vec<f32> = raw
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("cannot read the hybrid vectors back: {e:?}"))?;
        out.extend(values.into_iter().map(f64::from));
    }
    Ok(out)
}

impl Fitted {
    /// The standardised hybrid vectors of other sessions (encoded by [`Fitted::encoder`]), as
    /// the clustering saw its own.
    pub fn vectors(&self, encoded: &[EncodedSession], batch_size: usize) -> Result<Points> {
        let f = &self.model.fingerprints;
        let mut raw = raw_vectors(&self.model, encoded, batch_size, &Device::flex())?;
        standardise(&mut raw, &f.center, &f.scale);
        Ok(Points::new(raw, f.center.len())?)
    }
}

impl Fitted {
    /// The artifact: the scoring model, the encoder, and — when the later sessions `test`
    /// were scored (`scores`, as [`crate::induction::evaluate`] gives) and all carry labels —
    /// their metrics and ROC curve.
    pub fn artifact(
        &self,
        train: &[Session],
        test: &[Session],
        scores: &[f64],
        data_fingerprint: &str,
        seed: u64,
    ) -> Result<Artifact> {
        let labels: Vec<bool> = test.iter().map(|s| s.label == Some(true)).collect();
        let measured = !test.is_empty()
            && scores.len() == test.len()
            && test.iter().all(|s| s.label.is_some());
        let positives = |set: &[Session]| set.iter().filter(|s| s.label == Some(true)).count();
        let epochs = self.report.epoch_losses.len();
        let header = Header {
            seqrisk_version: env!("CARGO_PKG_VERSION").to_string(),
            created_unix: crate::train::created_unix(),
            model_config_json: serde_json::to_string(&ModelConfig::BehaviorCluster(
                self.config.clone(),
            ))?,
            encoder: self.encoder.clone(),
            test_metrics: measured.then(|| Metrics::compute(scores, &labels)),
            test_roc: if measured {
                roc_curve(scores, &labels).unwrap_or_default()
            } else {
                vec![]
            },
            data_fingerprint: data_fingerprint.to_string(),
            training: TrainingSummary {
                split_sessions: [train.len(), 0, test.len()],
                split_positives: [positives(train), 0, positives(test)],
                epochs,
                best_epoch: epochs,
                seed,
                valid_auc: f64::NAN,
                threshold: self.report.risky_density,
                planted_top3: None,
            },
            // the score is the risky cluster's fraud density, not a probability to calibrate
            calibration: None,
            // its score is a cluster's density: one threshold, no operating points
            policy_points: Vec::new(),
            monitoring: None,
        };
        Ok(Artifact::new(
            header,
            Model::BehaviorCluster(self.model.clone()),
        )?)
    }
}

fn standardise(rows: &mut [f64], center: &[f64], scale: &[f64]) {
    for row in rows.chunks_mut(center.len()) {
        for ((x, m), s) in row.iter_mut().zip(center).zip(scale) {
            *x = (*x - m) / s;
        }
    }
}

/// Up to `count` members of a cluster spread evenly over their membership strengths,
/// strongest first.
fn exemplars(clustering: &Clustering, label: i32, count: usize) -> Vec<usize> {
    let mut members: Vec<usize> = (0..clustering.labels.len())
        .filter(|&i| clustering.labels[i] == label)
        .collect();
    members.sort_by(|&a, &b| {
        clustering.probabilities[b]
            .total_cmp(&clustering.probabilities[a])
            .then(a.cmp(&b))
    });
    if members.len() <= count {
        return members;
    }
    (0..count)
        .map(|k| members[k * members.len() / count])
        .collect()
}

/// Most training sessions the map in the artifact shows.
const MAP_POINTS: usize = 2_000;

/// The clustering in 2-D (see [`ClusterMap`]): the standardised vectors' two principal axes
/// — the top eigenvectors of their covariance, each signed so that its largest component is
/// positive — and up to [`MAP_POINTS`] sessions, evenly spaced in the input order, placed on
/// them.
fn cluster_map(points: &Points, labels: &[i32], risky: &[bool]) -> ClusterMap {
    let (n, d) = (labels.len(), points.dim());
    let mean: Vec<f64> = (0..d)
        .map(|c| (0..n).map(|i| points.row(i)[c]).sum::<f64>() / n as f64)
        .collect();
    let mut covariance = nalgebra::DMatrix::<f64>::zeros(d, d);
    for i in 0..n {
        let x = nalgebra::DVector::from_iterator(
            d,
            points.row(i).iter().zip(&mean).map(|(v, m)| v - m),
        );
        covariance.ger(1.0 / n as f64, &x, &x, 1.0);
    }
    let total = covariance.trace().max(f64::MIN_POSITIVE);
    let eigen = covariance.symmetric_eigen();
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    let mut axes = Vec::with_capacity(2 * d);
    let mut explained_variance = [0.0; 2];
    for (k, &j) in order.iter().take(2).enumerate() {
        let v = eigen.eigenvectors.column(j);
        let largest = v
            .iter()
            .copied()
            .max_by(|a, b| a.abs().total_cmp(&b.abs()))
            .unwrap_or(1.0);
        let sign = if largest < 0.0 { -1.0 } else { 1.0 };
        axes.extend(v.iter().map(|&x| (sign * x) as f32));
        explained_variance[k] = eigen.eigenvalues[j].max(0.0) / total;
    }
    if d < 2 {
        // one column: the second axis is nothing
        axes.resize(2 * d, 0.0);
    }
    let plane = on_plane(&axes, points);
    let points = (0..n)
        .step_by(n.div_ceil(MAP_POINTS).max(1))
        .map(|i| MapPoint {
            x: plane[i].0 as f32,
            y: plane[i].1 as f32,
            label: labels[i],
            risky: usize::try_from(labels[i]).is_ok_and(|l| risky.get(l).copied().unwrap_or(false)),
        })
        .collect();
    ClusterMap {
        axes,
        explained_variance,
        points,
    }
}

/// Run the whole pipeline on labelled (or unlabelled) sessions.
pub fn cluster(sessions: &[Session], schema: &Schema, opts: &ClusterOptions) -> Result<Fitted> {
    anyhow::ensure!(!sessions.is_empty(), "no sessions to cluster");
    opts.validate()?;
    let encoder = Encoder::fit(schema, &sessions.iter().collect::<Vec<_>>())?;
    let network_config = SequenceEmbeddingConfig::for_encoder(&encoder, &opts.page, &opts.dwell)?
        .with_next_event(opts.next_event);
    let encoded: Vec<EncodedSession> = sessions.iter().map(|s| encoder.encode(s)).collect();
    let mut seconds = [0.0; 5];
    let (network, epoch_losses) = timed(&mut seconds[0], || {
        train_network(&network_config, &encoded, opts)
    })?;
    // the hybrid representation (§3.3)
    let started = Instant::now();
    let device = Device::flex();
    let mut fingerprints = Fingerprints {
        representation: opts.representation,
        handcrafted: Handcrafted::for_encoder(&encoder),
        ..Fingerprints::default()
    };
    let mut config =
        BehaviorClusterConfig::new(network_config).with_fingerprints(fingerprints.clone());
    let width = config.width();
    let mut model = BehaviorCluster {
        network,
        fingerprints: fingerprints.clone(),
    };
    let n = sessions.len();
    let points = hybrid_points(&model, &encoded, &mut fingerprints, width, opts, &device)?;
    let handcrafted_values: Vec<Vec<f64>> = encoded
        .iter()
        .map(|s| fingerprints.handcrafted.values(s))
        .collect();
    seconds[1] = started.elapsed().as_secs_f64();
    let k = opts.neighbours.min(n);
    let nn = timed(&mut seconds[2], || {
        Ok(opts.search.neighbours(&points, k, &device)?)
    })?;
    let clustering = timed(&mut seconds[3], || {
        Ok(opts.hdbscan.fit_neighbours(&points, &nn, &device)?)
    })?;
    // risky clusters (§4's heuristics), their rules (§3.5) and fingerprints
    let started = Instant::now();
    let (names, integer) = fingerprints.handcrafted.describe_columns();
    let found = Found {
        sessions,
        clustering: &clustering,
        points: &points,
        handcrafted: &handcrafted_values,
        names: &names,
        integer: &integer,
    };
    let clusters;
    (clusters, fingerprints.clusters) = found.summarise_all(opts)?;
    let risky: Vec<bool> = clusters.iter().map(|c| c.risky).collect();
    fingerprints.background_density = found.background_density(&risky);
    seconds[4] = started.elapsed().as_secs_f64();
    fingerprints.map = cluster_map(&points, &clustering.labels, &risky);
    config = config.with_fingerprints(fingerprints.clone());
    config.check(&encoder)?;
    model.fingerprints = fingerprints;
    let report = ClusterReport {
        sessions: n,
        positives: sessions.iter().filter(|s| s.label == Some(true)).count(),
        representation: opts.representation,
        embedding_dim: config.network.bottleneck,
        handcrafted: names,
        neighbour_search: match opts.search.for_points(n) {
            NeighbourSearch::InvertedFile { .. } => "inverted file",
            _ => "exact",
        }
        .into(),
        next_event: opts.next_event,
        epoch_losses,
        clusters,
        noise: clustering.labels.iter().filter(|&&l| l < 0).count(),
        risky_density: opts.risky_density,
        seconds,
    };
    Ok(Fitted {
        report,
        clustering,
        points,
        encoder,
        config,
        model,
    })
}

/// `stage()`'s result, its wall seconds in `seconds`.
fn timed<T>(seconds: &mut f64, stage: impl FnOnce() -> Result<T>) -> Result<T> {
    let started = Instant::now();
    let out = stage();
    *seconds = started.elapsed().as_secs_f64();
    out
}

/// The sessions' hybrid representations (§3.3) as points, every column standardised so that
/// neither block outweighs the other by its scale; the columns' means and scales go into
/// `fingerprints`, to standardise sessions scored later alike.
fn hybrid_points(
    model: &BehaviorCluster,
    encoded: &[EncodedSession],
    fingerprints: &mut Fingerprints,
    width: usize,
    opts: &ClusterOptions,
    device: &Device,
) -> Result<Points> {
    let mut rows = raw_vectors(model, encoded, opts.batch_size, device)?;
    (fingerprints.center, fingerprints.scale) = column_moments(&rows, width, encoded.len());
    standardise(&mut rows, &fingerprints.center, &fingerprints.scale);
    Ok(Points::new(rows, width)?)
}

/// Each column's mean and standard deviation (at least 1e-9) over `n` rows of `width` values.
fn column_moments(rows: &[f64], width: usize, n: usize) -> (Vec<f64>, Vec<f64>) {
    let column = |c: usize| rows.iter().skip(c).step_by(width).copied();
    let center: Vec<f64> = (0..width)
        .map(|c| column(c).sum::<f64>() / n as f64)
        .collect();
    let scale = (0..width)
        .map(|c| {
            let m = center[c];
            (column(c).map(|x| (x - m).powi(2)).sum::<f64>() / n as f64)
                .sqrt()
                .max(1e-9)
        })
        .collect();
    (center, scale)
}

/// What HDBSCAN found, with what describes each session: the clusters are summed up from it.
struct Found<'a> {
    sessions: &'a [Session],
    clustering: &'a Clustering,
    points: &'a Points,
    /// Each session's handcrafted features.
    handcrafted: &'a [Vec<f64>],
    names: &'a [String],
    integer: &'a [bool],
}

impl Found<'_> {
    /// Every cluster summed up, and the risky ones' fingerprints, in label order.
    fn summarise_all(
        &self,
        opts: &ClusterOptions,
    ) -> Result<(Vec<ClusterSummary>, Vec<RiskyCluster>)> {
        let count = self.clustering.clusters.len();
        let progress = bar(count, "risky clusters and rules", opts.progress)?;
        let (mut clusters, mut risky) = (Vec::with_capacity(count), Vec::new());
        for label in 0..count as i32 {
            let (summary, fingerprint) = self.summarise(label, opts)?;
            clusters.push(summary);
            risky.extend(fingerprint);
            progress.inc(1);
        }
        progress.finish_and_clear();
        Ok((clusters, risky))
    }

    /// Cluster `label` summed up, and, when it is risky (§4's heuristics: at least
    /// `risky_min_size` sessions, fraud density at least `risky_density`), its fingerprint
    /// with the rules that describe it (§3.5).
    fn summarise(
        &self,
        label: i32,
        opts: &ClusterOptions,
    ) -> Result<(ClusterSummary, Option<RiskyCluster>)> {
        let (sessions, clustering) = (self.sessions, self.clustering);
        let n = sessions.len();
        let members: Vec<usize> = (0..n).filter(|&i| clustering.labels[i] == label).collect();
        let fraud = |of: &[usize]| {
            of.iter()
                .filter(|&&i| sessions[i].label == Some(true))
                .count()
        };
        let (size, positives) = (members.len(), fraud(&members));
        let fraud_density = positives as f64 / size.max(1) as f64;
        let id = clustering.clusters[label as usize];
        let risky = size >= opts.risky_min_size && fraud_density >= opts.risky_density;
        let mut rules = vec![];
        let mut fingerprint = None;
        if risky {
            let target: Vec<bool> = clustering.labels.iter().map(|&l| l == label).collect();
            let found = rules::extract(
                self.handcrafted,
                &target,
                &RuleOptions {
                    seed: opts.seed ^ label as u64,
                    ..opts.rules
                },
            )?;
            for rule in &found {
                let matched: Vec<usize> = (0..n)
                    .filter(|&i| rule.matches(&self.handcrafted[i]))
                    .collect();
                rules.push(RuleReport {
                    text: rule.describe(self.names, self.integer),
                    precision: rule.precision,
                    recall: rule.recall,
                    support: rule.support,
                    fraud_share: fraud(&matched) as f64 / matched.len().max(1) as f64,
                });
            }
            let picked = exemplars(clustering, label, opts.exemplars);
            fingerprint = Some(RiskyCluster {
                label,
                size,
                fraud_density,
                birth: clustering.tree.birth(id),
                exemplars: picked
                    .iter()
                    .flat_map(|&i| self.points.row(i).iter().map(|&x| x as f32))
                    .collect(),
                core_distances: picked
                    .iter()
                    .map(|&i| clustering.core_distances[i] as f32)
                    .collect(),
                rules: found,
            });
        }
        let summary = ClusterSummary {
            label,
            size,
            positives,
            fraud_density,
            stability: clustering.stabilities[id - n],
            risky,
            feature_means: (0..self.names.len())
                .map(|j| {
                    members.iter().map(|&i| self.handcrafted[i][j]).sum::<f64>()
                        / size.max(1) as f64
                })
                .collect(),
            rules,
        };
        Ok((summary, fingerprint))
    }

    /// The fraud rate of the labelled sessions outside every risky cluster (noise included):
    /// what a session that matches no risky cluster scores.
    fn background_density(&self, risky: &[bool]) -> f64 {
        let sessions = self.sessions;
        let outside: Vec<usize> = (0..sessions.len())
            .filter(|&i| {
                let l = self.clustering.labels[i];
                l < 0 || !risky[l as usize]
            })
            .collect();
        let labelled = outside
            .iter()
            .filter(|&&i| sessions[i].label.is_some())
            .count();
        outside
            .iter()
            .filter(|&&i| sessions[i].label == Some(true))
            .count() as f64
            / labelled.max(1) as f64
    }
}

/// The report as Markdown: the clusters, risky ones marked, each with its most distinctive
/// handcrafted features (largest standardised difference of its mean from everyone's).
pub fn report_markdown(r: &ClusterReport) -> String {
    let mut s = format!(
        "{} sessions ({} positive), {} clusters, {} noise; clustered on {:?} (embedding {}-D, next-event objective: {}, last epoch's loss {:.4}; {} handcrafted features); training {:.0} s, embedding {:.0} s, neighbours ({}) {:.0} s, HDBSCAN {:.1} s, rules {:.1} s\n\n| cluster | sessions | positives | fraud density | stability | risky |\n|---:|---:|---:|---:|---:|---|\n",
        r.sessions,
        r.positives,
        r.clusters.len(),
        r.noise,
        r.representation,
        r.embedding_dim,
        match r.next_event {
            NextEvent::EveryStep => "every step",
            NextEvent::Last => "last event",
        },
        r.epoch_losses.last().copied().unwrap_or(f64::NAN),
        r.handcrafted.len(),
        r.seconds[0],
        r.seconds[1],
        r.neighbour_search,
        r.seconds[2],
        r.seconds[3],
        r.seconds[4]
    );
    for c in &r.clusters {
        s.push_str(&format!(
            "| {} | {} | {} | {:.3} | {:.2} | {} |\n",
            c.label,
            c.size,
            c.positives,
            c.fraud_density,
            c.stability,
            if c.risky { "**yes**" } else { "" }
        ));
    }
    for c in r.clusters.iter().filter(|c| c.risky) {
        s.push_str(&format!(
            "\n**Risky cluster {}** ({} sessions, fraud density {:.3}): rules (precision and recall for the cluster, share of fraud among the matches)\n\n",
            c.label, c.size, c.fraud_density
        ));
        if c.rules.is_empty() {
            s.push_str("- no rule clears the precision and recall thresholds\n");
        }
        for rule in &c.rules {
            s.push_str(&format!(
                "- `{}` — precision {:.3}, recall {:.3}, {} sessions, fraud share {:.3}\n",
                rule.text, rule.precision, rule.recall, rule.support, rule.fraud_share
            ));
        }
    }
    s
}

/// Each of `points` on the plane of `axes` (`[2, D]`, row-major, as [`ClusterMap::axes`]):
/// `(a₁·x, a₂·x)`, what the scorer computes for a new session.
pub fn on_plane(axes: &[f32], points: &Points) -> Vec<(f64, f64)> {
    let d = points.dim();
    let along = |row: &[f64], k: usize| -> f64 {
        axes[k * d..(k + 1) * d]
            .iter()
            .zip(row)
            .map(|(&a, &x)| f64::from(a) * x)
            .sum()
    };
    (0..points.len())
        .map(|i| (along(points.row(i), 0), along(points.row(i), 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points spread 3 : 1 : 0 along (1, 1, 0)/√2, (0, 0, 1) and (1, −1, 0)/√2: the map's axes
    /// are the first two, with 90% and 10% of the variance, and each point lands at its
    /// coordinates along them.
    #[test]
    fn the_map_is_the_two_principal_axes() {
        let r = std::f64::consts::FRAC_1_SQRT_2;
        let mut values = vec![];
        let mut want = vec![];
        for i in 0..40 {
            let (a, b) = ([-3.0, 3.0][i % 2], [-1.0, 1.0][(i / 2) % 2]);
            values.extend([a * r + 5.0, a * r + 5.0, b - 2.0]);
            want.push((a, b));
        }
        let points = Points::new(values, 3).unwrap();
        let labels: Vec<i32> = (0..40).map(|i| if i < 20 { 0 } else { -1 }).collect();
        let map = cluster_map(&points, &labels, &[true]);
        let close = |a: &[f32], b: &[f64]| {
            a.iter()
                .zip(b)
                .all(|(x, y)| (f64::from(*x) - y).abs() < 1e-5)
        };
        assert!(close(&map.axes[..3], &[r, r, 0.0]), "{:?}", map.axes);
        assert!(close(&map.axes[3..], &[0.0, 0.0, 1.0]), "{:?}", map.axes);
        assert!(
            (map.explained_variance[0] - 0.9).abs() < 1e-9,
            "{:?}",
            map.explained_variance
        );
        assert!((map.explained_variance[1] - 0.1).abs() < 1e-9);
        assert_eq!(map.points.len(), 40);
        // the map projects the standardised vectors as they are (the scorer does the same)
        for (p, (i, &(a, b))) in map.points.iter().zip(want.iter().enumerate()) {
            assert!((f64::from(p.x) - (a + 10.0 * r)).abs() < 1e-4, "{p:?}");
            assert!((f64::from(p.y) - (b - 2.0)).abs() < 1e-4, "{p:?}");
            assert_eq!((p.label, p.risky), (labels[i], i < 20));
        }
    }
}
