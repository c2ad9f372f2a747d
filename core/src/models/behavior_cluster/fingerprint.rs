//! Cluster fingerprints: what the scorer needs to tell, for a new session, whether it looks
//! like one of the risky clusters found offline (FinDeepBehaviorCluster's online use, Figure 2)
//! and which of that cluster's rules it matches.
//!
//! A session's hybrid vector `x` (its embedding ⊕ handcrafted features, standardised with the
//! training statistics) is compared with each risky cluster's exemplars `e` — members spread
//! over its membership strengths — in mutual reachability, as HDBSCAN's approximate predict
//! does with the nearest core point:
//!
//! ```text
//! reach_c(x) = min_{e ∈ c} max(‖x − e‖, core(e))
//! ρ_c(x)     = reach_c(x) · λ_birth(c)          (≤ 1: x is at least as dense as c's level)
//! ```
//!
//! The session lands in the risky cluster of smallest `ρ_c ≤ 1` and scores that cluster's
//! fraud density; elsewhere it scores the density of the sessions outside risky clusters.
//!
//! For display, [`ClusterMap`] places sessions on a plane: `x` projected on the first two
//! principal axes of the training sessions' standardised vectors, next to a sample of those
//! sessions with their cluster labels.

use super::handcrafted::Handcrafted;
use super::{SequenceEmbedding, SequenceEmbeddingConfig};
use crate::cluster::rules::Rule;
use crate::encode::{Batch, EncodedSession, Encoder};
use crate::models::baselines::Aggregates;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// What the sessions are clustered on (the paper's Table 4 compares them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Representation {
    /// The sequence embedding and the handcrafted features (§3.3).
    #[default]
    Hybrid,
    /// The sequence embedding alone.
    Embedding,
    /// The handcrafted features alone.
    Handcrafted,
}

impl Representation {
    /// Whether the embedding is part of it.
    pub fn embedding(self) -> bool {
        self != Representation::Handcrafted
    }

    /// Whether the handcrafted features are part of it.
    pub fn handcrafted(self) -> bool {
        self != Representation::Embedding
    }
}

/// One risky cluster as the scorer knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskyCluster {
    /// Its label in the clustering.
    pub label: i32,
    /// Training sessions in it.
    pub size: usize,
    /// Share of its labelled training sessions that were positive: its score.
    pub fraud_density: f64,
    /// `λ_birth`: the density at which the cluster appears.
    pub birth: f64,
    /// `[n, D]` standardised hybrid vectors of its exemplar members, row-major.
    pub exemplars: Vec<f32>,
    /// Core distance of each exemplar.
    pub core_distances: Vec<f32>,
    /// Its rules, over the handcrafted features.
    pub rules: Vec<Rule>,
}

/// A 2-D view of the clustering, for display: the first two principal axes `a₁, a₂` of the
/// standardised hybrid vectors, on which a session's vector `x` falls at `(a₁·x, a₂·x)`, and a
/// sample of the training sessions placed the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ClusterMap {
    /// `[2, D]` the two axes, row-major (unit vectors); empty when the model has no map.
    pub axes: Vec<f32>,
    /// Share of the standardised vectors' variance along each axis.
    pub explained_variance: [f64; 2],
    /// A sample of the training sessions on the map.
    pub points: Vec<MapPoint>,
}

/// A training session on the [`ClusterMap`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MapPoint {
    /// Coordinate along the first axis.
    pub x: f32,
    /// Coordinate along the second axis.
    pub y: f32,
    /// Its cluster in the clustering (−1: noise).
    pub label: i32,
    /// Whether that cluster is a risky one.
    pub risky: bool,
}

/// Everything about the clustering the scorer needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Fingerprints {
    /// What the vectors are made of.
    pub representation: Representation,
    /// The handcrafted features.
    pub handcrafted: Handcrafted,
    /// Mean of each column of the hybrid vector on the training sessions.
    pub center: Vec<f64>,
    /// Standard deviation of each column (at least 1e-9).
    pub scale: Vec<f64>,
    /// The risky clusters.
    pub clusters: Vec<RiskyCluster>,
    /// Fraud density of the training sessions outside every risky cluster: their score.
    pub background_density: f64,
    /// The clustering seen in 2-D (artifacts written before it have none).
    #[serde(default)]
    pub map: ClusterMap,
}

