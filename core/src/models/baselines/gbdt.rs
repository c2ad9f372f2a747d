//! Gradient-boosted trees on aggregated session features, the papers' non-neural reference
//! point. The trees are grown natively by a maintained GBDT crate (`forust-ml`, in `native`)
//! and kept here as a plain ensemble of binary trees, so the model scores in every runtime
//! (wasm included) with a few comparisons per tree and no training code shipped.
//!
//! The aggregates of a session ([`Aggregates::features`]) are read off its encoding, so they
//! are the same wherever it is scored: the number of events; for every value of the
//! dictionary, how many events carry it and whether the current event does; the profile's
//! values; and the mean, minimum, maximum and current value of every numeric event field.

use crate::encode::{Batch, EncodedSession, Encoder};
use crate::error::{self, Error};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// Which aggregate features the trees read, fixed by the encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregates {
    /// `V`: size of the feature dictionary.
    pub num_features: usize,
    /// `F`: field slots per event.
    pub event_fields: usize,
    /// How many of the `F` slots (the first ones) are categorical.
    pub categorical_fields: usize,
}

impl Aggregates {
    /// The aggregates of `encoder`'s sessions.
    pub fn of(encoder: &Encoder) -> Self {
        Self {
            num_features: encoder.num_features(),
            event_fields: encoder.event_fields(),
            categorical_fields: encoder.event_categorical_fields(),
        }
    }

    fn numeric_fields(&self) -> usize {
        self.event_fields - self.categorical_fields
    }

    /// Number of aggregate features: `1 + 3V + 4·(numeric event fields)`.
    pub fn len(&self) -> usize {
        1 + 3 * self.num_features + 4 * self.numeric_fields()
    }

    /// Whether there are none (never: the event count is always there).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// A readable name for each aggregate, in [`Aggregates::features`] order: `events`,
    /// `count(field=value)`, `current(field=value)`, `profile(field=value)` over the feature
    /// dictionary, then `mean(field)`, `min(field)`, `max(field)`, `current(field)` of each
    /// numeric event field (normalised values). `encoder` must be the one these aggregates
    /// were made for.
    pub fn names(&self, encoder: &Encoder) -> Vec<String> {
        let dictionary = encoder.feature_names();
        let numeric = &encoder.event_field_names()[self.categorical_fields..];
        std::iter::once("events".to_string())
            .chain(dictionary.iter().map(|d| format!("count({d})")))
            .chain(dictionary.iter().map(|d| format!("current({d})")))
            .chain(dictionary.iter().map(|d| format!("profile({d})")))
            .chain(
                numeric
                    .iter()
                    .flat_map(|f| ["mean", "min", "max", "current"].map(|s| format!("{s}({f})"))),
            )
            .collect()
    }

    /// One session's aggregates (see the module documentation for the layout).
    pub fn features(&self, s: &EncodedSession) -> Vec<f64> {
        let (v, f, c) = (
            self.num_features,
            self.event_fields,
            self.categorical_fields,
        );
        let mut out = vec![0.0; self.len()];
        let real: Vec<usize> = (0..s.event_mask.len())
            .filter(|&t| s.event_mask[t] != 0.0)
            .collect();
        out[0] = real.len() as f64;
        let id = |i: i64| (i.max(0) as usize).min(v - 1);
        for (k, &t) in real.iter().enumerate() {
            let row = t * f;
            let current = k + 1 == real.len();
            for &i in &s.event_index[row..row + c] {
                if i > 0 {
                    out[1 + id(i)] += 1.0;
                    if current {
                        out[1 + v + id(i)] = 1.0;
                    }
                }
            }
        }
        for (&i, &x) in s.profile_index.iter().zip(&s.profile_value) {
            if i > 0 {
                out[1 + 2 * v + id(i)] = f64::from(x);
            }
        }
        let numeric = 1 + 3 * v;
        for j in 0..self.numeric_fields() {
            let values: Vec<f64> = real
                .iter()
                .map(|&t| f64::from(s.event_value[t * f + c + j]))
                .collect();
            if let Some(&last) = values.last() {
                let stats = &mut out[numeric + 4 * j..numeric + 4 * j + 4];
                stats[0] = values.iter().sum::<f64>() / values.len() as f64;
                stats[1] = values.iter().copied().fold(f64::INFINITY, f64::min);
                stats[2] = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                stats[3] = last;
            }
        }
        out
    }
}

