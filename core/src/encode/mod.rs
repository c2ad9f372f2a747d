//! The one encoding path from [`Session`]s to model inputs, shared by training and scoring,
//! native and wasm.
//!
//! Every event becomes `F` (feature index, value) pairs in one global feature dictionary, as in
//! NHFM §3.1: a categorical field contributes the index of its value with value 1; a numeric
//! field contributes its own index with its normalised value `x = clamp((t(x) − μ)/σ, ±8)`
//! (`encoding = "scale"`, the papers'), or, quantile-encoded, the index of its bucket with value
//! 1 (buckets of equal training frequency, right-closed, so a point mass such as amount 0 keeps
//! a bucket of its own).
//! Missing values and padding contribute index 0 with value 0, so they drop out of every
//! `x_i·v_i` product. The most recent `T` events are kept, right-aligned: slot `T − 1` holds the
//! current (latest) event and the history is padded on the left.

mod batch;
mod dropout;
mod folds;
mod merchant_vectors;
mod sessions;
mod target_bins;
mod text;
pub(crate) use text::fnv1a;
mod time;
mod vocab;

pub use batch::{Batch, FoldBatch, MerchantGroup, Padding, SessionBatch};
pub use dropout::ValueDropout;
pub use folds::{FoldView, FoldedMerchant, PAYMENT_NUMERIC, PaymentView};
pub use merchant_vectors::{MerchantVectors, vector_row};
pub(crate) use sessions::week_and_month_day;
pub use sessions::{SessionView, split_sessions};
pub use target_bins::target_edges;
pub use text::text_token_ids;
pub use time::{TIME_FEATURES, periodic_time};
pub use vocab::{OOV, PAD, Vocab};

use crate::error::{Error, Result};
use crate::schema::{
    Binning, FieldEncoding, FieldGroup, HOUR_OF_DAY, LOG_GAP, NumericEncoding, Schema, Session,
    Transform, deviation_name,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A global feature id as host-side encodings store it. A dictionary has far fewer than 2³¹
/// ids (categorical fields are capped by `max_vocab` or hashing, numeric ones take at most
/// [`crate::schema::MAX_BINS`] + 2), and half the width of `i64` is 640 bytes a session of
/// the transactions scenario, 64 MB over 100,000 of them; [`Batch`] widens ids to the
/// tensors' integers.
pub type FeatureId = i32;

/// `id` as a [`FeatureId`]. The dictionary's size is checked when the encoder is fitted or
/// read ([`Encoder::validate`]), so every id fits.
fn feature_id(id: usize) -> FeatureId {
    id as FeatureId
}

/// Normalised values are clamped to ±this many standard deviations.
pub const CLAMP: f64 = 8.0;

/// Mean and standard deviation of a numeric field after its transform, from training data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NumericStats {
    /// Mean of the transformed values.
    pub mean: f64,
    /// Standard deviation of the transformed values (at least 1e-6).
    pub std: f64,
}

impl NumericStats {
    fn fit(values: &[f64]) -> Self {
        if values.is_empty() {
            return Self {
                mean: 0.0,
                std: 1.0,
            };
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        Self {
            mean,
            std: var.sqrt().max(1e-6),
        }
    }

    /// Normalise a transformed value.
    pub fn normalise(&self, t: f64) -> f32 {
        ((t - self.mean) / self.std).clamp(-CLAMP, CLAMP) as f32
    }
}

/// Edges of `bins` equal-frequency buckets of transformed training values: the values at the
/// quantiles `i/bins`, `i = 1..bins` (nearest rank below), repeated edges kept once. Fewer
/// distinct values than buckets give fewer edges; no values give none (one bucket).
pub fn quantile_edges(mut values: Vec<f64>, bins: usize) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let mut edges: Vec<f64> = Vec::with_capacity(bins.saturating_sub(1));
    if n == 0 {
        return edges;
    }
    for i in 1..bins {
        let e = values[(i * (n - 1)) / bins];
        // the largest value is no edge: nothing could fall above it in training
        if e < values[n - 1] && edges.last() != Some(&e) {
            edges.push(e);
        }
    }
    edges
}

/// The id of transformed value `t` among buckets with `edges`: 1 + the number of edges below
/// `t`, so bucket `i` (1-based) holds `(edges[i−2], edges[i−1]]` and ids run `1..=edges.len()+1`
/// (0 is missing, as in a vocabulary).
pub fn bucket_id(edges: &[f64], t: f64) -> usize {
    1 + edges.partition_point(|&e| e < t)
}

/// The boundaries `b_0 < b_1 < … < b_T` of PLE's bins over transformed training values: the
/// smallest value, the bucket `edges` above it (quantile or target-aware) and the largest, so
/// `T ≤ bins` (fewer when values repeat). A field with one distinct value (or none) gets the
/// one bin `[v, v + 1]`.
pub fn ple_boundaries(values: &[f64], edges: Vec<f64>) -> Vec<f64> {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !(lo.is_finite() && hi.is_finite()) || lo == hi {
        let v = if lo.is_finite() { lo } else { 0.0 };
        return vec![v, v + 1.0];
    }
    let mut b = vec![lo];
    for e in edges {
        if e > b[b.len() - 1] && e < hi {
            b.push(e);
        }
    }
    b.push(hi);
    b
}

/// PLE of transformed value `x` over bin boundaries `b` (Gorishniy et al. 2022, Eq. 1): for
/// `t = 1..=T`, `e_t = 0` if `x < b_{t−1}` and `t > 1`; `1` if `x ≥ b_t` and `t < T`;
/// `(x − b_{t−1}) / (b_t − b_{t−1})` otherwise. The first and last components extend linearly
/// beyond the training range, clamped to `±CLAMP` as standardised values are.
pub fn ple(b: &[f64], x: f64) -> impl Iterator<Item = f32> + '_ {
    let t_n = b.len().saturating_sub(1);
    (1..=t_n).map(move |t| {
        let (lo, hi) = (b[t - 1], b[t]);
        let e = if t > 1 && x < lo {
            0.0
        } else if t < t_n && x >= hi {
            1.0
        } else {
            (x - lo) / (hi - lo)
        };
        e.clamp(-CLAMP, CLAMP) as f32
    })
}

/// How a numeric field is encoded, fitted: standardised (`x·v`), bucketed, or piecewise
/// linear over bins.
#[derive(Debug, Clone, Copy)]
enum NumericCode<'a> {
    Scale(&'a NumericStats),
    Buckets(&'a [f64]),
    Ple(&'a [f64]),
}

impl NumericCode<'_> {
    /// Dictionary ids the field takes.
    fn ids(self) -> usize {
        match self {
            Self::Scale(_) => 1,
            Self::Buckets(edges) => edges.len() + 2,
            Self::Ple(b) => b.len() - 1,
        }
    }

    /// Feature slots the field takes: one, or one per PLE component.
    fn width(self) -> usize {
        match self {
            Self::Ple(b) => b.len() - 1,
            _ => 1,
        }
    }

    /// Write transformed value `t` into the field's [`width`](Self::width) slots, its ids
    /// starting at `offset`. A PLE component of 0 is left empty (index 0, value 0), as padding.
    fn write(self, offset: usize, t: f64, index: &mut [FeatureId], value: &mut [f32]) {
        match self {
            Self::Scale(stats) => (index[0], value[0]) = (feature_id(offset), stats.normalise(t)),
            Self::Buckets(edges) => {
                (index[0], value[0]) = (feature_id(offset + bucket_id(edges, t)), 1.0);
            }
            Self::Ple(b) => {
                for (k, e) in ple(b, t).enumerate() {
                    if e != 0.0 {
                        (index[k], value[k]) = (feature_id(offset + k), e);
                    }
                }
            }
        }
    }
}

/// The fitted encoder: schema, vocabularies and numeric statistics. Stored in the artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    /// The schema sessions are read with.
    pub schema: Schema,
    /// Vocabularies of the event categorical fields, then `hour_of_day` when time features are on.
    pub event_vocabs: Vec<Vocab>,
    /// Statistics of the event numeric fields, then of the derived deviation fields (those
    /// with `deviation = true`), then `log_gap` when time features are on.
    pub event_stats: Vec<NumericStats>,
    /// Vocabularies of the profile categorical fields.
    pub profile_vocabs: Vec<Vocab>,
    /// Statistics of the profile numeric fields.
    pub profile_stats: Vec<NumericStats>,
    /// Quantile bucket edges of each event numeric field (then the deviations, then
    /// `log_gap`) encoded so, PLE bin
    /// boundaries of each field encoded so (the schema says which); `None` for scaled ones.
    /// Transformed values, ascending.
    pub event_buckets: Vec<Option<Vec<f64>>>,
    /// The same for each profile numeric field.
    pub profile_buckets: Vec<Option<Vec<f64>>>,
    /// For each event categorical field, the event numeric field that scales its value
    /// (`scale_by` in the schema).
    pub scale_by: Vec<Option<usize>>,
    /// Also encode the session view ([`SessionView`], HUIHEN's input).
    pub session_view: bool,
    /// Also encode the payments as a [`FoldView`]: folded by merchant (LBSF's input) or flat
    /// (the flat Transformer baseline's).
    pub payment_view: Option<PaymentView>,
    /// Merchants with a pretrained vector (LBSF), sorted: the rows of the model's table.
    pub merchant_vector_keys: Vec<String>,
}

