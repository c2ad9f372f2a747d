//! Drift monitoring: what the training data looked like, kept in the artifact, and how far new
//! sessions have moved from it, as the population stability index (PSI) of credit-risk model
//! governance, per field and for the score.
//!
//! Each monitored field — every categorical and numeric field of the events and of the
//! profile — gets bins fixed at training time: a categorical field its [`TOP_VALUES`] most
//! frequent values by name, the rest of its vocabulary, values outside the vocabulary (unseen,
//! or rarer than `min_count`) and missing; a numeric field the deciles of its training values
//! and missing; the score (the model's own, `raw_score`) the deciles of the validation scores.
//! [`Counts`] count new sessions into the same bins — only counts, so a page or an edge worker
//! can keep them and report drift without sending any event — and [`DriftReport`] compares
//! them with the training shares.

use crate::encode::{Encoder, OOV, PAD};
use crate::schema::{FieldValues, Session};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Categorical values counted by name; the others share a bin.
pub const TOP_VALUES: usize = 20;
/// Quantile bins of a numeric field and of the score.
pub const NUMERIC_BINS: usize = 10;
/// Smallest share a bin is given in the PSI, so that an empty bin on either side counts as
/// a large change rather than an infinite one.
pub const PSI_FLOOR: f64 = 1e-4;

/// Where a field's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// A field of every event.
    Event,
    /// A field of the session's profile.
    Profile,
    /// The model's score.
    Score,
}

/// How values fall into bins; the last bin of every field is "missing".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Bins {
    /// Categorical field `field` of its group: the `values` by name, then the rest of the
    /// vocabulary, then values outside it.
    Categorical {
        /// Index among the group's categorical fields.
        field: usize,
        /// The values counted by name (as the encoder keys them: hashed fields by bucket).
        values: Vec<String>,
    },
    /// Numeric field `field` of its group (or the score): bins split at the ascending `edges`
    /// (a value equal to an edge goes above it).
    Numeric {
        /// Index among the group's numeric fields (0 for the score).
        field: usize,
        /// Inner edges.
        edges: Vec<f64>,
    },
}

impl Bins {
    /// Number of bins, missing included.
    pub fn len(&self) -> usize {
        match self {
            Self::Categorical { values, .. } => values.len() + 3,
            Self::Numeric { edges, .. } => edges.len() + 2,
        }
    }

    /// Whether there are no bins (never: missing is always one).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// A readable name for each bin.
    pub fn labels(&self) -> Vec<String> {
        let mut out: Vec<String> = match self {
            Self::Categorical { values, .. } => values
                .iter()
                .cloned()
                .chain(["(other known values)".into(), "(unseen in training)".into()])
                .collect(),
            Self::Numeric { edges, .. } => {
                let g = |x: f64| format!("{x:.4}");
                (0..=edges.len())
                    .map(|i| match (i, edges.len()) {
                        (_, 0) => "(all)".into(),
                        (0, _) => format!("< {}", g(edges[0])),
                        (i, n) if i == n => format!("≥ {}", g(edges[n - 1])),
                        (i, _) => format!("[{}, {})", g(edges[i - 1]), g(edges[i])),
                    })
                    .collect()
            }
        };
        out.push("(missing)".into());
        out
    }

    fn numeric_bin(edges: &[f64], x: f64) -> usize {
        edges.partition_point(|&e| e <= x)
    }
}

/// One monitored field (or the score) as training saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldReference {
    /// The field's name (`score` for the score).
    pub name: String,
    /// Where its values are.
    pub scope: Scope,
    /// Its bins.
    pub bins: Bins,
    /// The share of training values in each bin (missing last), summing to 1.
    pub expected: Vec<f64>,
}

/// What the training data looked like: every monitored field and the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// The event fields, then the profile fields.
    pub fields: Vec<FieldReference>,
    /// The model's score on the validation split.
    pub score: Option<FieldReference>,
}

fn deciles(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    let mut edges: Vec<f64> = (1..NUMERIC_BINS)
        .filter_map(|k| values.get(k * values.len() / NUMERIC_BINS).copied())
        .collect();
    edges.dedup();
    // an edge at the minimum would leave the first bin empty by construction
    if edges.first() == values.first() {
        edges.remove(0);
    }
    edges
}