/// Configuration of [`BehaviorCluster`].
#[derive(Config, Debug)]
pub struct BehaviorClusterConfig {
    /// The sequence network.
    pub network: SequenceEmbeddingConfig,
    /// The clustering's fingerprints.
    #[config(default = "Fingerprints::default()")]
    pub fingerprints: Fingerprints,
}

impl BehaviorClusterConfig {
    /// Build the model.
    pub fn init(&self, device: &Device) -> BehaviorCluster {
        BehaviorCluster {
            network: self.network.init(device),
            fingerprints: self.fingerprints.clone(),
        }
    }

    /// Width `D` of the hybrid vector.
    pub fn width(&self) -> usize {
        let r = self.fingerprints.representation;
        usize::from(r.embedding()) * self.network.bottleneck
            + usize::from(r.handcrafted()) * self.fingerprints.handcrafted.len()
    }

    /// Check the network fits `encoder` and the fingerprints fit the network and each other.
    pub fn check(&self, encoder: &Encoder) -> crate::Result<()> {
        let f = &self.fingerprints;
        let d = self.width();
        let bad = |m: String| Err(crate::Error::Model(m));
        let n = &self.network;
        let cats = encoder.event_categorical_fields();
        if n.num_features != encoder.num_features()
            || n.page_slot >= cats
            || n.page_values == 0
            || !(cats..encoder.event_fields()).contains(&n.dwell_slot)
        {
            return bad(format!(
                "the sequence network reads page slot {} and dwell slot {} of {} features, but the encoder has {cats} categorical and {} numeric event fields over {} features",
                n.page_slot,
                n.dwell_slot,
                n.num_features,
                encoder.event_fields() - cats,
                encoder.num_features()
            ));
        }
        if f.handcrafted.aggregates.as_deref() != Some(&Aggregates::of(encoder)) {
            return bad("the handcrafted features were made for another encoder".into());
        }
        if f.center.len() != d || f.scale.len() != d {
            return bad(format!(
                "the fingerprints standardise {} / {} columns but the hybrid vector has {d}",
                f.center.len(),
                f.scale.len()
            ));
        }
        let map = &f.map;
        if !(map.axes.is_empty() || map.axes.len() == 2 * d)
            || !map.axes.iter().all(|a| a.is_finite())
            || (map.axes.is_empty() && !map.points.is_empty())
        {
            return bad(format!(
                "the cluster map has {} axis values for a hybrid vector of width {d}",
                map.axes.len()
            ));
        }
        for c in &f.clusters {
            let n = c.core_distances.len();
            if n == 0 || c.exemplars.len() != n * d || !(c.birth.is_finite() && c.birth >= 0.0) {
                return bad(format!(
                    "risky cluster {}: {} exemplar values for {n} exemplars of width {d}, birth λ {}",
                    c.label,
                    c.exemplars.len(),
                    c.birth
                ));
            }
        }
        Ok(())
    }
}

/// See the module documentation.
#[derive(Module, Debug)]
pub struct BehaviorCluster {
    /// The sequence network (§3.3).
    pub network: SequenceEmbedding,
    /// The clustering's fingerprints.
    #[module(skip)]
    pub fingerprints: Fingerprints,
}

/// What [`BehaviorCluster::forward`] gives.
#[derive(Debug, Clone)]
pub struct BehaviorClusterOutput {
    /// `[B]` logit of the score.
    pub logits: Tensor<1>,
    /// `[B, C]` `ρ_c` of each risky cluster (`None` without risky clusters).
    pub cluster_reach: Option<Tensor<2>>,
    /// `[B, T − 1]` the sequence network's time attention per history slot.
    pub time_attention: Tensor<2>,
    /// `[B, 2]` each session on the [`ClusterMap`] (`None` without a map).
    pub cluster_map: Option<Tensor<2>>,
}

fn logit(p: f64) -> f32 {
    let p = p.clamp(1e-4, 1.0 - 1e-4);
    (p / (1.0 - p)).ln() as f32
}