/// One encoded session, host side (no tensors yet).
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedSession {
    /// `[T·F]` global feature indices.
    pub event_index: Vec<FeatureId>,
    /// `[T·F]` feature values.
    pub event_value: Vec<f32>,
    /// `[T]` 1 for a real event, 0 for padding.
    pub event_mask: Vec<f32>,
    /// `[P]` profile feature indices.
    pub profile_index: Vec<FeatureId>,
    /// `[P]` profile feature values.
    pub profile_value: Vec<f32>,
    /// The label, when known.
    pub label: Option<bool>,
    /// Events of the session before the first slot's (those beyond the most recent `T`): the
    /// event a slot holds follows from it and the mask ([`EncodedSession::slot_event`]).
    pub events_before: usize,
    /// The session view (HUIHEN), when the encoder makes it.
    pub sessions: Option<SessionView>,
    /// The fold view (LBSF), when the encoder makes it.
    pub folds: Option<FoldView>,
}

impl EncodedSession {
    /// The index of the session event that `slot` holds, `None` for padding: the real slots
    /// are the last ones, holding the session's most recent events in order.
    pub fn slot_event(&self, slot: usize) -> Option<usize> {
        let t = self.event_mask.len();
        let kept = self.event_mask.iter().filter(|&&m| m != 0.0).count();
        (t - kept..t)
            .contains(&slot)
            .then(|| self.events_before + slot - (t - kept))
    }
}

/// Writes one event's `F` feature slots: what every view of a session shares.
pub(crate) struct EventSlots<'a> {
    encoder: &'a Encoder,
    categorical: &'a [usize],
    numeric: &'a [usize],
    /// Per deviation field ([`FieldGroup::deviations`]), per event: [`history_deviations`].
    deviations: &'a [Vec<Option<f64>>],
    gaps: &'a [f64],
}

impl EventSlots<'_> {
    /// `F`: slots per event.
    pub(crate) fn width(&self) -> usize {
        self.encoder.event_fields()
    }

    /// Write event `i` of `session` into `index`/`value` (`F` slots each, zero-filled).
    pub(crate) fn write(
        &self,
        session: &Session,
        i: usize,
        index: &mut [FeatureId],
        value: &mut [f32],
    ) {
        let enc = self.encoder;
        let s = &enc.schema;
        let ev = &session.events[i];
        let transformed =
            |k: usize| ev.values.numeric[k].map(|x| s.event.numeric[k].transform.apply(x));
        let hour = hour_of_day(ev.ts);
        let mut cats: Vec<(Option<std::borrow::Cow<'_, str>>, f32)> = ev
            .values
            .categorical
            .iter()
            .zip(&enc.scale_by)
            .zip(&s.event.categorical)
            .map(|((v, by), f)| {
                let scale = by.and_then(transformed).unwrap_or(1.0);
                (v.as_deref().map(|v| f.key(v)), scale as f32)
            })
            .collect();
        let mut nums: Vec<Option<f64>> = (0..s.event.numeric.len()).map(transformed).collect();
        nums.extend(self.deviations.iter().map(|d| d[i]));
        if s.time_features {
            cats.push((Some(std::borrow::Cow::Borrowed(hour.as_str())), 1.0));
            nums.push(Some(Transform::Log1p.apply(self.gaps[i])));
        }
        for (j, (v, scale)) in cats.iter().enumerate() {
            let id = enc.event_vocabs[j].id(v.as_deref());
            if id != PAD {
                index[j] = feature_id(self.categorical[j] + id as usize);
                value[j] = *scale;
            }
        }
        let mut c = cats.len();
        for (j, v) in nums.iter().enumerate() {
            let code = enc.event_code(j);
            let w = code.width();
            if let Some(t) = v {
                code.write(
                    self.numeric[j],
                    *t,
                    &mut index[c..c + w],
                    &mut value[c..c + w],
                );
            }
            c += w;
        }
    }
}

/// Names of a quantile-encoded field's ids: `<pad>`, then each bucket's range in the field's
/// units (the edges mapped back through its transform).
fn bucket_names(field: &str, edges: &[f64], transform: Transform) -> Vec<String> {
    let x = |e: f64| readable(transform, e);
    let mut names = vec![format!("{field}=<pad>")];
    if edges.is_empty() {
        names.push(format!("{field}∈(−∞,∞)"));
        return names;
    }
    names.push(format!("{field}≤{}", x(edges[0])));
    names.extend(
        edges
            .windows(2)
            .map(|w| format!("{field}∈({},{}]", x(w[0]), x(w[1]))),
    );
    names.push(format!("{field}>{}", x(edges[edges.len() - 1])));
    names
}

/// Transformed value `e` in the field's own units, to four significant digits: names, not
/// values.
fn readable(transform: Transform, e: f64) -> String {
    let v = transform.invert(e);
    let scale = 10f64.powi(3 - v.abs().max(1e-300).log10().floor() as i32);
    format!("{}", (v * scale).round() / scale)
}

/// The slot names of numeric field `name`: its name, or one `name:pleT` per PLE component.
fn slot_names(name: &str, code: NumericCode<'_>) -> Vec<String> {
    match code {
        NumericCode::Ple(b) => (1..b.len()).map(|t| format!("{name}:ple{t}")).collect(),
        _ => vec![name.to_string()],
    }
}