/// The values of one field across sessions: each event's for an event field, the profile's for
/// a profile field.
fn group_values<'a>(
    sessions: &'a [&'a Session],
    scope: Scope,
) -> Box<dyn Iterator<Item = &'a FieldValues> + 'a> {
    match scope {
        Scope::Event => Box::new(
            sessions
                .iter()
                .flat_map(|s| s.events.iter().map(|e| &e.values)),
        ),
        _ => Box::new(sessions.iter().map(|s| &s.profile)),
    }
}

impl Reference {
    /// Fit on the training sessions (with the encoder fitted on them) and the model's
    /// validation scores.
    pub fn fit(encoder: &Encoder, sessions: &[&Session], valid_scores: &[f64]) -> Self {
        let schema = &encoder.schema;
        let mut fields = Vec::new();
        for (scope, group) in [
            (Scope::Event, &schema.event),
            (Scope::Profile, &schema.profile),
        ] {
            for (j, spec) in group.categorical.iter().enumerate() {
                let mut counts: HashMap<String, usize> = HashMap::new();
                for v in group_values(sessions, scope) {
                    if let Some(Some(v)) = v.categorical.get(j) {
                        *counts.entry(spec.key(v).into_owned()).or_default() += 1;
                    }
                }
                let vocab = vocab_of(encoder, scope, j);
                let mut known: Vec<(String, usize)> = counts
                    .into_iter()
                    .filter(|(k, _)| vocab.is_some_and(|v| v.id(Some(k)) >= 2))
                    .collect();
                known.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                known.truncate(TOP_VALUES);
                fields.push(FieldReference {
                    name: spec.name.clone(),
                    scope,
                    bins: Bins::Categorical {
                        field: j,
                        values: known.into_iter().map(|(k, _)| k).collect(),
                    },
                    expected: Vec::new(),
                });
            }
            for (j, spec) in group.numeric.iter().enumerate() {
                let values: Vec<f64> = group_values(sessions, scope)
                    .filter_map(|v| v.numeric.get(j).copied().flatten())
                    .collect();
                fields.push(FieldReference {
                    name: spec.name.clone(),
                    scope,
                    bins: Bins::Numeric {
                        field: j,
                        edges: deciles(values),
                    },
                    expected: Vec::new(),
                });
            }
        }
        let score = (!valid_scores.is_empty()).then(|| FieldReference {
            name: "score".into(),
            scope: Scope::Score,
            bins: Bins::Numeric {
                field: 0,
                edges: deciles(valid_scores.to_vec()),
            },
            expected: Vec::new(),
        });
        let mut reference = Self { fields, score };
        let mut counts = Counts::new(&reference);
        for s in sessions {
            counts.add_session(&reference, encoder, s);
        }
        for &x in valid_scores {
            counts.add_score(&reference, x);
        }
        for (f, c) in reference.fields.iter_mut().zip(&counts.fields) {
            f.expected = c.shares();
        }
        if let (Some(f), Some(c)) = (reference.score.as_mut(), counts.score.as_ref()) {
            f.expected = c.shares();
        }
        reference
    }

    /// What is wrong with the reference, if anything (an artifact's is checked on load): each
    /// field's shares match its bins, are finite and non-negative, and numeric edges rise.
    pub fn check(&self) -> Result<(), String> {
        for f in self.fields.iter().chain(&self.score) {
            if f.expected.len() != f.bins.len()
                || f.expected.iter().any(|x| !x.is_finite() || *x < 0.0)
            {
                return Err(format!(
                    "monitoring reference of `{}` does not hold together",
                    f.name
                ));
            }
            if let Bins::Numeric { edges, .. } = &f.bins
                && edges
                    .windows(2)
                    .any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less))
            {
                return Err(format!("monitoring edges of `{}` do not rise", f.name));
            }
        }
        Ok(())
    }
}