/// A node of a binary decision tree: a split (`row[feature] < threshold` goes left, else
/// right, NaN to `missing`) or, when `leaf`, an output `value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeNode {
    /// Whether this is a leaf.
    pub leaf: bool,
    /// The leaf's output (log-odds).
    pub value: f64,
    /// The split's feature column.
    pub feature: usize,
    /// The split's threshold.
    pub threshold: f64,
    /// Child for `row[feature] < threshold`.
    pub left: usize,
    /// Child for `row[feature] ≥ threshold`.
    pub right: usize,
    /// Child for a missing (NaN) value.
    pub missing: usize,
}

/// A tree ensemble: `logit = base_score + Σ_trees leaf value`. Node 0 is each tree's root and
/// children come after their parent, so walking a tree always ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TreeEnsemble {
    /// The initial log-odds.
    pub base_score: f64,
    /// The trees, each a list of nodes.
    pub trees: Vec<Vec<TreeNode>>,
}

impl TreeEnsemble {
    /// Check that every split reads a column below `columns` and every child comes after its
    /// parent inside its tree (an artifact that fails this is rejected, not walked).
    pub fn check(&self, columns: usize) -> error::Result<()> {
        for (t, tree) in self.trees.iter().enumerate() {
            if tree.is_empty() {
                return Err(Error::Model(format!("GBDT tree {t} has no node")));
            }
            for (n, node) in tree.iter().enumerate() {
                let children = [node.left, node.right, node.missing];
                if !node.leaf
                    && (node.feature >= columns
                        || children.iter().any(|&c| c <= n || c >= tree.len()))
                {
                    return Err(Error::Model(format!(
                        "GBDT tree {t} node {n} is malformed (feature {} of {columns}, children {children:?} of {})",
                        node.feature,
                        tree.len()
                    )));
                }
            }
        }
        Ok(())
    }

    /// The log-odds of one row (the ensemble must have passed [`TreeEnsemble::check`]).
    pub fn predict(&self, row: &[f64]) -> f64 {
        self.base_score
            + self
                .trees
                .iter()
                .map(|tree| {
                    let mut n = 0;
                    while !tree[n].leaf {
                        let node = &tree[n];
                        let x = row[node.feature];
                        n = if x.is_nan() {
                            node.missing
                        } else if x < node.threshold {
                            node.left
                        } else {
                            node.right
                        };
                    }
                    tree[n].value
                })
                .sum::<f64>()
    }
}

/// Configuration of [`Gbdt`]: the aggregates and the trained trees (an empty ensemble before
/// training, which scores every session at `base_score`).
#[derive(Config, Debug)]
pub struct GbdtConfig {
    /// What the trees read.
    pub aggregates: Aggregates,
    /// The trees.
    #[config(default = "TreeEnsemble::default()")]
    pub ensemble: TreeEnsemble,
}

impl GbdtConfig {
    /// Build the model.
    pub fn init(&self) -> Gbdt {
        Gbdt {
            aggregates: self.aggregates.clone(),
            ensemble: self.ensemble.clone(),
        }
    }
}

/// The GBDT baseline as a model: no tensor parameters, the trees walk the host-side sessions.
#[derive(Module, Debug)]
pub struct Gbdt {
    /// What the trees read.
    #[module(skip)]
    pub aggregates: Aggregates,
    /// The trees.
    #[module(skip)]
    pub ensemble: TreeEnsemble,
}