/// Names of numeric fields' dictionary ids (`prefix` before each field's name): the field's
/// name, its buckets' ranges, or its PLE components' bins, in the field's own units.
fn numeric_names<'a, S: AsRef<str>>(
    fields: impl Iterator<Item = ((S, Transform), NumericCode<'a>)>,
    prefix: &str,
) -> Vec<String> {
    fields
        .flat_map(|((f, t), code)| {
            let f = format!("{prefix}{}", f.as_ref());
            match code {
                NumericCode::Scale(_) => vec![f],
                NumericCode::Buckets(edges) => bucket_names(&f, edges, t),
                NumericCode::Ple(b) => b
                    .windows(2)
                    .enumerate()
                    .map(|(k, w)| {
                        format!(
                            "{f}:ple{}∈[{},{}]",
                            k + 1,
                            readable(t, w[0]),
                            readable(t, w[1])
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The fitted code of a numeric field from its encoding, stored edges and statistics.
fn code<'a>(
    encoding: NumericEncoding,
    edges: &'a Option<Vec<f64>>,
    stats: &'a NumericStats,
) -> NumericCode<'a> {
    match (encoding, edges) {
        (NumericEncoding::Ple, Some(b)) => NumericCode::Ple(b),
        (_, Some(edges)) => NumericCode::Buckets(edges),
        (_, None) => NumericCode::Scale(stats),
    }
}

/// How the GBDT's aggregates read an event numeric field from its slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NumericRead {
    /// One slot whose value is the standardised value.
    Value,
    /// One slot whose id is `first_id + bucket number` (value 1): the bucket number is read.
    Bucket {
        /// The id of bucket 0 (the unused padding id).
        first_id: usize,
    },
    /// `width` PLE components; their sum (the bins below plus the position in the value's
    /// bin) is read, a monotone function of the value.
    Ple {
        /// The components' slots.
        width: usize,
    },
}

impl NumericRead {
    /// The slots the field takes.
    pub fn width(&self) -> usize {
        match self {
            NumericRead::Ple { width } => *width,
            _ => 1,
        }
    }
}

/// Per event of `session`, numeric field `j`'s transformed value less the mean of the
/// session's earlier transformed values of it (events without the value skipped): `None` where
/// the event has no value or no earlier event has one. One running sum, so O(events).
fn history_deviations(session: &Session, j: usize, transform: Transform) -> Vec<Option<f64>> {
    let (mut sum, mut n) = (0.0, 0usize);
    session
        .events
        .iter()
        .map(|e| {
            let t = transform.apply(e.values.numeric[j]?);
            let d = (n > 0).then(|| t - sum / n as f64);
            sum += t;
            n += 1;
            d
        })
        .collect()
}

/// [`history_deviations`] of each of the schema's deviation fields.
fn session_deviations(schema: &Schema, session: &Session) -> Vec<Vec<Option<f64>>> {
    schema
        .event
        .deviations()
        .map(|(j, f)| history_deviations(session, j, f.transform))
        .collect()
}

fn hour_of_day(ts: f64) -> String {
    (((ts / 3600.0).floor() as i64).rem_euclid(24)).to_string()
}

fn gaps(session: &Session) -> impl Iterator<Item = f64> + '_ {
    session.events.iter().enumerate().map(|(i, e)| {
        if i == 0 {
            0.0
        } else {
            (e.ts - session.events[i - 1].ts).max(0.0)
        }
    })
}

/// A field group's fitted vocabularies, numeric statistics and bucket edges (or PLE bins).
struct FittedGroup {
    vocabs: Vec<Vocab>,
    stats: Vec<NumericStats>,
    buckets: Vec<Option<Vec<f64>>>,
}

/// Fit a field group's vocabularies, statistics and bin edges on `rows`, each with the label
/// of the session it comes from (target-aware bins read it).
fn fit_group(
    schema: &Schema,
    group: &FieldGroup,
    rows: &[(&crate::schema::FieldValues, Option<bool>)],
) -> Result<FittedGroup> {
    let vocabs = group
        .categorical
        .iter()
        .enumerate()
        .map(|(j, f)| {
            let mut counts: HashMap<String, usize> = HashMap::new();
            for (r, _) in rows {
                if let Some(v) = &r.categorical[j] {
                    *counts.entry(f.key(v).into_owned()).or_default() += 1;
                }
            }
            Vocab::fit(counts, schema.min_count(), f.max_vocab)
        })
        .collect();
    let mut stats = Vec::with_capacity(group.numeric.len());
    let mut buckets = Vec::with_capacity(group.numeric.len());
    for (j, f) in group.numeric.iter().enumerate() {
        let vals = rows
            .iter()
            .filter_map(|(r, y)| Some((f.transform.apply(r.numeric[j]?), *y)));
        let (s, b) = fit_numeric(&f.name, vals.collect(), f.encoding_in(schema))?;
        stats.push(s);
        buckets.push(b);
    }
    Ok(FittedGroup {
        vocabs,
        stats,
        buckets,
    })
}

/// Statistics and, for a bucketed field, bucket edges of transformed training values (for a
/// PLE one, its bin boundaries), placed as `how.binning` says; each value comes with its
/// session's label.
fn fit_numeric(
    name: &str,
    values: Vec<(f64, Option<bool>)>,
    how: FieldEncoding,
) -> Result<(NumericStats, Option<Vec<f64>>)> {
    let plain: Vec<f64> = values.iter().map(|v| v.0).collect();
    let stats = NumericStats::fit(&plain);
    if how.encoding == NumericEncoding::Scale {
        return Ok((stats, None));
    }
    let edges = match how.binning {
        Binning::Quantile => quantile_edges(plain.clone(), how.bins),
        Binning::Target => {
            let labelled: Vec<(f64, bool)> = values
                .into_iter()
                .filter_map(|(v, y)| Some((v, y?)))
                .collect();
            if labelled.is_empty() {
                return Err(Error::Schema(format!(
                    "numeric field `{name}`: binning = \"target\" needs labelled training sessions"
                )));
            }
            target_edges(labelled, how.bins)
        }
    };
    let edges = match how.encoding {
        NumericEncoding::Ple => ple_boundaries(&plain, edges),
        _ => edges,
    };
    Ok((stats, Some(edges)))
}

impl Encoder {
    /// Fit vocabularies and statistics on training sessions.
    pub fn fit(schema: &Schema, sessions: &[&Session]) -> Result<Self> {
        schema.validate()?;
        if sessions.is_empty() {
            return Err(Error::Model(
                "cannot fit an encoder on zero sessions".into(),
            ));
        }
        let events: Vec<_> = sessions
            .iter()
            .flat_map(|s| s.events.iter().map(|e| (&e.values, s.label)))
            .collect();
        let FittedGroup {
            vocabs: mut event_vocabs,
            stats: mut event_stats,
            buckets: mut event_buckets,
        } = fit_group(schema, &schema.event, &events)?;
        for (j, f) in schema.event.deviations() {
            let values = sessions
                .iter()
                .flat_map(|s| {
                    history_deviations(s, j, f.transform)
                        .into_iter()
                        .flatten()
                        .map(|v| (v, s.label))
                })
                .collect();
            let (stats, buckets) =
                fit_numeric(&deviation_name(&f.name), values, f.encoding_in(schema))?;
            event_stats.push(stats);
            event_buckets.push(buckets);
        }
        if schema.time_features {
            let mut counts: HashMap<String, usize> = HashMap::new();
            for s in sessions {
                for e in &s.events {
                    *counts.entry(hour_of_day(e.ts)).or_default() += 1;
                }
            }
            event_vocabs.push(Vocab::fit(counts, schema.min_count(), None));
            let g: Vec<(f64, Option<bool>)> = sessions
                .iter()
                .flat_map(|s| gaps(s).map(|g| (Transform::Log1p.apply(g), s.label)))
                .collect();
            let (stats, buckets) = fit_numeric(LOG_GAP, g, schema.default_encoding())?;
            event_stats.push(stats);
            event_buckets.push(buckets);
        }
        let profiles: Vec<_> = sessions.iter().map(|s| (&s.profile, s.label)).collect();
        let FittedGroup {
            vocabs: profile_vocabs,
            stats: profile_stats,
            buckets: profile_buckets,
        } = fit_group(schema, &schema.profile, &profiles)?;
        let scale_by = schema
            .event
            .categorical
            .iter()
            .map(|f| {
                let by = f.scale_by.as_ref()?;
                schema.event.numeric.iter().position(|n| &n.name == by)
            })
            .collect();
        let mut schema = schema.clone();
        if schema.merchants.max_payments.is_none() {
            schema.merchants.max_payments =
                Some(folds::longest_merchant_history(&schema, sessions));
        }
        let encoder = Self {
            schema,
            event_vocabs,
            event_stats,
            profile_vocabs,
            profile_stats,
            event_buckets,
            profile_buckets,
            scale_by,
            session_view: false,
            payment_view: None,
            merchant_vector_keys: Vec::new(),
        };
        encoder.check_feature_ids()?;
        Ok(encoder)
    }

    /// The encoding of event numeric field `j`: a schema field's own; a deviation field's
    /// (after the schema's fields) its source field's; `log_gap`'s (last) the schema's.
    fn event_encoding(&self, j: usize) -> NumericEncoding {
        let s = &self.schema;
        let n = s.event.numeric.len();
        let field = match j.checked_sub(n) {
            None => s.event.numeric.get(j),
            Some(d) => s.event.deviations().nth(d).map(|(_, f)| f),
        };
        field.map_or(s.numeric_encoding(), |f| f.encoding_in(s).encoding)
    }

    fn event_code(&self, j: usize) -> NumericCode<'_> {
        code(
            self.event_encoding(j),
            &self.event_buckets[j],
            &self.event_stats[j],
        )
    }

    fn profile_code(&self, j: usize) -> NumericCode<'_> {
        let s = &self.schema;
        code(
            s.profile.numeric[j].encoding_in(s).encoding,
            &self.profile_buckets[j],
            &self.profile_stats[j],
        )
    }

    /// How each event numeric field (then `log_gap`) is read from its slots, in slot order
    /// after the categorical ones: what the GBDT's aggregates need.
    pub fn event_numeric_reads(&self) -> Vec<NumericRead> {
        let (_, en, _, _, _) = self.offsets();
        en.into_iter()
            .enumerate()
            .map(|(j, o)| match self.event_code(j) {
                NumericCode::Scale(_) => NumericRead::Value,
                NumericCode::Buckets(_) => NumericRead::Bucket { first_id: o },
                NumericCode::Ple(b) => NumericRead::Ple { width: b.len() - 1 },
            })
            .collect()
    }

    /// `T`: events kept per session.
    pub fn max_events(&self) -> usize {
        self.schema.max_events
    }

    /// `F`: feature slots per event: one per categorical field, one per numeric field (one
    /// per component of a PLE-encoded one).
    pub fn event_fields(&self) -> usize {
        self.event_vocabs.len()
            + (0..self.event_stats.len())
                .map(|j| self.event_code(j).width())
                .sum::<usize>()
    }

    /// `P`: feature slots of the profile (at least 1, so tensors are never empty).
    pub fn profile_fields(&self) -> usize {
        (self.profile_vocabs.len()
            + (0..self.profile_stats.len())
                .map(|j| self.profile_code(j).width())
                .sum::<usize>())
        .max(1)
    }

    /// `N = T·F + P`: feature slots per session, all events and the profile together (what
    /// [`Batch::flat_features`] gives).
    pub fn flat_slots(&self) -> usize {
        self.max_events() * self.event_fields() + self.profile_fields()
    }

    /// Names of the event feature slots, in slot order.
    pub fn event_field_names(&self) -> Vec<String> {
        let s = &self.schema;
        let mut names: Vec<String> = s.event.categorical.iter().map(|f| f.name.clone()).collect();
        if s.time_features {
            names.push(HOUR_OF_DAY.into());
        }
        for (j, (name, _)) in self.event_numerics().into_iter().enumerate() {
            names.extend(slot_names(&name, self.event_code(j)));
        }
        names
    }

    /// For each event slot ([`event_fields`](Encoder::event_fields)), whether it holds a
    /// numeric field that another field is scaled by (`scale_by`): HUIHEN reads such an amount
    /// only through the operation it scales, `E·log(amount)` (§3.2), not as a behavior field
    /// of its own.
    pub fn scale_slots(&self) -> Vec<bool> {
        let mut slots = vec![false; self.event_vocabs.len()];
        for j in 0..self.event_stats.len() {
            let scales = self.scale_by.contains(&Some(j));
            slots.extend(std::iter::repeat_n(scales, self.event_code(j).width()));
        }
        slots
    }

    /// The event numeric fields in slot order with the transforms that map their values back
    /// to the data's units: the schema's, then the derived deviation fields (differences of
    /// transformed values, read as they are), then the derived `log_gap`.
    pub fn event_numerics(&self) -> Vec<(String, Transform)> {
        let s = &self.schema;
        s.event
            .numeric
            .iter()
            .map(|f| (f.name.clone(), f.transform))
            .chain(
                s.event
                    .deviations()
                    .map(|(_, f)| (deviation_name(&f.name), Transform::Identity)),
            )
            .chain(
                s.time_features
                    .then(|| (LOG_GAP.to_string(), Transform::Log1p)),
            )
            .collect()
    }

    /// The columns a one-line rule reads from a session's last event ([`rule_value`]): the
    /// schema's event numeric fields, then their deviation fields.
    ///
    /// [`rule_value`]: Encoder::rule_value
    pub fn rule_fields(&self) -> Vec<String> {
        let e = &self.schema.event;
        e.numeric
            .iter()
            .map(|f| f.name.clone())
            .chain(e.deviations().map(|(_, f)| deviation_name(&f.name)))
            .collect()
    }

    /// Rule column `j` ([`rule_fields`](Encoder::rule_fields)) of `session`'s last event: a
    /// field's value as given, or a deviation field's value ([`history_deviations`]); `None`
    /// when missing.
    pub fn rule_value(&self, session: &Session, j: usize) -> Option<f64> {
        let e = &self.schema.event;
        let last = session.events.last()?;
        match j.checked_sub(e.numeric.len()) {
            None => last.values.numeric.get(j).copied().flatten(),
            Some(d) => {
                let (k, f) = e.deviations().nth(d)?;
                *history_deviations(session, k, f.transform).last()?
            }
        }
    }

    /// The profile numeric fields with their transforms.
    fn profile_numerics(&self) -> impl Iterator<Item = (&str, Transform)> {
        let p = &self.schema.profile;
        p.numeric.iter().map(|f| (f.name.as_str(), f.transform))
    }

    /// Names of the profile slots, in slot order (categorical, then numeric; a PLE-encoded
    /// field's components as `field:ple1`, `field:ple2`, …).
    pub fn profile_field_names(&self) -> Vec<String> {
        let p = &self.schema.profile;
        let mut names: Vec<String> = p.categorical.iter().map(|f| f.name.clone()).collect();
        for (j, f) in p.numeric.iter().enumerate() {
            names.extend(slot_names(&f.name, self.profile_code(j)));
        }
        names
    }

    /// How many of the event field slots (the first ones) are categorical; the rest are
    /// numeric.
    pub fn event_categorical_fields(&self) -> usize {
        self.event_vocabs.len()
    }

    /// Offsets of each slot's ids in the global feature dictionary: event categorical fields,
    /// event numeric fields, profile categorical fields, profile numeric fields. Index 0 is the
    /// padding row.
    fn offsets(&self) -> (Vec<usize>, Vec<usize>, Vec<usize>, Vec<usize>, usize) {
        let mut next = 1;
        let mut take = |n: usize| {
            let o = next;
            next += n;
            o
        };
        let ec = self.event_vocabs.iter().map(|v| take(v.len())).collect();
        let en = (0..self.event_stats.len())
            .map(|j| take(self.event_code(j).ids()))
            .collect();
        let pc = self.profile_vocabs.iter().map(|v| take(v.len())).collect();
        let pn = (0..self.profile_stats.len())
            .map(|j| take(self.profile_code(j).ids()))
            .collect();
        (ec, en, pc, pn, next)
    }

    /// The dictionary ids of event categorical field `slot`: they start at the returned offset
    /// and there are as many as its vocabulary (id `offset + PAD` is never written: missing
    /// values are index 0).
    pub fn event_categorical_ids(&self, slot: usize) -> std::ops::Range<usize> {
        let start = self.offsets().0[slot];
        start..start + self.event_vocabs[slot].len()
    }

    /// The dictionary ids of each profile slot (categorical, then numeric): a vocabulary's, a
    /// quantile-encoded field's buckets (with the unused id 0 of each), a scaled field's one,
    /// or a PLE component's one.
    pub fn profile_slot_ids(&self) -> Vec<std::ops::Range<usize>> {
        let (_, _, pc, pn, _) = self.offsets();
        let cats = pc
            .iter()
            .zip(&self.profile_vocabs)
            .map(|(&o, v)| o..o + v.len());
        let nums = pn.iter().enumerate().flat_map(|(j, &o)| {
            // one range per slot: a PLE component's slot has one id
            let code = self.profile_code(j);
            let per_slot = code.ids() / code.width();
            (0..code.width()).map(move |k| o + k * per_slot..o + (k + 1) * per_slot)
        });
        cats.chain(nums).collect()
    }

    /// `n`: size of the global feature dictionary (embedding rows).
    pub fn num_features(&self) -> usize {
        self.offsets().4
    }

    /// A readable name for every entry of the feature dictionary, in order: `<pad>`, then
    /// `field=value` for each value of each event categorical field (`<pad>` and `<oov>`
    /// included), each event numeric field's name (or, quantile-encoded, `field=<pad>` and a
    /// `field∈(a,b]` per bucket; PLE-encoded, `field:pleT∈[a,b]` per component; in the field's
    /// own units), then `profile.field=value` and `profile.field` for the profile's.
    pub fn feature_names(&self) -> Vec<String> {
        let values = |vocabs: &[Vocab], fields: &[String], prefix: &str| -> Vec<String> {
            vocabs
                .iter()
                .zip(fields)
                .flat_map(|(v, f)| {
                    (0..v.len() as u32).map(move |id| format!("{prefix}{f}={}", v.token(id)))
                })
                .collect()
        };
        // categorical fields take one slot each, first: their slot names are their names
        let event = self.event_field_names();
        let profile = self.profile_field_names();
        let event_codes = (0..self.event_stats.len()).map(|j| self.event_code(j));
        let profile_codes = (0..self.profile_stats.len()).map(|j| self.profile_code(j));
        std::iter::once("<pad>".to_string())
            .chain(values(&self.event_vocabs, &event, ""))
            .chain(numeric_names(
                self.event_numerics().into_iter().zip(event_codes),
                "",
            ))
            .chain(values(&self.profile_vocabs, &profile, "profile."))
            .chain(numeric_names(
                self.profile_numerics().zip(profile_codes),
                "profile.",
            ))
            .collect()
    }

    /// The field of every entry of the feature dictionary, in [`Encoder::feature_names`]'s order
    /// (`None` for `<pad>`; a profile field as `profile.field`): what a per-field reading of
    /// the wide part (DIFM's Table 3) groups by.
    pub fn feature_fields(&self) -> Vec<Option<String>> {
        let mut out = vec![None];
        let mut push = |field: String, n: usize| out.extend(std::iter::repeat_n(Some(field), n));
        for (v, f) in self.event_vocabs.iter().zip(self.event_field_names()) {
            push(f, v.len());
        }
        let event_codes = (0..self.event_stats.len()).map(|j| self.event_code(j));
        for ((f, t), code) in self.event_numerics().into_iter().zip(event_codes) {
            let n = numeric_names(std::iter::once(((&f, t), code)), "").len();
            push(f, n);
        }
        for (v, f) in self.profile_vocabs.iter().zip(self.profile_field_names()) {
            push(format!("profile.{f}"), v.len());
        }
        let profile_codes = (0..self.profile_stats.len()).map(|j| self.profile_code(j));
        for ((f, t), code) in self.profile_numerics().zip(profile_codes) {
            let n = numeric_names(std::iter::once(((f, t), code)), "").len();
            push(format!("profile.{f}"), n);
        }
        out
    }

    /// For every entry of the feature dictionary, `(positives, total)`: how many of the
    /// labelled `sessions` carry it (a non-zero value in a kept event's slot or the profile's),
    /// and how many of those are positive — the "(fraud number/total number)" DIFM's Table 3
    /// puts beside each field value. Unlabelled sessions are not counted.
    pub fn feature_counts(&self, sessions: &[Session]) -> Vec<(u64, u64)> {
        let mut counts = vec![(0u64, 0u64); self.num_features()];
        // the last session that counted each id, so a session counts an id once
        let mut seen = vec![usize::MAX; counts.len()];
        for (n, s) in sessions.iter().enumerate() {
            let Some(label) = s.label else { continue };
            let e = self.encode(s);
            let f = self.event_fields();
            let events = e
                .event_index
                .iter()
                .zip(&e.event_value)
                .enumerate()
                .filter(|(i, _)| e.event_mask[i / f] != 0.0)
                .map(|(_, pair)| pair);
            let profile = e.profile_index.iter().zip(&e.profile_value);
            for (&id, &v) in events.chain(profile) {
                let id = id as usize;
                if v != 0.0 && id != 0 && seen[id] != n {
                    seen[id] = n;
                    counts[id].1 += 1;
                    counts[id].0 += u64::from(label);
                }
            }
        }
        counts
    }

    /// Encode one session. Values were validated when the session was read, so this cannot fail.
    pub fn encode(&self, session: &Session) -> EncodedSession {
        let t_max = self.max_events();
        let f = self.event_fields();
        let (ec, en, pc, pn, _) = self.offsets();
        let s = &self.schema;
        let mut event_index = vec![0; t_max * f];
        let mut event_value = vec![0f32; t_max * f];
        let mut event_mask = vec![0f32; t_max];
        let n = session.events.len();
        let kept = n.min(t_max);
        let gaps: Vec<f64> = gaps(session).collect();
        let deviations = session_deviations(s, session);
        let slots = EventSlots {
            encoder: self,
            categorical: &ec,
            numeric: &en,
            deviations: &deviations,
            gaps: &gaps,
        };
        for (k, ev_i) in (n - kept..n).enumerate() {
            let slot = t_max - kept + k;
            event_mask[slot] = 1.0;
            let range = slot * f..(slot + 1) * f;
            slots.write(
                session,
                ev_i,
                &mut event_index[range.clone()],
                &mut event_value[range],
            );
        }
        let p = self.profile_fields();
        let mut profile_index = vec![0; p];
        let mut profile_value = vec![0f32; p];
        for (j, v) in session.profile.categorical.iter().enumerate() {
            let id = self.profile_vocabs[j].id(v
                .as_deref()
                .map(|v| s.profile.categorical[j].key(v))
                .as_deref());
            if id != PAD {
                profile_index[j] = feature_id(pc[j] + id as usize);
                profile_value[j] = 1.0;
            }
        }
        let mut c = self.profile_vocabs.len();
        for (j, (v, spec)) in session
            .profile
            .numeric
            .iter()
            .zip(&s.profile.numeric)
            .enumerate()
        {
            let code = self.profile_code(j);
            let w = code.width();
            if let Some(x) = v {
                code.write(
                    pn[j],
                    spec.transform.apply(*x),
                    &mut profile_index[c..c + w],
                    &mut profile_value[c..c + w],
                );
            }
            c += w;
        }
        EncodedSession {
            event_index,
            event_value,
            event_mask,
            profile_index,
            profile_value,
            label: session.label,
            events_before: n - kept,
            sessions: self
                .session_view
                .then(|| SessionView::of(session, &self.schema.sessions, &slots)),
            folds: self
                .payment_view
                .map(|view| FoldView::of(session, self, view)),
        }
    }

    /// Check that the encoder is one [`Encoder::fit`] could have made: a valid schema, one
    /// vocabulary or statistic per field (and per derived time feature), finite statistics,
    /// `scale_by` naming numeric fields. An artifact's encoder is checked so when it loads, as
    /// a crafted header could otherwise index past a field list or size buffers at will.
    pub fn validate(&self) -> Result<()> {
        let s = &self.schema;
        s.validate()?;
        let time = usize::from(s.time_features);
        let derived = s.event.deviations().count() + time;
        let bad = |m: String| Err(Error::Schema(format!("encoder: {m}")));
        for (what, have, want) in [
            (
                "event vocabularies",
                self.event_vocabs.len(),
                s.event.categorical.len() + time,
            ),
            (
                "event statistics",
                self.event_stats.len(),
                s.event.numeric.len() + derived,
            ),
            (
                "profile vocabularies",
                self.profile_vocabs.len(),
                s.profile.categorical.len(),
            ),
            (
                "profile statistics",
                self.profile_stats.len(),
                s.profile.numeric.len(),
            ),
            (
                "event bucket lists",
                self.event_buckets.len(),
                s.event.numeric.len() + derived,
            ),
            (
                "profile bucket lists",
                self.profile_buckets.len(),
                s.profile.numeric.len(),
            ),
            (
                "scale_by entries",
                self.scale_by.len(),
                s.event.categorical.len(),
            ),
        ] {
            if have != want {
                return bad(format!("{have} {what} for {want} fields"));
            }
        }
        if let Some(st) = self
            .event_stats
            .iter()
            .chain(&self.profile_stats)
            .find(|st| !(st.mean.is_finite() && st.std.is_finite() && st.std > 0.0))
        {
            return bad(format!(
                "a numeric field's statistics (mean {}, std {}) are not finite and positive",
                st.mean, st.std
            ));
        }
        if let Some(edges) = self
            .event_buckets
            .iter()
            .chain(&self.profile_buckets)
            .flatten()
            .find(|e| {
                // PLE keeps both ends: `bins + 1` boundaries
                e.len() > crate::schema::MAX_BINS + 1
                    || !e.windows(2).all(|w| w[0] < w[1])
                    || e.iter().any(|x| !x.is_finite())
            })
        {
            return bad(format!(
                "a numeric field's {} bucket edges are not finite, strictly ascending and at most {}",
                edges.len(),
                crate::schema::MAX_BINS
            ));
        }
        let encodings = (0..self.event_buckets.len())
            .map(|j| (self.event_encoding(j), &self.event_buckets[j]))
            .chain(
                s.profile
                    .numeric
                    .iter()
                    .map(|f| f.encoding_in(s).encoding)
                    .zip(&self.profile_buckets),
            );
        for (encoding, edges) in encodings {
            let fits = match (encoding, edges) {
                (NumericEncoding::Scale, None) | (NumericEncoding::Quantile, Some(_)) => true,
                (NumericEncoding::Ple, Some(b)) => b.len() >= 2,
                _ => false,
            };
            if !fits {
                return bad(format!(
                    "a {encoding}-encoded numeric field has {} edges",
                    edges.as_ref().map_or(0, Vec::len)
                ));
            }
        }
        if let Some(j) = self
            .scale_by
            .iter()
            .flatten()
            .find(|&&j| j >= s.event.numeric.len())
        {
            return bad(format!(
                "scale_by names numeric field {j} of {}",
                s.event.numeric.len()
            ));
        }
        self.check_feature_ids()
    }

    /// Every dictionary id fits a [`FeatureId`].
    fn check_feature_ids(&self) -> Result<()> {
        let n = self.num_features();
        if n > FeatureId::MAX as usize {
            return Err(Error::Schema(format!(
                "the feature dictionary has {n} ids, more than the {} an encoding holds; cap the largest categorical fields with `max_vocab` or `hash_buckets`",
                FeatureId::MAX
            )));
        }
        Ok(())
    }

    /// Check that a session read elsewhere matches this encoder's schema shape.
    pub fn check_session(&self, session: &Session) -> Result<()> {
        let e = &self.schema.event;
        let ok = session.events.iter().all(|ev| {
            ev.values.categorical.len() == e.categorical.len()
                && ev.values.numeric.len() == e.numeric.len()
        }) && session.profile.categorical.len() == self.profile_vocabs.len()
            && session.profile.numeric.len() == self.profile_stats.len();
        if ok {
            Ok(())
        } else {
            Err(Error::Model(format!(
                "session `{}` was read with a different schema than the model's",
                session.id
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Location;
    use crate::schema::{Limits, parse_session_json};

    fn schema() -> Schema {
        Schema::from_toml(
            r#"
            max_events = 3
            [timestamp]
            field = "ts"
            [[event.categorical]]
            name = "kind"
            [[event.numeric]]
            name = "amount"
            transform = "log1p"
            [[profile.categorical]]
            name = "tier"
            "#,
        )
        .unwrap()
    }

    fn session(json: &str) -> Session {
        parse_session_json(json, &schema(), &Location::new("t", 1), &Limits::default()).unwrap()
    }

    #[test]
    fn encodes_right_aligned_with_pad_and_oov() {
        let train = [
            session(
                r#"{"id":"a","profile":{"tier":"gold"},"events":[{"ts":0,"kind":"login"},{"ts":3600,"kind":"pay","amount":0}]}"#,
            ),
            session(r#"{"id":"b","events":[{"ts":7200,"kind":"pay","amount":1.718281828}]}"#),
        ];
        let enc = Encoder::fit(&schema(), &train.iter().collect::<Vec<_>>()).unwrap();
        // fields: kind, hour_of_day, amount, log_gap
        assert_eq!(enc.event_fields(), 4);
        assert_eq!(
            enc.event_field_names(),
            ["kind", "hour_of_day", "amount", "log_gap"]
        );
        // dictionary: pad row + kind(2+2) + hour(2+3) + amount + log_gap + tier(2+1)
        assert_eq!(enc.num_features(), 1 + 4 + 5 + 1 + 1 + 3);
        let s = session(
            r#"{"id":"c","profile":{"tier":"new"},"events":[{"ts":3600,"kind":"refund"}]}"#,
        );
        let e = enc.encode(&s);
        assert_eq!(e.event_mask, [0.0, 0.0, 1.0]);
        assert_eq!(
            (0..3).map(|t| e.slot_event(t)).collect::<Vec<_>>(),
            [None, None, Some(0)]
        );
        // slots 0 and 1 are padding: index 0 value 0
        assert!(e.event_index[..8].iter().all(|&i| i == 0));
        assert!(e.event_value[..8].iter().all(|&v| v == 0.0));
        // kind "refund" unseen -> OOV id 1 at offset 1
        assert_eq!(e.event_index[8], 1 + OOV as FeatureId);
        // hour "1": counts 0:1, 1:1, 2:1 -> sorted by value: "0","1","2" -> id 3
        assert_eq!(e.event_index[9], 5 + 3);
        // amount missing -> dropped
        assert_eq!((e.event_index[10], e.event_value[10]), (0, 0.0));
        // gap of the first event is 0 -> log1p 0 = 0; gaps in training were 0, ln(3601), 0
        let g = [0.0, (3601f64).ln(), 0.0];
        let mean = g.iter().sum::<f64>() / 3.0;
        let std = (g.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
        assert!((e.event_value[11] as f64 - (0.0 - mean) / std).abs() < 1e-6);
        // profile tier "new" is OOV
        assert_eq!(e.profile_index, [12 + OOV as FeatureId]);
        // every dictionary entry has a readable name at its index
        let names = enc.feature_names();
        assert_eq!(names.len(), enc.num_features());
        assert_eq!(names[1 + OOV as usize], "kind=<oov>");
        assert_eq!(names[5 + 3], "hour_of_day=1");
        assert_eq!(names[10], "amount");
        assert_eq!(names[11], "log_gap");
        assert_eq!(names[12 + OOV as usize], "profile.tier=<oov>");
    }

    /// Each dictionary entry's field, and `(positives, total)` over the labelled sessions that
    /// carry it, counted by hand: a session counts a value once however many events carry it,
    /// an event beyond the kept `T` = 3 does not count, an unlabelled session does not count.
    #[test]
    fn feature_fields_and_counts_by_hand() {
        let mut labelled = schema();
        labelled.label = Some("label".into());
        let session = |json: &str| {
            parse_session_json(json, &labelled, &Location::new("t", 1), &Limits::default()).unwrap()
        };
        let train = [
            session(
                r#"{"id":"a","label":1,"profile":{"tier":"gold"},"events":[{"ts":0,"kind":"login"},{"ts":3600,"kind":"pay","amount":1},{"ts":3700,"kind":"pay","amount":2}]}"#,
            ),
            session(
                r#"{"id":"b","label":0,"events":[{"ts":1,"kind":"login"},{"ts":2,"kind":"x"},{"ts":3,"kind":"x"},{"ts":4,"kind":"x"}]}"#,
            ),
            session(r#"{"id":"c","events":[{"ts":5,"kind":"pay"}]}"#),
        ];
        let enc = Encoder::fit(&labelled, &train.iter().collect::<Vec<_>>()).unwrap();
        let names = enc.feature_names();
        let fields = enc.feature_fields();
        assert_eq!(fields.len(), names.len());
        assert_eq!(fields[0], None);
        for (n, f) in names.iter().zip(&fields).skip(1) {
            let f = f.as_deref().unwrap();
            assert!(n.starts_with(f), "{n} is not of {f}");
        }
        assert_eq!(fields.last().unwrap().as_deref(), Some("profile.tier"));
        let counts = enc.feature_counts(&train);
        let of = |name: &str| counts[names.iter().position(|n| n == name).unwrap()];
        // a: pay twice (one count), login once; b: login dropped (4 events, T = 3), x thrice
        assert_eq!(of("kind=pay"), (1, 1));
        assert_eq!(of("kind=login"), (1, 1));
        assert_eq!(of("kind=x"), (0, 1));
        assert_eq!(of("profile.tier=gold"), (1, 1));
        // the amount's scaled value is non-zero in a's two payments
        assert_eq!(of("amount"), (1, 1));
        assert_eq!(counts[0], (0, 0));
    }

    #[test]
    fn keeps_only_the_most_recent_events() {
        let s = session(
            r#"{"id":"a","events":[{"ts":1,"kind":"a"},{"ts":2,"kind":"b"},{"ts":3,"kind":"c"},{"ts":4,"kind":"d"},{"ts":5,"kind":"e"}]}"#,
        );
        let enc = Encoder::fit(&schema(), &[&s]).unwrap();
        let e = enc.encode(&s);
        assert_eq!(
            (0..3).map(|t| e.slot_event(t)).collect::<Vec<_>>(),
            [Some(2), Some(3), Some(4)]
        );
        assert_eq!(e.slot_event(3), None);
        let empty = session(r#"{"id":"z","events":[]}"#);
        assert_eq!(enc.encode(&empty).event_mask, [0.0; 3]);
    }

    /// Edges by hand: ten values 0..=9 in 4 buckets are the values at ranks ⌊i·9/4⌋ = 2, 4, 6;
    /// repeated values give one edge; the largest value is never an edge.
    #[test]
    fn quantile_edges_by_hand() {
        let v: Vec<f64> = (0..10).map(f64::from).collect();
        assert_eq!(quantile_edges(v.clone(), 4), [2.0, 4.0, 6.0]);
        // half the values 0 (a point mass): 0 is one edge, and 0 gets a bucket of its own
        let mass = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0].to_vec();
        let edges = quantile_edges(mass, 4);
        assert_eq!(edges, [0.0, 2.0]);
        assert_eq!(bucket_id(&edges, 0.0), 1);
        assert_eq!(bucket_id(&edges, 0.5), 2);
        assert_eq!(bucket_id(&edges, 2.0), 2, "right-closed: (0, 2]");
        assert_eq!(bucket_id(&edges, 2.1), 3);
        assert_eq!(bucket_id(&edges, -7.0), 1);
        assert_eq!(bucket_id(&edges, 1e9), 3);
        assert!(quantile_edges(vec![3.0; 5], 8).is_empty());
        // names map edges back through the transform, to four significant digits
        assert_eq!(
            bucket_names("a", &[1.0], Transform::Log1p),
            ["a=<pad>", "a≤1.718", "a>1.718"]
        );
        assert!(quantile_edges(Vec::new(), 8).is_empty());
    }

    fn quantile_schema() -> Schema {
        Schema::from_toml(
            r#"
            max_events = 2
            time_features = false
            numeric_encoding = "quantile"
            bins = 4
            [timestamp]
            field = "ts"
            [[event.categorical]]
            name = "kind"
            [[event.numeric]]
            name = "amount"
            [[event.numeric]]
            name = "score"
            encoding = "scale"
            [[profile.numeric]]
            name = "age"
            bins = 2
            "#,
        )
        .unwrap()
    }

    /// A quantile-encoded amount writes its bucket's dictionary id with value 1; a field set
    /// to `scale` keeps `x·v`; the profile's own `bins` wins over the schema's; names read as
    /// ranges in the field's units.
    /// Session `a` (profile `age`) with one event per amount (score = amount), and session `b`
    /// with one event of amount `other.0` and age `other.1`.
    fn amounts_and_one_more(
        schema: &Schema,
        amounts: std::ops::RangeInclusive<i32>,
        age: i32,
        other: (i32, i32),
    ) -> (Session, Session) {
        let loc = Location::new("t", 1);
        let events: Vec<String> = amounts
            .map(|i| format!(r#"{{"ts":{i},"kind":"k","amount":{i},"score":{i}}}"#))
            .collect();
        let line = format!(
            r#"{{"id":"a","profile":{{"age":{age}}},"events":[{}]}}"#,
            events.join(",")
        );
        let (amount, age) = other;
        let b = format!(
            r#"{{"id":"b","profile":{{"age":{age}}},"events":[{{"ts":1,"kind":"k","amount":{amount},"score":0}}]}}"#
        );
        let parse = |l: &str| parse_session_json(l, schema, &loc, &Limits::default()).unwrap();
        (parse(&line), parse(&b))
    }

    /// `binning = "target"`: 60 one-event sessions with amounts 0..60, fraud from 45 on. The
    /// bucket edge falls at the step (44), for buckets and for PLE alike (the field's own
    /// `binning` wins over the schema's); without labels the fit names the field.
    #[test]
    fn target_binning_puts_the_edge_at_the_label_s_step() {
        let schema = |extra: &str| {
            Schema::from_toml(&format!(
                r#"
                label = "y"
                time_features = false
                numeric_encoding = "quantile"
                binning = "quantile"
                bins = 8
                [timestamp]
                field = "ts"
                [[event.numeric]]
                name = "amount"
                {extra}
                "#
            ))
            .unwrap()
        };
        let loc = Location::new("t", 1);
        let sessions = |schema: &Schema, labelled: bool| -> Vec<Session> {
            (0..60)
                .map(|i| {
                    let y = if labelled {
                        format!(r#","y":{}"#, i >= 45)
                    } else {
                        String::new()
                    };
                    let line = format!(r#"{{"id":"s{i}"{y},"events":[{{"ts":1,"amount":{i}}}]}}"#);
                    parse_session_json(&line, schema, &loc, &Limits::default()).unwrap()
                })
                .collect()
        };
        let fit = |schema: &Schema, labelled| {
            let s = sessions(schema, labelled);
            Encoder::fit(schema, &s.iter().collect::<Vec<_>>())
        };
        let quantile = fit(&schema(""), true).unwrap();
        assert_eq!(quantile.event_buckets[0].as_ref().map(Vec::len), Some(7));
        let target = fit(&schema(r#"binning = "target""#), true).unwrap();
        assert_eq!(target.event_buckets[0].as_deref(), Some(&[44.0][..]));
        let ple = fit(&schema("binning = \"target\"\nencoding = \"ple\""), true).unwrap();
        assert_eq!(
            ple.event_buckets[0].as_deref(),
            Some(&[0.0, 44.0, 59.0][..])
        );
        let err = fit(&schema(r#"binning = "target""#), false).unwrap_err();
        assert!(
            err.to_string()
                .contains("`amount`: binning = \"target\" needs labelled"),
            "{err}"
        );
    }

    #[test]
    fn quantile_encoding_writes_bucket_ids() {
        let schema = quantile_schema();
        let (train, other) = amounts_and_one_more(&schema, 0..=9, 30, (0, 50));
        let enc = Encoder::fit(&schema, &[&train, &other]).unwrap();
        // amounts 0..=9 and 0; ranks ⌊i·10/4⌋ = 2, 5, 7 of the sorted eleven: 1, 4, 6
        assert_eq!(enc.event_buckets[0].as_deref(), Some(&[1.0, 4.0, 6.0][..]));
        assert_eq!(enc.event_buckets[1], None);
        assert_eq!(enc.profile_buckets[0].as_deref(), Some(&[30.0][..]));
        // dictionary: pad + kind (2+1) + amount (4 buckets + pad) + score + age (2 + pad)
        assert_eq!(enc.num_features(), 1 + 3 + 5 + 1 + 3);
        assert_eq!(
            enc.event_numeric_reads(),
            [NumericRead::Bucket { first_id: 4 }, NumericRead::Value]
        );
        let e = enc.encode(&train);
        // the last two events (transformed 8 and 9) are in bucket 4: id 4 + 4 = 8, value 1
        assert_eq!(&e.event_index[1..3], &[8, 9]);
        assert_eq!(e.event_value[1], 1.0);
        // score 9 keeps x·v: its own id with the standardised value
        assert_eq!(e.event_index[2], 9);
        let e = enc.encode(&other);
        // amount 0 falls in bucket 1: (−∞, 1]
        assert_eq!(e.event_index[3 + 1], 4 + 1);
        // age 50 > 30: the profile's second bucket, id 10 + 2
        assert_eq!(e.profile_index, [12]);
        assert_eq!(e.profile_value, [1.0]);
        let names = enc.feature_names();
        assert_eq!(names.len(), enc.num_features());
        assert_eq!(
            &names[4..10],
            [
                "amount=<pad>",
                "amount≤1",
                "amount∈(1,4]",
                "amount∈(4,6]",
                "amount>6",
                "score"
            ]
        );
        assert_eq!(
            &names[10..],
            ["profile.age=<pad>", "profile.age≤30", "profile.age>30"]
        );
    }

    /// Bucket edges travel with the encoder (the artifact's header) and encode the same ids
    /// after the trip; an encoder whose edges are out of order is refused.
    #[test]
    fn bucket_edges_survive_serialisation_and_are_validated() {
        let schema = quantile_schema();
        let s = parse_session_json(
            r#"{"id":"a","profile":{"age":3},"events":[{"ts":1,"amount":5,"score":1},{"ts":2,"amount":50,"score":2},{"ts":3,"amount":500,"score":3}]}"#,
            &schema,
            &Location::new("t", 1),
            &Limits::default(),
        )
        .unwrap();
        let enc = Encoder::fit(&schema, &[&s]).unwrap();
        let config = bincode::config::standard();
        let bytes = bincode::serde::encode_to_vec(&enc, config).unwrap();
        let (back, _): (Encoder, _) = bincode::serde::decode_from_slice(&bytes, config).unwrap();
        assert_eq!(back, enc);
        assert_eq!(back.encode(&s), enc.encode(&s));
        back.validate().unwrap();
        let mut bad = enc.clone();
        bad.event_buckets[0] = Some(vec![2.0, 1.0]);
        let e = bad.validate().unwrap_err().to_string();
        assert!(e.contains("strictly ascending"), "{e}");
    }

    /// `deviation = true`: each event's value less the mean of the session's earlier values
    /// (missing ones skipped), fitted and encoded as a derived field after the schema's; the
    /// first event and an event without the value leave the slot empty.
    #[test]
    fn deviations_read_each_event_against_the_session_history() {
        let schema = Schema::from_toml(
            r#"
            max_events = 4
            time_features = false
            [timestamp]
            field = "ts"
            [[event.numeric]]
            name = "amount"
            deviation = true
            "#,
        )
        .unwrap();
        let s = parse_session_json(
            r#"{"id":"a","events":[{"ts":1,"amount":1},{"ts":2,"amount":3},{"ts":3},{"ts":4,"amount":8}]}"#,
            &schema,
            &Location::new("t", 1),
            &Limits::default(),
        )
        .unwrap();
        // 3 − 1 = 2; 8 − mean(1, 3) = 6
        assert_eq!(
            history_deviations(&s, 0, Transform::Identity),
            [None, Some(2.0), None, Some(6.0)]
        );
        // log1p applies before the difference: ln 4 − ln 2 = ln 2 at the second event
        let logged = history_deviations(&s, 0, Transform::Log1p);
        assert!((logged[1].unwrap() - 2f64.ln()).abs() < 1e-12, "{logged:?}");
        let enc = Encoder::fit(&schema, &[&s]).unwrap();
        assert_eq!(enc.event_field_names(), ["amount", "amount_deviation"]);
        // fitted on the deviations 2 and 6 only: mean 4, std 2
        assert_eq!(
            enc.event_stats[1],
            NumericStats {
                mean: 4.0,
                std: 2.0
            }
        );
        let e = enc.encode(&s);
        // F = 2 slots per event: amount (id 1), amount_deviation (id 2)
        assert_eq!(e.event_index, [1, 0, 1, 2, 0, 0, 1, 2]);
        assert_eq!(&e.event_value[3..4], [-1.0]);
        assert_eq!(&e.event_value[7..8], [1.0]);
        assert_eq!(enc.feature_names(), ["<pad>", "amount", "amount_deviation"]);
        enc.validate().unwrap();
        let mut short = enc.clone();
        short.event_stats.pop();
        let err = short.validate().unwrap_err().to_string();
        assert!(err.contains("1 event statistics for 2 fields"), "{err}");
        // a profile has no history; a field named like the derived one clashes
        for (toml, want) in [
            (
                "[[profile.numeric]]\nname = \"age\"\ndeviation = true",
                "event fields only",
            ),
            (
                "[[event.numeric]]\nname = \"amount\"\ndeviation = true\n[[event.numeric]]\nname = \"amount_deviation\"",
                "clashes with the deviation derived from `amount`",
            ),
        ] {
            let err = Schema::from_toml(&format!(
                "[timestamp]\nfield = \"ts\"\n[[event.categorical]]\nname = \"k\"\n{toml}"
            ))
            .and_then(|s| s.validate())
            .unwrap_err()
            .to_string();
            assert!(err.contains(want), "{err}");
        }
    }

    #[test]
    fn amount_normalisation_uses_training_statistics() {
        let s = session(
            r#"{"id":"a","events":[{"ts":1,"amount":0},{"ts":2,"amount":1.718281828459045}]}"#,
        );
        let enc = Encoder::fit(&schema(), &[&s]).unwrap();
        // transformed values 0 and 1: mean 0.5, std 0.5 -> normalised -1 and +1
        let e = enc.encode(&s);
        assert!((e.event_value[4 + 2] + 1.0).abs() < 1e-6);
        assert!((e.event_value[8 + 2] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn ple_by_hand() {
        // Gorishniy et al. 2022, Eq. 1, over the bins [0,1], [1,3], [3,7]
        let b = [0.0, 1.0, 3.0, 7.0];
        for (x, want) in [
            (0.5, [0.5, 0.0, 0.0]),
            (1.0, [1.0, 0.0, 0.0]),
            (2.0, [1.0, 0.5, 0.0]),
            (5.0, [1.0, 1.0, 0.5]),
            (7.0, [1.0, 1.0, 1.0]),
            // the first and last components extend beyond the training range…
            (-1.0, [-1.0, 0.0, 0.0]),
            (11.0, [1.0, 1.0, 2.0]),
            // … clamped as standardised values are
            (-100.0, [-8.0, 0.0, 0.0]),
        ] {
            assert_eq!(ple(&b, x).collect::<Vec<_>>(), want, "x = {x}");
        }
        // one bin: min-max scaling
        assert_eq!(ple(&[2.0, 4.0], 3.0).collect::<Vec<_>>(), [0.5]);

        let v: Vec<f64> = (1..=8).map(f64::from).collect();
        // quantile edges of 1..=8 in 4 bins: ranks ⌊i·7/4⌋ = 1, 3, 5 → 2, 4, 6; then the ends
        let pb = |v: Vec<f64>, bins| ple_boundaries(&v, quantile_edges(v.clone(), bins));
        assert_eq!(pb(v, 4), [1.0, 2.0, 4.0, 6.0, 8.0]);
        // a point mass at the minimum: its edge is the minimum itself, kept once
        let mass = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 9.0].to_vec();
        assert_eq!(pb(mass, 4), [1.0, 9.0]);
        assert_eq!(pb(vec![3.0; 4], 4), [3.0, 4.0]);
        assert_eq!(pb(vec![], 4), [0.0, 1.0]);
        // target-aware edges in place of quantile ones: the bins end at the label's step
        assert_eq!(ple_boundaries(&[0.0, 5.0, 9.0], vec![5.0]), [0.0, 5.0, 9.0]);
    }

    fn ple_schema() -> Schema {
        Schema::from_toml(
            r#"
            max_events = 2
            time_features = false
            [timestamp]
            field = "ts"
            [[event.categorical]]
            name = "kind"
            [[event.numeric]]
            name = "amount"
            encoding = "ple"
            bins = 4
            [[event.numeric]]
            name = "score"
            [[profile.numeric]]
            name = "age"
            encoding = "ple"
            bins = 2
            "#,
        )
        .unwrap()
    }

    /// A PLE-encoded field takes one slot and one id per component; each component enters with
    /// its value, zero components stay empty; names, GBDT reads and the profile follow.
    #[test]
    fn ple_encoding_writes_one_slot_per_component() {
        let schema = ple_schema();
        let (train, other) = amounts_and_one_more(&schema, 1..=8, 20, (5, 40));
        let enc = Encoder::fit(&schema, &[&train]).unwrap();
        enc.validate().unwrap();
        assert_eq!(
            enc.event_buckets[0].as_deref(),
            Some(&[1.0, 2.0, 4.0, 6.0, 8.0][..])
        );
        assert_eq!(enc.profile_buckets[0].as_deref(), Some(&[20.0, 21.0][..]));
        // slots: kind, amount's 4 components, score; the profile: age's one component
        assert_eq!(enc.event_fields(), 1 + 4 + 1);
        assert_eq!(enc.profile_fields(), 1);
        assert_eq!(
            enc.event_field_names(),
            [
                "kind",
                "amount:ple1",
                "amount:ple2",
                "amount:ple3",
                "amount:ple4",
                "score"
            ]
        );
        // dictionary: pad + kind (pad, oov, k) + amount (4) + score + age (1)
        assert_eq!(enc.num_features(), 1 + 3 + 4 + 1 + 1);
        assert_eq!(
            enc.event_numeric_reads(),
            [NumericRead::Ple { width: 4 }, NumericRead::Value]
        );
        let names = enc.feature_names();
        assert_eq!(names.len(), enc.num_features());
        assert_eq!(
            &names[4..8],
            [
                "amount:ple1∈[1,2]",
                "amount:ple2∈[2,4]",
                "amount:ple3∈[4,6]",
                "amount:ple4∈[6,8]"
            ]
        );
        // amount 5 (session b's one event, right-aligned into slot 1 of 2): e = [1, 1, 0.5, 0]
        let e = enc.encode(&other);
        let slot = 6..12;
        assert_eq!(&e.event_index[slot.clone()][1..5], &[4, 5, 6, 0]);
        assert_eq!(&e.event_value[slot][1..5], &[1.0, 1.0, 0.5, 0.0]);
        // age 40 over the one bin [20, 21]: 20, clamped to 8
        assert_eq!(e.profile_index, [9]);
        assert_eq!(e.profile_value, [8.0]);
        // the GBDT reads the components' sum: 2.5 bins
        let agg = crate::models::baselines::Aggregates::of(&enc);
        let row = agg.features(&e);
        assert_eq!(row[agg.numeric_column(0) + 3], 2.5);

        // the boundaries survive serialisation; a PLE field without two boundaries is refused
        let config = bincode::config::standard();
        let bytes = bincode::serde::encode_to_vec(&enc, config).unwrap();
        let (back, _): (Encoder, _) = bincode::serde::decode_from_slice(&bytes, config).unwrap();
        assert_eq!(back, enc);
        assert_eq!(back.encode(&other), e);
        let mut bad = enc.clone();
        bad.event_buckets[0] = Some(vec![1.0]);
        let err = bad.validate().unwrap_err().to_string();
        assert!(
            err.contains("a ple-encoded numeric field has 1 edges"),
            "{err}"
        );
        let mut bad = enc;
        bad.profile_buckets[0] = None;
        assert!(bad.validate().is_err());
    }

    /// A hashed field counts and looks up buckets: values of one bucket share its id, a value
    /// unseen in training takes its bucket's id (not the OOV id), and the buckets are the
    /// vocabulary's values, most frequent first.
    #[test]
    fn hashed_categorical_fields_read_buckets() {
        let schema = Schema::from_toml(
            r#"
            max_events = 3
            time_features = false
            [timestamp]
            field = "ts"
            [[event.categorical]]
            name = "terminal"
            hash_buckets = 4
            [[profile.categorical]]
            name = "tier"
            hash_buckets = 2
            "#,
        )
        .unwrap();
        let f = &schema.event.categorical[0];
        // FNV-1a("a") = 0xaf63dc4c8601ec8c (text.rs's known value): bucket 0 of 4
        assert_eq!(f.key("a"), "#0");
        let bucket = |v: &str| (fnv1a(&[v.as_bytes()]) % 4) as usize;
        // two training values in different buckets, the first seen twice
        let (x, y) = (
            "a",
            (0..)
                .map(|i| format!("v{i}"))
                .find(|v| bucket(v) != 0)
                .unwrap(),
        );
        let unseen = (0..)
            .map(|i| format!("u{i}"))
            .find(|v| bucket(v) == 0)
            .unwrap();
        let line = format!(
            r#"{{"id":"s","profile":{{"tier":"gold"}},"events":[{{"ts":1,"terminal":"{x}"}},{{"ts":2,"terminal":"{x}"}},{{"ts":3,"terminal":"{y}"}}]}}"#
        );
        let s =
            parse_session_json(&line, &schema, &Location::new("t", 1), &Limits::default()).unwrap();
        let enc = Encoder::fit(&schema, &[&s]).unwrap();
        assert_eq!(enc.event_vocabs[0].token(2), "#0");
        assert_eq!(enc.event_vocabs[0].token(3), format!("#{}", bucket(&y)));
        let other = line.replace(
            &format!(r#""terminal":"{y}""#),
            &format!(r#""terminal":"{unseen}""#),
        );
        let o = parse_session_json(&other, &schema, &Location::new("t", 2), &Limits::default())
            .unwrap();
        let (e, eo) = (enc.encode(&s), enc.encode(&o));
        // ids: pad 0, then terminal's (pad, oov, #0, #b) from 1: #0 is 1 + 2
        assert_eq!(e.event_index, [3, 3, 4]);
        assert_eq!(
            eo.event_index,
            [3, 3, 3],
            "an unseen value shares its bucket's row"
        );
        let err = Schema::from_toml(
            "[timestamp]\nfield = \"ts\"\n[[event.categorical]]\nname = \"t\"\nhash_buckets = 0\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("`t`: hash_buckets must be between 1"), "{err}");
    }
}
