//! Gradient-boosted trees on aggregated session features, the papers' non-neural reference
//! point. The trees are grown natively by a maintained GBDT crate (`forust-ml`, in `native`)
//! and kept here as a plain ensemble of binary trees, so the model scores in every runtime
//! (wasm included) with a few comparisons per tree and no training code shipped.
//!
//! The aggregates of a session ([`Aggregates::features`]) are read off its encoding, so they
//! are the same wherever it is scored, and their number is bounded whatever the vocabularies'
//! sizes (a field of 10,000 merchants once made 30,000 columns and 10.8 GB of training
//! memory): the number of events; for each event categorical field, how many events carry
//! each of its [`TOP_VALUES`] most frequent training values (and the out-of-vocabulary bucket)
//! and whether the current event does, then the current value's frequency rank, how many
//! earlier events share it, and how many distinct values the session has; each profile field
//! as one number (a categorical's frequency rank, a numeric value or bucket); and the mean,
//! minimum, maximum and current value of every numeric event field.

use crate::encode::{Batch, EncodedSession, Encoder, NumericRead, OOV};
use crate::error::{self, Error};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// Values of each event categorical field counted one by one (most frequent first, as the
/// vocabulary orders them); rarer ones are read through their rank.
pub const TOP_VALUES: usize = 32;

/// How the aggregates read one profile slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProfileRead {
    /// A categorical field: its value's frequency rank (the OOV bucket past every value).
    Rank,
    /// A scaled numeric field: its standardised value.
    Value,
    /// A quantile-encoded numeric field: its bucket number.
    Bucket,
}

/// Which aggregate features the trees read, fixed by the encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregates {
    /// `V`: size of the feature dictionary.
    pub num_features: usize,
    /// For each event categorical slot (the first of the `F` slots per event), its first dictionary id and its number of ids
    /// (padding and OOV included).
    pub categorical_ids: Vec<(usize, usize)>,
    /// How each numeric event field is read from its slots ([`Encoder::event_numeric_reads`]):
    /// the value, the bucket number of a quantile-encoded field (ordered as the values, not the
    /// value 1 every bucket carries), or the sum of a PLE-encoded field's components.
    pub numeric: Vec<NumericRead>,
    /// For each profile slot, its first dictionary id, its number of ids and how it is read.
    pub profile_slots: Vec<(usize, usize, ProfileRead)>,
}

impl Aggregates {
    /// The aggregates of `encoder`'s sessions.
    pub fn of(encoder: &Encoder) -> Self {
        let cats = encoder.event_categorical_fields();
        let p = &encoder.schema.profile;
        let reads = p.categorical.iter().map(|_| ProfileRead::Rank).chain(
            encoder.profile_buckets.iter().map(|b| match b {
                Some(_) => ProfileRead::Bucket,
                None => ProfileRead::Value,
            }),
        );
        Self {
            num_features: encoder.num_features(),
            categorical_ids: (0..cats)
                .map(|j| {
                    let ids = encoder.event_categorical_ids(j);
                    (ids.start, ids.len())
                })
                .collect(),
            numeric: encoder.event_numeric_reads(),
            profile_slots: encoder
                .profile_slot_ids()
                .into_iter()
                .zip(reads)
                .map(|(ids, read)| (ids.start, ids.len(), read))
                .collect(),
        }
    }

    fn numeric_fields(&self) -> usize {
        self.numeric.len()
    }

    fn categorical_fields(&self) -> usize {
        self.categorical_ids.len()
    }

    /// How many ids of categorical slot `j` are counted one by one: the OOV bucket and the
    /// [`TOP_VALUES`] most frequent values (fewer when the vocabulary is smaller).
    fn counted(&self, j: usize) -> usize {
        (self.categorical_ids[j].1 - 1).min(TOP_VALUES + 1)
    }

    /// The first column of categorical slot `j`'s block: `counted` counts, `counted`
    /// current-value flags, then rank, seen-before and distinct.
    fn block(&self, j: usize) -> usize {
        1 + (0..j).map(|k| 2 * self.counted(k) + 3).sum::<usize>()
    }

    fn profile_start(&self) -> usize {
        self.block(self.categorical_fields())
    }

    /// The first of the four columns (mean, min, max, current) of numeric event field `j`.
    pub fn numeric_column(&self, j: usize) -> usize {
        self.profile_start() + self.profile_slots.len() + 4 * j
    }

    /// The column counting the events with dictionary id `id` in categorical slot `j`, when
    /// that value is counted one by one.
    pub fn count_column(&self, j: usize, id: usize) -> Option<usize> {
        let (first, _) = self.categorical_ids[j];
        let k = id.checked_sub(first + OOV as usize)?;
        (k < self.counted(j)).then(|| self.block(j) + k)
    }

