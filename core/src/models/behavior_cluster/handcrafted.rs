//! The intuitive half of the hybrid representation (§3.3): handcrafted session features with
//! readable names and values in the data's own units, which the clustering reads next to the
//! sequence embedding and the rule explanations are written in.
//!
//! They are a readable subset of the GBDT's [`Aggregates`] (so one code path computes them
//! everywhere): `events` (session length); `count(field=value)` for every value of each event
//! categorical field with at most [`MAX_COUNTED_VALUES`] values (page and event-type counts,
//! traffic source, result…); and per event numeric field its typical and largest value,
//! mapped back from the encoder's normalisation to the field's unit: `mean(x)` and `max(x)`
//! for a plain field, `geomean(x)` (`exp(mean(ln(1 + x))) − 1`) and `max(x)` for a `log1p`
//! one. The derived inter-event gap reads `gap_s` (seconds).

use crate::encode::{EncodedSession, Encoder, NumericStats};
use crate::models::baselines::Aggregates;
use crate::schema::{LOG_GAP, Transform};
use serde::{Deserialize, Serialize};

/// Event categorical fields with more values than this (merchants, countries…) are not
/// counted value by value.
pub const MAX_COUNTED_VALUES: usize = 16;

/// One handcrafted column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandcraftedColumn {
    /// Readable name (`count(page=checkout)`, `geomean(dwell_ms)`).
    pub name: String,
    /// The aggregate it reads.
    pub aggregate: usize,
    /// For a numeric statistic: the normalisation to undo, `x = t⁻¹(v·σ + μ)`.
    pub unit: Option<(NumericStats, Transform)>,
}

/// The handcrafted features of an encoder's sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Handcrafted {
    /// The aggregates they are read from (boxed: the model configuration enum keeps its
    /// variants of comparable size).
    pub aggregates: Option<Box<Aggregates>>,
    /// The columns, in order.
    pub columns: Vec<HandcraftedColumn>,
}

impl Handcrafted {
    /// The columns for `encoder`'s sessions.
    pub fn for_encoder(encoder: &Encoder) -> Self {
        let aggregates = Aggregates::of(encoder);
        let names = aggregates.names(encoder);
        let mut columns = vec![HandcraftedColumn {
            name: "events".into(),
            aggregate: 0,
            unit: None,
        }];
        for (slot, vocab) in encoder.event_vocabs.iter().enumerate() {
            if vocab.len() > MAX_COUNTED_VALUES + 2 {
                continue;
            }
            // the `<pad>` id is never written: skip it
            for id in encoder.event_categorical_ids(slot).skip(1) {
                if let Some(aggregate) = aggregates.count_column(slot, id) {
                    columns.push(HandcraftedColumn {
                        name: names[aggregate].clone(),
                        aggregate,
                        unit: None,
                    });
                }
            }
        }
        let numerics = encoder.event_numerics();
        for (j, (stats, (name, transform))) in encoder.event_stats.iter().zip(numerics).enumerate()
        {
            // `log_gap` is named by what its mean reads: seconds
            let name = if name == LOG_GAP {
                "gap_s".into()
            } else {
                name
            };
            // a quantile-encoded field's aggregates are bucket numbers, read as such
            let bucketed = encoder.event_buckets[j].is_some();
            let mean = match (bucketed, transform) {
                (true, _) => format!("mean(bucket({name}))"),
                (false, Transform::Identity) => format!("mean({name})"),
                (false, Transform::Log1p | Transform::Log) => format!("geomean({name})"),
            };
            let max = match bucketed {
                true => format!("max(bucket({name}))"),
                false => format!("max({name})"),
            };
            for (k, label) in [(0, mean), (2, max)] {
                columns.push(HandcraftedColumn {
                    name: label,
                    aggregate: aggregates.numeric_column(j) + k,
                    unit: (!bucketed).then_some((*stats, transform)),
                });
            }
        }
        Self {
            aggregates: Some(Box::new(aggregates)),
            columns,
        }
    }

    /// How many columns.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// The column names.
    pub fn names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// The column names and, per column, whether it holds integers (the counts), for
    /// [`crate::cluster::rules::Rule::describe`].
    pub fn describe_columns(&self) -> (Vec<String>, Vec<bool>) {
        (
            self.names(),
            self.columns.iter().map(|c| c.unit.is_none()).collect(),
        )
    }

    /// One session's values, in the data's units.
    pub fn values(&self, s: &EncodedSession) -> Vec<f64> {
        let Some(aggregates) = &self.aggregates else {
            return vec![];
        };
        let all = aggregates.features(s);
        self.columns
            .iter()
            .map(|c| {
                let v = all[c.aggregate];
                match &c.unit {
                    // sessions without events have every statistic 0 (the mean value)
                    Some((stats, transform)) if all[0] > 0.0 => {
                        transform.invert(v * stats.std + stats.mean)
                    }
                    Some(_) => 0.0,
                    None => v,
                }
            })
            .collect()
    }
}