impl Gbdt {
    /// Logits `[B]`.
    pub fn forward(&self, batch: &Batch) -> Tensor<1> {
        let logits: Vec<f32> = batch
            .host
            .iter()
            .map(|s| self.ensemble.predict(&self.aggregates.features(s)) as f32)
            .collect();
        let n = logits.len();
        Tensor::from_data(TensorData::new(logits, [n]), &batch.labels.device())
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    fn aggregates() -> Aggregates {
        Aggregates {
            num_features: fixture::NUM_FEATURES,
            event_fields: 2,
            categorical_fields: 1,
        }
    }

    /// The fixture read as one categorical and one numeric field: event 1 has id 1 and
    /// x = 2, event 2 id 3 and x = 0 (missing), the profile id 4 with x = 1.
    #[test]
    fn aggregates_by_hand() {
        let device = Device::flex();
        let a = aggregates();
        assert_eq!(a.len(), 1 + 15 + 4);
        let got = a.features(&fixture::batch(&device).host[0]);
        let mut expected = vec![0.0; 20];
        expected[0] = 2.0; // events
        expected[1 + 1] = 1.0; // count(id 1)
        expected[1 + 3] = 1.0; // count(id 3)
        expected[6 + 3] = 1.0; // current(id 3)
        expected[11 + 4] = 1.0; // profile id 4
        expected[16..20].copy_from_slice(&[1.0, 0.0, 2.0, 0.0]); // mean, min, max, current
        assert_eq!(got, expected);
    }

    /// Names line up with the features: a real encoder's session, read by name.
    #[test]
    fn names_line_up_with_features() {
        let (encoder, sessions) = crate::models::test_sessions::encoder(20);
        let a = Aggregates::of(&encoder);
        let names = a.names(&encoder);
        assert_eq!(names.len(), a.len());
        let s = &sessions[0];
        let f = a.features(&encoder.encode(s));
        let by_name = |n: &str| f[names.iter().position(|x| x == n).unwrap()];
        assert_eq!(by_name("events"), s.events.len().min(20) as f64);
        let kept = &s.events[s.events.len().saturating_sub(20)..];
        let first = kept[0].values.categorical[0].clone().unwrap();
        let count = kept
            .iter()
            .filter(|e| e.values.categorical[0].as_deref() == Some(first.as_str()))
            .count();
        assert_eq!(by_name(&format!("count(event_type={first})")), count as f64);
        assert!(names.contains(&"mean(dwell_ms)".to_string()));
    }

    fn split(feature: usize, threshold: f64, left: usize, right: usize) -> TreeNode {
        TreeNode {
            leaf: false,
            value: 0.0,
            feature,
            threshold,
            left,
            right,
            missing: right,
        }
    }

    fn leaf(value: f64) -> TreeNode {
        TreeNode {
            leaf: true,
            value,
            feature: 0,
            threshold: 0.0,
            left: 0,
            right: 0,
            missing: 0,
        }
    }

    /// `events < 1.5 → −1 else (max < 1 → 0.5 else 2)` plus a stump on `count(id 3)`:
    /// the fixture has 2 events, max 2 and one id 3, so `0.25 + 2 + 3`.
    #[test]
    fn trees_walk_by_hand_and_the_model_scores_the_batch() {
        let device = Device::flex();
        let ensemble = TreeEnsemble {
            base_score: 0.25,
            trees: vec![
                vec![
                    split(0, 1.5, 1, 2),
                    leaf(-1.0),
                    split(18, 1.0, 3, 4),
                    leaf(0.5),
                    leaf(2.0),
                ],
                vec![split(4, 0.5, 1, 2), leaf(-3.0), leaf(3.0)],
            ],
        };
        ensemble.check(20).unwrap();
        let model = GbdtConfig::new(aggregates()).with_ensemble(ensemble).init();
        assert_eq!(
            fixture::logit(model.forward(&fixture::batch(&device))),
            5.25
        );
        let nan = vec![f64::NAN; 20];
        assert_eq!(model.ensemble.predict(&nan), 0.25 + 2.0 + 3.0);
    }

    #[test]
    fn malformed_trees_are_rejected() {
        let cycle = TreeEnsemble {
            base_score: 0.0,
            trees: vec![vec![split(0, 1.0, 0, 1), leaf(1.0)]],
        };
        assert!(cycle.check(5).is_err());
        let wide = TreeEnsemble {
            base_score: 0.0,
            trees: vec![vec![split(9, 1.0, 1, 2), leaf(1.0), leaf(2.0)]],
        };
        assert!(wide.check(5).unwrap_err().to_string().contains("feature 9"));
        assert!(TreeEnsemble::default().check(5).is_ok());
    }
}