    /// Number of aggregate features: `1 + Σ_fields (2·counted + 3) + profile slots +
    /// 4·(numeric event fields)`, at most `1 + (2·(TOP_VALUES + 1) + 3)·categorical + …`
    /// whatever the vocabularies' sizes.
    pub fn len(&self) -> usize {
        self.numeric_column(self.numeric_fields())
    }

    /// Whether there are none (never: the event count is always there).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// A readable name for each aggregate, in [`Aggregates::features`] order: `events`; per
    /// event categorical field `count(field=value)` and `current(field=value)` of its counted
    /// values, `rank(field)`, `seen_before(field)`, `distinct(field)`; per profile field
    /// `rank(profile.field)`, `profile.field` or `bucket(profile.field)`; then `mean(field)`,
    /// `min(field)`, `max(field)`, `current(field)` of each numeric event field (normalised
    /// values, or bucket numbers). `encoder` must be the one these aggregates were made for.
    pub fn names(&self, encoder: &Encoder) -> Vec<String> {
        let dictionary = encoder.feature_names();
        let fields = encoder.event_field_names();
        let mut names = vec!["events".to_string()];
        for (j, &(first, _)) in self.categorical_ids.iter().enumerate() {
            let values = &dictionary[first + OOV as usize..first + OOV as usize + self.counted(j)];
            names.extend(values.iter().map(|d| format!("count({d})")));
            names.extend(values.iter().map(|d| format!("current({d})")));
            let f = &fields[j];
            names.extend([
                format!("rank({f})"),
                format!("seen_before({f})"),
                format!("distinct({f})"),
            ]);
        }
        let profile = encoder.profile_field_names();
        for (f, (_, _, read)) in profile.iter().zip(&self.profile_slots) {
            names.push(match read {
                ProfileRead::Rank => format!("rank(profile.{f})"),
                ProfileRead::Value => format!("profile.{f}"),
                ProfileRead::Bucket => format!("bucket(profile.{f})"),
            });
        }
        for f in &fields[self.categorical_fields()..] {
            names.extend(["mean", "min", "max", "current"].map(|s| format!("{s}({f})")));
        }
        names
    }