impl FieldReference {
    /// The bin of this field's value in one event's or profile's values (the last bin when
    /// it is missing).
    fn bin_of(&self, encoder: &Encoder, values: &FieldValues) -> usize {
        let missing = self.bins.len() - 1;
        match &self.bins {
            Bins::Categorical { field, values: top } => {
                let Some(v) = values.categorical.get(*field).and_then(Option::as_deref) else {
                    return missing;
                };
                let group = match self.scope {
                    Scope::Event => &encoder.schema.event,
                    _ => &encoder.schema.profile,
                };
                let key = group.categorical[*field].key(v);
                match top.iter().position(|t| *t == *key) {
                    Some(i) => i,
                    None => match vocab_of(encoder, self.scope, *field)
                        .map_or(OOV, |voc| voc.id(Some(&key)))
                    {
                        OOV | PAD => top.len() + 1,
                        _ => top.len(),
                    },
                }
            }
            Bins::Numeric { field, edges } => match values.numeric.get(*field).copied().flatten() {
                None => missing,
                Some(x) => Bins::numeric_bin(edges, x),
            },
        }
    }
}

fn vocab_of(encoder: &Encoder, scope: Scope, j: usize) -> Option<&crate::encode::Vocab> {
    match scope {
        Scope::Event => encoder.event_vocabs.get(j),
        Scope::Profile => encoder.profile_vocabs.get(j),
        Scope::Score => None,
    }
}

/// One field's counts: a count per bin (missing last).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldCounts {
    /// Count per bin.
    pub bins: Vec<u64>,
}

impl FieldCounts {
    fn total(&self) -> u64 {
        self.bins.iter().sum()
    }

    fn shares(&self) -> Vec<f64> {
        let total = self.total().max(1) as f64;
        self.bins.iter().map(|&c| c as f64 / total).collect()
    }
}

/// New sessions counted into a [`Reference`]'s bins: all a monitor keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Sessions counted.
    pub sessions: u64,
    /// One per reference field, in its order.
    pub fields: Vec<FieldCounts>,
    /// The scores.
    pub score: Option<FieldCounts>,
}

impl Counts {
    /// Empty counts for `reference`'s bins.
    pub fn new(reference: &Reference) -> Self {
        let empty = |f: &FieldReference| FieldCounts {
            bins: vec![0; f.bins.len()],
        };
        Self {
            sessions: 0,
            fields: reference.fields.iter().map(empty).collect(),
            score: reference.score.as_ref().map(empty),
        }
    }

    /// Count one session's values (read with the encoder's schema).
    pub fn add_session(&mut self, reference: &Reference, encoder: &Encoder, session: &Session) {
        self.sessions += 1;
        for (f, c) in reference.fields.iter().zip(self.fields.iter_mut()) {
            match f.scope {
                Scope::Event => {
                    for e in &session.events {
                        c.bins[f.bin_of(encoder, &e.values)] += 1;
                    }
                }
                _ => c.bins[f.bin_of(encoder, &session.profile)] += 1,
            }
        }
    }

    /// Count one score (the model's own, `raw_score`).
    pub fn add_score(&mut self, reference: &Reference, score: f64) {
        if let (
            Some(FieldReference {
                bins: Bins::Numeric { edges, .. },
                ..
            }),
            Some(c),
        ) = (reference.score.as_ref(), self.score.as_mut())
        {
            c.bins[Bins::numeric_bin(edges, score)] += 1;
        }
    }

    /// Add another monitor's counts of the same reference (batches, workers, days).
    pub fn merge(&mut self, other: &Counts) {
        self.sessions += other.sessions;
        for (a, b) in self
            .fields
            .iter_mut()
            .chain(self.score.as_mut())
            .zip(other.fields.iter().chain(other.score.as_ref()))
        {
            for (x, y) in a.bins.iter_mut().zip(&b.bins) {
                *x += y;
            }
        }
    }
}

/// The population stability index of `actual` against `expected` shares,
/// `Σ (a − e)·ln(a / e)`, each share floored at [`PSI_FLOOR`].
pub fn psi(expected: &[f64], actual: &[f64]) -> f64 {
    expected
        .iter()
        .zip(actual)
        .map(|(&e, &a)| {
            let (e, a) = (e.max(PSI_FLOOR), a.max(PSI_FLOOR));
            (a - e) * (a / e).ln()
        })
        .sum()
}