impl BehaviorCluster {
    /// `[B, D]` the hybrid vectors before standardisation, and the time attention.
    pub fn raw_vectors(&self, batch: &Batch) -> (Tensor<2>, Tensor<2>) {
        let f = &self.fingerprints;
        let device = batch.labels.device();
        let out = self.network.forward(batch);
        let mut parts = vec![];
        if f.representation.embedding() {
            parts.push(out.embedding);
        }
        if f.representation.handcrafted() {
            let h = f.handcrafted.len();
            let values: Vec<f32> = batch
                .host
                .iter()
                .flat_map(|s| f.handcrafted.values(s))
                .map(|v| v as f32)
                .collect();
            parts.push(Tensor::from_data(
                TensorData::new(values, [batch.host.len(), h]),
                &device,
            ));
        }
        (Tensor::cat(parts, 1), out.time_attention)
    }

    /// The score and `ρ_c` of every risky cluster.
    pub fn forward(&self, batch: &Batch) -> BehaviorClusterOutput {
        let f = &self.fingerprints;
        let device = batch.labels.device();
        let (raw, time_attention) = self.raw_vectors(batch);
        let [b, d] = raw.dims();
        let row = |v: &[f64]| {
            Tensor::<1>::from_data(
                TensorData::new(v.iter().map(|&x| x as f32).collect(), [v.len()]),
                &device,
            )
            .unsqueeze_dim::<2>(0)
        };
        let x = (raw - row(&f.center)) / row(&f.scale);
        let cluster_map = (!f.map.axes.is_empty()).then(|| {
            let axes = Tensor::<2>::from_data(TensorData::new(f.map.axes.clone(), [2, d]), &device);
            x.clone().matmul(axes.transpose())
        });
        if f.clusters.is_empty() {
            return BehaviorClusterOutput {
                logits: Tensor::full([b], logit(f.background_density), &device),
                cluster_reach: None,
                time_attention,
                cluster_map,
            };
        }
        let norms = x.clone().powi_scalar(2).sum_dim(1); // [B, 1]
        let reach: Vec<Tensor<2>> = f
            .clusters
            .iter()
            .map(|c| {
                let n = c.core_distances.len();
                let e =
                    Tensor::<2>::from_data(TensorData::new(c.exemplars.clone(), [n, d]), &device);
                let core =
                    Tensor::<1>::from_data(TensorData::new(c.core_distances.clone(), [n]), &device)
                        .unsqueeze_dim::<2>(0);
                let squared = norms.clone() + e.clone().powi_scalar(2).sum_dim(1).transpose()
                    - x.clone().matmul(e.transpose()) * 2.0;
                let distance = squared.clamp_min(0.0).sqrt();
                distance.max_pair(core).min_dim(1) * (c.birth as f32)
            })
            .collect();
        let reach = Tensor::cat(reach, 1); // [B, C]
        // the risky cluster of smallest ρ ≤ 1, else the background (the last column)
        let choice = Tensor::cat(vec![reach.clone(), Tensor::ones([b, 1], &device)], 1).argmin(1);
        let densities: Vec<f32> = f
            .clusters
            .iter()
            .map(|c| logit(c.fraud_density))
            .chain([logit(f.background_density)])
            .collect();
        let k = densities.len();
        let table = Tensor::<1>::from_data(TensorData::new(densities, [k]), &device)
            .unsqueeze_dim::<2>(0)
            .repeat_dim(0, b);
        BehaviorClusterOutput {
            logits: table.gather(1, choice).reshape([b]),
            cluster_reach: Some(reach),
            time_attention,
            cluster_map,
        }
    }
}

/// Where a scored session landed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterMatch {
    /// The risky cluster's label.
    pub label: i32,
    /// Its fraud density.
    pub fraud_density: f64,
    /// `ρ` (≤ 1).
    pub reach: f32,
    /// Its rules the session satisfies, in words.
    pub rules: Vec<String>,
}

impl Fingerprints {
    /// The risky cluster a session with `ρ` row `reach` landed in, and the rules it matches.
    pub fn explain(&self, session: &EncodedSession, reach: &[f32]) -> Option<ClusterMatch> {
        let (i, &r) = reach
            .iter()
            .enumerate()
            .filter(|&(_, &r)| r <= 1.0)
            .min_by(|a, b| a.1.total_cmp(b.1))?;
        let c = self.clusters.get(i)?;
        let values = self.handcrafted.values(session);
        let (names, integer) = self.handcrafted.describe_columns();
        Some(ClusterMatch {
            label: c.label,
            fraud_density: c.fraud_density,
            reach: r,
            rules: c
                .rules
                .iter()
                .filter(|rule| rule.matches(&values))
                .map(|rule| rule.describe(&names, &integer))
                .collect(),
        })
    }
}