    /// One session's aggregates (see the module documentation for the layout). A value the
    /// session lacks (no current event, a missing profile field) is NaN, which the trees send
    /// down their `missing` branch.
    pub fn features(&self, s: &EncodedSession) -> Vec<f64> {
        let c = self.categorical_fields();
        let f = c + self.numeric.iter().map(NumericRead::width).sum::<usize>();
        let mut out = vec![0.0; self.len()];
        let real: Vec<usize> = (0..s.event_mask.len())
            .filter(|&t| s.event_mask[t] != 0.0)
            .collect();
        out[0] = real.len() as f64;
        for (j, &(first, ids)) in self.categorical_ids.iter().enumerate() {
            let (block, counted) = (self.block(j), self.counted(j));
            // the slot's ids over the events, 0 for missing, within the slot's range
            let seq: Vec<usize> = real
                .iter()
                .map(|&t| s.event_index[t * f + j])
                .map(|i| match usize::try_from(i) {
                    Ok(i) if (first..first + ids).contains(&i) => i - first,
                    _ => 0,
                })
                .collect();
            for (k, &id) in seq.iter().enumerate() {
                if id >= OOV as usize && id - (OOV as usize) < counted {
                    out[block + id - OOV as usize] += 1.0;
                    if k + 1 == seq.len() {
                        out[block + counted + id - OOV as usize] = 1.0;
                    }
                }
            }
            let tail = block + 2 * counted;
            out[tail] = match seq.last() {
                None | Some(0) => f64::NAN,
                Some(&id) if id == OOV as usize => ids as f64,
                Some(&id) => id as f64,
            };
            out[tail + 1] = match seq.split_last() {
                Some((&id, earlier)) if id != 0 => {
                    earlier.iter().filter(|&&e| e == id).count() as f64
                }
                _ => 0.0,
            };
            let mut distinct: Vec<usize> = seq.iter().copied().filter(|&i| i != 0).collect();
            distinct.sort_unstable();
            distinct.dedup();
            out[tail + 2] = distinct.len() as f64;
        }
        let profile = self.profile_start();
        for (p, &(first, ids, read)) in self.profile_slots.iter().enumerate() {
            let (i, x) = (s.profile_index.get(p), s.profile_value.get(p));
            let id = i
                .and_then(|&i| usize::try_from(i).ok())
                .filter(|i| (first..first + ids).contains(i))
                .map(|i| i - first);
            out[profile + p] = match (read, id) {
                (_, None) => f64::NAN,
                // a scaled field's one id is its first
                (ProfileRead::Value, Some(_)) => x.map_or(f64::NAN, |&x| f64::from(x)),
                (_, Some(0)) => f64::NAN,
                (ProfileRead::Rank, Some(id)) if id == OOV as usize => ids as f64,
                (_, Some(id)) => id as f64,
            };
        }
        let mut first_slot = c;
        for j in 0..self.numeric_fields() {
            let slot = |t: usize| t * f + first_slot;
            let values: Vec<f64> = match self.numeric[j] {
                NumericRead::Value => real
                    .iter()
                    .map(|&t| f64::from(s.event_value[slot(t)]))
                    .collect(),
                // bucket numbers of the events that carry the field (index 0: missing)
                NumericRead::Bucket { first_id } => real
                    .iter()
                    .map(|&t| s.event_index[slot(t)])
                    .filter(|&i| i > 0)
                    .map(|i| (i as usize).saturating_sub(first_id) as f64)
                    .collect(),
                // the components' sum, of the events that carry the field
                NumericRead::Ple { width } => real
                    .iter()
                    .map(|&t| slot(t)..slot(t) + width)
                    .filter(|r| s.event_index[r.clone()].iter().any(|&i| i > 0))
                    .map(|r| s.event_value[r].iter().map(|&e| f64::from(e)).sum())
                    .collect(),
            };
            first_slot += self.numeric[j].width();
            if let Some(&last) = values.last() {
                let at = self.numeric_column(j);
                let stats = &mut out[at..at + 4];
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

    /// The fixture read as one categorical slot (ids 0..4, so id 1 is its OOV bucket) and one
    /// numeric: event 1 has id 1 and x = 2, event 2 id 3 and x missing; the profile a scaled
    /// field (its one id 4, x = 1).
    fn aggregates() -> Aggregates {
        Aggregates {
            num_features: fixture::NUM_FEATURES,
            categorical_ids: vec![(0, 4)],
            numeric: vec![NumericRead::Value],
            profile_slots: vec![(4, 1, ProfileRead::Value)],
        }
    }

    #[test]
    fn aggregates_by_hand() {
        let device = Device::flex();
        let a = aggregates();
        // events, 3 counts + 3 current flags + rank, seen_before, distinct, profile, 4 stats
        assert_eq!(a.len(), 1 + 9 + 1 + 4);
        let got = a.features(&fixture::batch(&device).host[0]);
        let expected = [
            2.0, // events
            1.0, 0.0, 1.0, // count(OOV), count(id 2), count(id 3)
            0.0, 0.0, 1.0, // the current event has id 3
            3.0, // rank(current)
            0.0, // no earlier event has id 3
            2.0, // distinct
            1.0, // the profile's value
            1.0, 0.0, 2.0, 0.0, // mean, min, max, current (missing reads 0, the mean)
        ];
        assert_eq!(got, expected);
        assert_eq!(a.count_column(0, 3), Some(3));
        assert_eq!(a.count_column(0, 0), None, "padding is never counted");
        assert_eq!(a.numeric_column(0), 11);
    }

    /// Ranks and repeats over a real encoder: a value seen before in the session counts its
    /// earlier events, an unseen one ranks past every training value, a session without events
    /// has no current value (NaN).
    #[test]
    fn current_value_rank_and_repeats() {
        let (encoder, sessions) = crate::models::test_sessions::encoder(20);
        let a = Aggregates::of(&encoder);
        let names = a.names(&encoder);
        let col = |n: &str| names.iter().position(|x| x == n).unwrap();
        let mut s = sessions[0].clone();
        let last = s.events.len() - 1;
        let current = s.events[last].values.categorical[0].clone();
        let kept = s.events.len().saturating_sub(encoder.max_events());
        let repeats = s.events[kept..last]
            .iter()
            .filter(|e| e.values.categorical[0] == current)
            .count();
        let f = a.features(&encoder.encode(&s));
        assert_eq!(f[col("seen_before(event_type)")], repeats as f64);
        s.events[last].values.categorical[0] = Some("never-seen".into());
        let f = a.features(&encoder.encode(&s));
        assert_eq!(
            f[col("rank(event_type)")],
            encoder.event_vocabs[0].len() as f64
        );
        assert_eq!(f[col("seen_before(event_type)")], 0.0);
        s.events.clear();
        let f = a.features(&encoder.encode(&s));
        assert!(f[col("rank(event_type)")].is_nan());
        assert_eq!(f[0], 0.0);
    }

    /// A quantile-encoded field's statistics are bucket numbers (ordered as the values), not
    /// the value 1 every bucket carries: trained on amounts 0..=9 in 4 buckets (edges 2, 4, 6,
    /// as `quantile_edges_by_hand` has them), a session with amounts 0.5, missing, 5 and 9 reads
    /// buckets 1, 3 and 4 (the missing one skipped): mean 8/3, min 1, max 4, current 4.
    #[test]
    fn bucketed_fields_read_bucket_numbers() {
        let schema = crate::schema::Schema::from_toml(
            "time_features = false\nnumeric_encoding = 'quantile'\nbins = 4\nmax_events = 4\n[timestamp]\nfield = 'ts'\n[[event.numeric]]\nname = 'amount'\n",
        )
        .unwrap();
        let event = |ts: f64, amount: Option<f64>| crate::schema::Event {
            ts,
            values: crate::schema::FieldValues {
                categorical: Box::default(),
                numeric: Box::new([amount]),
                text: Box::default(),
            },
            planted: false,
        };
        let train = crate::schema::Session {
            entity: None,
            id: "a".into(),
            label: Some(true),
            profile: Default::default(),
            events: (0..10)
                .map(|i| event(f64::from(i), Some(f64::from(i))))
                .collect(),
        };
        let encoder = Encoder::fit(&schema, &[&train]).unwrap();
        assert_eq!(
            encoder.event_buckets[0].as_deref(),
            Some(&[2.0, 4.0, 6.0][..])
        );
        let a = Aggregates::of(&encoder);
        assert_eq!(
            a.names(&encoder),
            [
                "events",
                "mean(amount)",
                "min(amount)",
                "max(amount)",
                "current(amount)"
            ]
        );
        let mut s = train.clone();
        s.events = vec![
            event(0.0, Some(0.5)),
            event(1.0, None),
            event(2.0, Some(5.0)),
            event(3.0, Some(9.0)),
        ];
        // buckets 1, (missing), 3, 4
        assert_eq!(
            a.features(&encoder.encode(&s)),
            [4.0, 8.0 / 3.0, 1.0, 4.0, 4.0]
        );
    }

    /// The feature count does not grow with a field's vocabulary: 100,000 values of one field
    /// give as many columns as 40.
    #[test]
    fn feature_count_is_bounded_for_a_100_000_value_field() {
        let schema = crate::schema::Schema::from_toml(
            "time_features = false\n[timestamp]\nfield = 'ts'\n[[event.categorical]]\nname = 'merchant'\n[[event.numeric]]\nname = 'amount'\n",
        )
        .unwrap();
        let sessions = |values: usize| -> Vec<crate::schema::Session> {
            (0..values)
                .map(|i| crate::schema::Session {
                    entity: None,
                    id: i.to_string(),
                    label: Some(i % 2 == 0),
                    profile: Default::default(),
                    events: vec![crate::schema::Event {
                        ts: i as f64,
                        values: crate::schema::FieldValues {
                            categorical: Box::new([Some(compact_str::format_compact!("m{i}"))]),
                            numeric: Box::new([Some(i as f64)]),
                            text: Box::default(),
                        },
                        planted: false,
                    }],
                })
                .collect()
        };
        let len = |values: usize| {
            let s = sessions(values);
            let refs: Vec<_> = s.iter().collect();
            let encoder = Encoder::fit(&schema, &refs).unwrap();
            assert_eq!(encoder.event_vocabs[0].len(), values + 2);
            let a = Aggregates::of(&encoder);
            assert_eq!(a.names(&encoder).len(), a.len());
            (a.len(), a.features(&encoder.encode(&s[values - 1])).len())
        };
        let bound = 1 + (2 * (TOP_VALUES + 1) + 3) + 4;
        assert_eq!(len(100_000), (bound, bound));
        assert_eq!(len(40), (bound, bound));
        assert_eq!(len(10).0, 1 + (2 * 11 + 3) + 4);
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
                    split(13, 1.0, 3, 4),
                    leaf(0.5),
                    leaf(2.0),
                ],
                vec![split(3, 0.5, 1, 2), leaf(-3.0), leaf(3.0)],
            ],
        };
        ensemble.check(15).unwrap();
        let model = GbdtConfig::new(aggregates()).with_ensemble(ensemble).init();
        assert_eq!(
            fixture::logit(model.forward(&fixture::batch(&device))),
            5.25
        );
        let nan = vec![f64::NAN; 15];
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