/// When a PSI is worth a look, and when it calls for action.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DriftLimits {
    /// From this PSI on: watch (default 0.1).
    pub watch: f64,
    /// From this PSI on: act (default 0.25).
    pub act: f64,
}

impl Default for DriftLimits {
    fn default() -> Self {
        Self {
            watch: 0.1,
            act: 0.25,
        }
    }
}

/// A field's state against the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftStatus {
    /// Below the watch limit.
    Stable,
    /// From the watch limit on.
    Watch,
    /// From the act limit on.
    Act,
    /// Nothing to compare: no value of the field among the new sessions.
    Empty,
}

/// One field's drift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDrift {
    /// The field (`score` for the score).
    pub name: String,
    /// Where its values are.
    pub scope: Scope,
    /// PSI over its bins (`None` without new values).
    pub psi: Option<f64>,
    /// Against the limits.
    pub status: DriftStatus,
    /// Share missing: training, new.
    pub missing: [f64; 2],
    /// Share of present values outside the vocabulary (categorical fields): training, new.
    pub unseen: Option<[f64; 2]>,
    /// Values counted among the new sessions.
    pub count: u64,
    /// Each bin's label, training share and new share.
    pub bins: Vec<(String, f64, f64)>,
}

/// New sessions against the training reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    /// Sessions counted.
    pub sessions: u64,
    /// The limits applied.
    pub limits: DriftLimits,
    /// Each field, in the reference's order.
    pub fields: Vec<FieldDrift>,
    /// The score.
    pub score: Option<FieldDrift>,
}

fn field_drift(f: &FieldReference, c: &FieldCounts, limits: DriftLimits) -> FieldDrift {
    let actual = c.shares();
    let count = c.total();
    let n = f.bins.len();
    let present = |s: &[f64]| 1.0 - s[n - 1];
    let unseen = match &f.bins {
        Bins::Categorical { values, .. } => {
            let share = |s: &[f64]| {
                let p = present(s);
                if p > 0.0 {
                    s[values.len() + 1] / p
                } else {
                    0.0
                }
            };
            // the new share from the counts themselves, exact
            let present_new = count - c.bins[n - 1];
            let new = if present_new > 0 {
                c.bins[values.len() + 1] as f64 / present_new as f64
            } else {
                0.0
            };
            Some([share(&f.expected), new])
        }
        Bins::Numeric { .. } => None,
    };
    let psi = (count > 0).then(|| psi(&f.expected, &actual));
    let status = match psi {
        None => DriftStatus::Empty,
        Some(p) if p >= limits.act => DriftStatus::Act,
        Some(p) if p >= limits.watch => DriftStatus::Watch,
        Some(_) => DriftStatus::Stable,
    };
    FieldDrift {
        name: f.name.clone(),
        scope: f.scope,
        psi,
        status,
        missing: [
            f.expected[n - 1],
            if count > 0 { actual[n - 1] } else { 0.0 },
        ],
        unseen,
        count,
        bins: f
            .bins
            .labels()
            .into_iter()
            .zip(f.expected.iter().zip(&actual))
            .map(|(l, (&e, &a))| (l, e, a))
            .collect(),
    }
}

impl DriftReport {
    /// Compare `counts` with `reference`.
    pub fn compute(reference: &Reference, counts: &Counts, limits: DriftLimits) -> Self {
        Self {
            sessions: counts.sessions,
            limits,
            fields: reference
                .fields
                .iter()
                .zip(&counts.fields)
                .map(|(f, c)| field_drift(f, c, limits))
                .collect(),
            score: reference
                .score
                .as_ref()
                .zip(counts.score.as_ref())
                .map(|(f, c)| field_drift(f, c, limits)),
        }
    }

    /// The fields (and the score) at `watch` or `act`, worst first.
    pub fn flagged(&self) -> Vec<&FieldDrift> {
        let mut out: Vec<&FieldDrift> = self
            .fields
            .iter()
            .chain(&self.score)
            .filter(|f| matches!(f.status, DriftStatus::Watch | DriftStatus::Act))
            .collect();
        out.sort_by(|a, b| b.psi.unwrap_or(0.0).total_cmp(&a.psi.unwrap_or(0.0)));
        out
    }
}

#[cfg(test)]
mod tests;
