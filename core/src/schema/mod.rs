//! The event schema: which fields a session and its events carry, and how each is read.
//!
//! A schema is a TOML (or JSON) file. The default one, used by the synthetic generator and the
//! default job, is [`Schema::synthetic_default`]; its text lives in `synthetic.toml`.
//!
//! ```toml
//! session_id = "id"
//! label = "label"
//! max_events = 20            # T: most recent events kept per session
//! [timestamp]
//! field = "ts"
//! unit = "seconds"           # or "milliseconds", or "rfc3339" (written as text; any
//!                            # timestamp field also reads RFC 3339 / ISO 8601 text)
//! [[event.categorical]]
//! name = "event_type"
//! [[event.numeric]]
//! name = "amount"
//! transform = "log1p"
//! [[event.text]]
//! name = "description"
//! [[profile.categorical]]
//! name = "kyc_level"
//! ```

mod csv;
mod limits;
mod session;

pub use csv::{
    ColumnKind, CsvRows, GroupedRows, LongTable, csv_rows, long_rows, read_csv, read_rows,
    write_csv,
};
pub use limits::{Limits, Top, parse_bounded};
pub use session::{
    Category, Event, FieldValues, JsonlReader, Session, parse_session_json, parse_sessions_json,
    read_jsonl, session_from_json, session_to_json,
};

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Unit of the timestamp field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    /// Seconds since the Unix epoch (fractions allowed).
    #[default]
    Seconds,
    /// Milliseconds since the Unix epoch (`Date.now()` in JavaScript).
    Milliseconds,
    /// RFC 3339 text in UTC (`2026-12-06T02:30:00Z`) when sessions are written; numbers read
    /// as seconds.
    Rfc3339,
}

impl TimeUnit {
    /// Seconds of a number in this unit.
    pub fn seconds(self, x: f64) -> f64 {
        match self {
            TimeUnit::Seconds | TimeUnit::Rfc3339 => x,
            TimeUnit::Milliseconds => x / 1000.0,
        }
    }

    /// A timestamp of `seconds` as written in this unit: a number, or RFC 3339 text (with
    /// as many fraction digits as it needs; a timestamp past what RFC 3339 can write stays a
    /// number of seconds).
    pub fn write(self, seconds: f64) -> TimeText {
        match self {
            TimeUnit::Seconds => TimeText::Number(seconds),
            TimeUnit::Milliseconds => TimeText::Number(seconds * 1000.0),
            TimeUnit::Rfc3339 => {
                let whole = seconds.floor();
                let nanos = ((seconds - whole) * 1e9).round().min(999_999_999.0) as u32;
                match chrono::DateTime::from_timestamp(whole as i64, nanos) {
                    Some(t) => {
                        TimeText::Text(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
                    }
                    None => TimeText::Number(seconds),
                }
            }
        }
    }
}

/// A timestamp as written out: a number in the schema's unit or RFC 3339 text.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeText {
    /// Seconds or milliseconds.
    Number(f64),
    /// RFC 3339 text.
    Text(String),
}

/// The timestamp field of events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimestampSpec {
    /// Field name inside each event.
    pub field: String,
    /// Unit of the number.
    #[serde(default)]
    pub unit: TimeUnit,
}

/// Transform applied to a numeric value before standardisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Transform {
    /// Use the value as is.
    #[default]
    Identity,
    /// `sign(x)·ln(1 + |x|)`: for amounts, durations, counts.
    Log1p,
    /// `ln(x)`, for values above 0 only (a value at or below 0 is refused when read, naming
    /// the field): HUIHEN's `E·log(amount)` exactly as §3.2 writes it. `log1p` is the default
    /// form for amounts since it is defined at 0 and for refunds; for amounts well above 1 the
    /// two differ by `ln(1 + 1/x) < 1/x`.
    Log,
}

impl Transform {
    /// Apply the transform.
    ///
    /// `ln(1 + x)` is [`libm::log1p`], not `f64::ln_1p`: std calls the platform's libm
    /// (glibc natively, a port of musl's in wasm), and the two may differ in the last place,
    /// so a value on a learned threshold (a cluster rule's, a tree split's) could fall either
    /// side of it natively and in the browser. One implementation gives the same bits on both.
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Transform::Identity => x,
            Transform::Log1p => x.signum() * libm::log1p(x.abs()),
            Transform::Log => libm::log(x),
        }
    }

    /// Why `x` cannot be transformed (`None` when it can): `log` takes values above 0 only.
    pub fn domain_error(self, x: f64) -> Option<String> {
        (self == Transform::Log && x <= 0.0)
            .then(|| format!("transform = \"log\" takes values above 0, got {x}"))
    }

    /// The value a transformed value came from, `t⁻¹`: for names, reports and the cluster
    /// rules, which compare it with learned thresholds, so [`libm::expm1`] gives the same bits
    /// natively and in wasm (see [`Transform::apply`]).
    pub fn invert(self, t: f64) -> f64 {
        match self {
            Transform::Identity => t,
            Transform::Log1p => t.signum() * libm::expm1(t.abs()),
            Transform::Log => libm::exp(t),
        }
    }
}

/// How the models read a numeric field's value (after its [`Transform`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum NumericEncoding {
    /// The papers' form: the field's one embedding row scaled by the standardised value,
    /// `x·v` (NHFM §3.1, DIFM §3.2). Monotone in the value, so a model cannot learn "risky
    /// above X, safe below" from one field alone.
    #[default]
    Scale,
    /// Quantile buckets: the value's bucket among `bins` equal-frequency buckets of the
    /// training values, read as a categorical value (its own embedding row, value 1), so
    /// every range of the value has its own vector.
    Quantile,
    /// Piecewise-linear encoding (PLE; Gorishniy et al. 2022, "On Embeddings for Numerical
    /// Features in Tabular Deep Learning", §3.2): over `bins` quantile bins `[b_{t−1}, b_t]`,
    /// component `t` is 0 below its bin, 1 above it and the position within it in between,
    /// each component a feature with its own embedding row, so the field's vector
    /// `Σ_t e_t·v_t` is continuous and piecewise linear in the value.
    Ple,
}

impl NumericEncoding {
    /// Every encoding, in the order the schema documents them.
    pub const ALL: [NumericEncoding; 3] = [
        NumericEncoding::Scale,
        NumericEncoding::Quantile,
        NumericEncoding::Ple,
    ];

    /// The name the schema and the CLI use.
    pub fn name(self) -> &'static str {
        match self {
            NumericEncoding::Scale => "scale",
            NumericEncoding::Quantile => "quantile",
            NumericEncoding::Ple => "ple",
        }
    }
}

impl std::fmt::Display for NumericEncoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for NumericEncoding {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        by_name(
            &NumericEncoding::ALL,
            NumericEncoding::name,
            "numeric encoding",
            s,
        )
    }
}

/// Where a bucketed or PLE-encoded numeric field's bin edges fall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Binning {
    /// At the training values' quantiles: equal-frequency bins.
    #[default]
    Quantile,
    /// Where the training label changes: the leaves of a one-field decision tree
    /// (Gorishniy et al. 2022, §3.2, "target-aware bins"; see
    /// [`crate::encode::target_edges`]). Every event of a training session carries the
    /// session's label.
    Target,
}

impl Binning {
    /// Every binning, in the order the schema documents them.
    pub const ALL: [Binning; 2] = [Binning::Quantile, Binning::Target];

    /// The name the schema and the CLI use.
    pub fn name(self) -> &'static str {
        match self {
            Binning::Quantile => "quantile",
            Binning::Target => "target",
        }
    }
}

impl std::fmt::Display for Binning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Binning {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        by_name(&Binning::ALL, Binning::name, "binning", s)
    }
}

/// The one of `all` that `name` calls `s`, or a schema error naming what was asked for
/// (`what`) and listing the known names.
fn by_name<T: Copy>(all: &[T], name: fn(T) -> &'static str, what: &str, s: &str) -> Result<T> {
    all.iter().copied().find(|&v| name(v) == s).ok_or_else(|| {
        let known: Vec<&str> = all.iter().map(|&v| name(v)).collect();
        Error::Schema(format!("unknown {what} `{s}`; known: {}", known.join(", ")))
    })
}

/// A numeric field's encoding with the schema's defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldEncoding {
    /// How the models read the value.
    pub encoding: NumericEncoding,
    /// Buckets or PLE bins (at most).
    pub bins: usize,
    /// Where the bin edges fall.
    pub binning: Binning,
}

/// A categorical field: a string (numbers and booleans are read as their text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoricalField {
    /// Field name.
    pub name: String,
    /// Keep at most this many most frequent values; the rest map to the OOV bucket.
    #[serde(default)]
    pub max_vocab: Option<usize>,
    /// Hash the values into this many buckets (64-bit FNV-1a of the value, modulo) before the
    /// vocabulary, which then holds buckets (`#17`) instead of values: a field of millions of
    /// values gets a fixed number of embedding rows, and a value unseen in training shares the
    /// row of its bucket instead of the OOV row.
    #[serde(default)]
    pub hash_buckets: Option<usize>,
    /// An event numeric field whose transformed value (with `transform = "log1p"`: the log of
    /// the amount) becomes this field's feature value instead of 1, so its embedding is scaled
    /// by it: HUIHEN's transform operations, `E·log(amount)` (§3.2). Events without the amount
    /// keep the value 1.
    #[serde(default)]
    pub scale_by: Option<String>,
}

/// A numeric field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumericField {
    /// Field name.
    pub name: String,
    /// Transform before standardisation.
    #[serde(default)]
    pub transform: Transform,
    /// How the models read it; the schema's `numeric_encoding` when absent.
    #[serde(default)]
    pub encoding: Option<NumericEncoding>,
    /// Buckets of `encoding = "quantile"`; the schema's `bins` when absent.
    #[serde(default)]
    pub bins: Option<usize>,
    /// Where its bin edges fall; the schema's `binning` when absent.
    #[serde(default)]
    pub binning: Option<Binning>,
    /// Event fields only: also give the models, per event, the transformed value less the
    /// mean of the session's earlier values of the field — how far this payment departs from
    /// the user's own history, which the fraud handbook's customer spending features read
    /// (Le Borgne et al. 2022, §3.4) and an FM over value embeddings cannot form. A derived
    /// event numeric field [`deviation_name`]`(name)` after the schema's, encoded as this
    /// field is; empty on an event without the value or without an earlier one.
    #[serde(default)]
    pub deviation: bool,
}

/// The name of numeric field `name`'s derived deviation field (`deviation = true`).
pub fn deviation_name(name: &str) -> String {
    format!("{name}_deviation")
}

/// A free-text field (merchant names, descriptions), used by the text-aware models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextField {
    /// Field name.
    pub name: String,
}

/// A group of fields (one for events, one for the session profile).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FieldGroup {
    /// Categorical fields.
    #[serde(default)]
    pub categorical: Vec<CategoricalField>,
    /// Numeric fields.
    #[serde(default)]
    pub numeric: Vec<NumericField>,
    /// Free-text fields.
    #[serde(default)]
    pub text: Vec<TextField>,
}

impl FieldGroup {
    fn names(&self) -> impl Iterator<Item = &str> {
        self.categorical
            .iter()
            .map(|f| f.name.as_str())
            .chain(self.numeric.iter().map(|f| f.name.as_str()))
            .chain(self.text.iter().map(|f| f.name.as_str()))
    }

    /// The numeric fields with `deviation = true`, with their positions among the numeric
    /// fields: the sources of the derived deviation fields, in order.
    pub fn deviations(&self) -> impl Iterator<Item = (usize, &NumericField)> {
        self.numeric.iter().enumerate().filter(|(_, f)| f.deviation)
    }
}

/// How the session view splits a user's behaviors into sessions (HUIHEN §3.4 and §5.2; the
/// defaults are the paper's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSplit {
    /// A gap of more than this many seconds between two behaviors starts a new session (a gap
    /// of exactly this long does not).
    pub gap_seconds: f64,
    /// Sessions with fewer behaviors are dropped as noise.
    pub min_behaviors: usize,
    /// The most recent this many sessions are kept.
    pub max_sessions: usize,
    /// The most recent this many behaviors of each session are kept.
    pub max_behaviors: usize,
    /// Profile fields that describe the applied product (HUIHEN's `x_item`); the other profile
    /// fields describe the user (`x_user`).
    pub item_fields: Vec<String>,
}

impl Default for SessionSplit {
    fn default() -> Self {
        Self {
            gap_seconds: 3600.0,
            min_behaviors: 3,
            max_sessions: 50,
            max_behaviors: 25,
            item_fields: Vec::new(),
        }
    }
}

/// How the fold view groups a user's payments by merchant (LBSF §IV-B and §V-C; the defaults
/// are the paper's where it gives one).
///
/// Merchants are ranked by their number of payments (most first), ties broken by the most
/// recent payment (latest first), then by name; the top `max_merchants` are kept. The paper
/// pre-selects 74 merchants per user without saying by what; the count is the order that keeps
/// the merchants a user's history is mostly made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MerchantFold {
    /// The event field (categorical or text) naming the merchant; required by LBSF.
    pub merchant: Option<String>,
    /// The event field (categorical or text) describing the payment.
    pub description: Option<String>,
    /// The event numeric field holding the amount.
    pub amount: Option<String>,
    /// `M`: merchants kept per user (the paper: 74).
    pub max_merchants: usize,
    /// The most recent this many payments of each merchant are kept. Unset (the default),
    /// every payment is, as in the paper: [`crate::encode::Encoder::fit`] sets it to the
    /// longest merchant history among the training sessions (at most [`MAX_PAYMENTS`]), which
    /// sizes LBSF's payment positions; a longer history met when scoring keeps its most recent
    /// that many.
    pub max_payments: Option<usize>,
    /// Hash buckets of the character n-gram text encoder.
    pub text_buckets: usize,
    /// At most this many tokens (words and character trigrams) are read from one text.
    pub text_tokens: usize,
}

/// Most payments of one merchant a schema may keep (`[merchants] max_payments`).
pub const MAX_PAYMENTS: usize = 4096;

impl MerchantFold {
    /// Payments kept per merchant: `max_payments`, which every fitted encoder's schema sets
    /// (an unfitted schema that leaves it unset keeps up to [`MAX_PAYMENTS`]).
    pub fn payments(&self) -> usize {
        self.max_payments.unwrap_or(MAX_PAYMENTS)
    }
}

impl Default for MerchantFold {
    fn default() -> Self {
        Self {
            merchant: None,
            description: None,
            amount: None,
            max_merchants: 74,
            max_payments: None,
            text_buckets: 4096,
            text_tokens: 32,
        }
    }
}

fn default_session_id() -> String {
    "id".into()
}
fn default_max_events() -> usize {
    20
}
fn default_true() -> bool {
    true
}
/// `min_count` of a schema that sets none and is trained without a preset that does.
pub const DEFAULT_MIN_COUNT: usize = 1;
/// `bins` of a schema that sets none and is trained without a preset that does.
pub const DEFAULT_BINS: usize = 16;

/// The whole schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// Session id key (JSONL) or column (CSV).
    #[serde(default = "default_session_id")]
    pub session_id: String,
    /// The label key/column (0/1 or true/false); optional at scoring time.
    #[serde(default)]
    pub label: Option<String>,
    /// Optional per-event ground-truth flag marking planted (fraudulent) events. Used only to
    /// evaluate explanations, never as a model input.
    #[serde(default)]
    pub planted: Option<String>,
    /// Optional key/column naming the card, account or customer a session belongs to. Read
    /// only for per-entity evaluation (the fraud handbook's card precision@k per day), never a
    /// model input.
    #[serde(default)]
    pub entity: Option<String>,
    /// The timestamp field of events.
    pub timestamp: TimestampSpec,
    /// Event fields.
    #[serde(default)]
    pub event: FieldGroup,
    /// Session-level profile fields.
    #[serde(default)]
    pub profile: FieldGroup,
    /// Maximum number of events kept per session (the most recent ones); the paper's T.
    #[serde(default = "default_max_events")]
    pub max_events: usize,
    /// Add the derived event fields `hour_of_day` (categorical) and `log_gap` (log1p seconds
    /// since the previous event, numeric).
    #[serde(default = "default_true")]
    pub time_features: bool,
    /// Values seen fewer times than this in training map to the OOV bucket; when absent, the
    /// training preset's (`seqrisk train --preset`), else [`DEFAULT_MIN_COUNT`].
    // no `skip_serializing_if`: the artifact's bincode is not self-describing
    #[serde(default)]
    pub min_count: Option<usize>,
    /// How the models read numeric fields (event, profile and `log_gap`) that do not set
    /// their own `encoding`; when absent, the training preset's, else `scale`.
    #[serde(default)]
    pub numeric_encoding: Option<NumericEncoding>,
    /// Buckets of quantile-encoded fields that do not set their own `bins`; when absent, the
    /// training preset's, else [`DEFAULT_BINS`].
    #[serde(default)]
    pub bins: Option<usize>,
    /// Where the bin edges of bucketed and PLE-encoded fields that do not set their own
    /// `binning` fall; when absent, the training preset's, else `quantile`.
    #[serde(default)]
    pub binning: Option<Binning>,
    /// The session view (HUIHEN): how behaviors are split into sessions.
    #[serde(default)]
    pub sessions: SessionSplit,
    /// The fold view (LBSF): how payments are grouped by merchant.
    #[serde(default)]
    pub merchants: MerchantFold,
}

/// Most quantile buckets a numeric field may have.
pub const MAX_BINS: usize = 1024;
/// Name of the derived hour-of-day field.
pub const HOUR_OF_DAY: &str = "hour_of_day";
/// Name of the derived inter-event gap field.
pub const LOG_GAP: &str = "log_gap";
/// The embedded default schema of the synthetic data.
pub const SYNTHETIC_SCHEMA_TOML: &str = include_str!("synthetic.toml");
/// The embedded schema of the synthetic credit scenario (HUIHEN's default data).
pub const CREDIT_SCHEMA_TOML: &str = include_str!("credit.toml");
/// The embedded schema of the card-transactions scenario (the fraud handbook's simulator).
pub const TRANSACTIONS_SCHEMA_TOML: &str = include_str!("transactions.toml");
/// The embedded schema of the synthetic payments scenario (LBSF's default data).
pub const PAYMENTS_SCHEMA_TOML: &str = include_str!("payments.toml");

impl Schema {
    /// `min_count`, or [`DEFAULT_MIN_COUNT`] when the schema sets none.
    pub fn min_count(&self) -> usize {
        self.min_count.unwrap_or(DEFAULT_MIN_COUNT)
    }

    /// `numeric_encoding`, or `scale` (the papers') when the schema sets none.
    pub fn numeric_encoding(&self) -> NumericEncoding {
        self.numeric_encoding.unwrap_or_default()
    }

    /// `bins`, or [`DEFAULT_BINS`] when the schema sets none.
    pub fn bins(&self) -> usize {
        self.bins.unwrap_or(DEFAULT_BINS)
    }

    /// `binning`, or `quantile` when the schema sets none.
    pub fn binning(&self) -> Binning {
        self.binning.unwrap_or_default()
    }

    /// The encoding of numeric fields that set none of their own (and of `log_gap`).
    pub fn default_encoding(&self) -> FieldEncoding {
        FieldEncoding {
            encoding: self.numeric_encoding(),
            bins: self.bins(),
            binning: self.binning(),
        }
    }

    /// Parse a schema from TOML text and validate it.
    pub fn from_toml(text: &str) -> Result<Self> {
        let schema: Schema = toml::from_str(text).map_err(|e| Error::Schema(e.to_string()))?;
        schema.validate()?;
        Ok(schema)
    }

    /// Parse a schema from JSON text and validate it.
    pub fn from_json(text: &str) -> Result<Self> {
        let schema: Schema =
            serde_json::from_str(text).map_err(|e| Error::Schema(e.to_string()))?;
        schema.validate()?;
        Ok(schema)
    }

    /// Parse a schema file's text, choosing the format from a file name (`.json` or TOML).
    pub fn from_file_text(name: &str, text: &str) -> Result<Self> {
        if name.ends_with(".json") {
            Self::from_json(text)
        } else {
            Self::from_toml(text)
        }
        .map_err(|e| match e {
            Error::Schema(m) => Error::Schema(format!("{name}: {m}")),
            other => other,
        })
    }

    /// The schema of the synthetic data set (`native gen`).
    pub fn synthetic_default() -> Self {
        Self::from_toml(SYNTHETIC_SCHEMA_TOML).expect("embedded synthetic schema is valid")
    }

    /// The schema of the synthetic credit scenario (`native gen --scenario credit`).
    pub fn credit_default() -> Self {
        Self::from_toml(CREDIT_SCHEMA_TOML).expect("embedded credit schema is valid")
    }

    /// The schema of the synthetic payments scenario (`native gen --scenario payments`).
    pub fn payments_default() -> Self {
        Self::from_toml(PAYMENTS_SCHEMA_TOML).expect("embedded payments schema is valid")
    }

    /// Check names are unique and non-empty and limits are sane.
    pub fn validate(&self) -> Result<()> {
        if self.max_events < 2 {
            return Err(Error::Schema(format!(
                "max_events must be at least 2 (one history event and the current event), got {}",
                self.max_events
            )));
        }
        if self.max_events > 4096 {
            return Err(Error::Schema(format!(
                "max_events must be at most 4096, got {}",
                self.max_events
            )));
        }
        let mut seen = HashSet::new();
        let reserved = [self.timestamp.field.as_str()]
            .into_iter()
            .chain(self.planted.as_deref());
        for name in self.event.names().chain(reserved) {
            if name.is_empty() {
                return Err(Error::Schema("an event field has an empty name".into()));
            }
            if !seen.insert(name) {
                return Err(Error::Schema(format!(
                    "event field `{name}` is declared twice"
                )));
            }
            if self.time_features && (name == HOUR_OF_DAY || name == LOG_GAP) {
                return Err(Error::Schema(format!(
                    "event field `{name}` clashes with a derived time feature; rename it or set time_features = false"
                )));
            }
        }
        for (_, f) in self.event.deviations() {
            let derived = deviation_name(&f.name);
            if self.event.names().any(|n| n == derived) {
                return Err(Error::Schema(format!(
                    "event field `{derived}` clashes with the deviation derived from `{}`; rename it or set deviation = false",
                    f.name
                )));
            }
        }
        if let Some((_, f)) = self.profile.deviations().next() {
            return Err(Error::Schema(format!(
                "profile field `{}`: deviation = true needs a history, so it applies to event fields only",
                f.name
            )));
        }
        let mut seen = HashSet::new();
        for name in self.profile.names() {
            if name.is_empty() || !seen.insert(name) {
                return Err(Error::Schema(format!(
                    "profile field `{name}` is empty or declared twice"
                )));
            }
        }
        for f in &self.event.categorical {
            if let Some(by) = &f.scale_by
                && !self.event.numeric.iter().any(|n| &n.name == by)
            {
                return Err(Error::Schema(format!(
                    "event field `{}`: scale_by = `{by}` is not an event numeric field",
                    f.name
                )));
            }
        }
        if self.min_count == Some(0) {
            return Err(Error::Schema("min_count must be at least 1".into()));
        }
        let bins = std::iter::once(("bins".to_string(), self.bins)).chain(
            self.event
                .numeric
                .iter()
                .chain(&self.profile.numeric)
                .map(|f| (format!("numeric field `{}`: bins", f.name), f.bins)),
        );
        for (what, n) in bins {
            if let Some(n) = n
                && !(2..=MAX_BINS).contains(&n)
            {
                return Err(Error::Schema(format!(
                    "{what} must be between 2 and {MAX_BINS}, got {n}"
                )));
            }
        }
        for f in self
            .event
            .categorical
            .iter()
            .chain(&self.profile.categorical)
        {
            if let Some(n) = f.hash_buckets
                && !(1..=MAX_HASH_BUCKETS).contains(&n)
            {
                return Err(Error::Schema(format!(
                    "categorical field `{}`: hash_buckets must be between 1 and {MAX_HASH_BUCKETS}, got {n}",
                    f.name
                )));
            }
        }
        self.sessions.validate(&self.profile)?;
        self.merchants.validate(&self.event)?;
        if self.event.categorical.is_empty() && self.event.numeric.is_empty() && !self.time_features
        {
            return Err(Error::Schema(
                "events need at least one categorical or numeric field".into(),
            ));
        }
        Ok(())
    }
}

/// Most buckets a hashed categorical field may have (embedding rows: 16 million × k floats is
/// already gigabytes).
pub const MAX_HASH_BUCKETS: usize = 1 << 24;

impl CategoricalField {
    /// The key value `v` is counted and looked up by: the value itself, or with `hash_buckets`
    /// its bucket `#b`, `b = FNV-1a(v) mod hash_buckets` (the same bits in every runtime).
    pub fn key<'a>(&self, v: &'a str) -> std::borrow::Cow<'a, str> {
        match self.hash_buckets {
            Some(n) => {
                let b = crate::encode::fnv1a(&[v.as_bytes()]) % n.max(1) as u64;
                std::borrow::Cow::Owned(format!("#{b}"))
            }
            None => std::borrow::Cow::Borrowed(v),
        }
    }
}

impl NumericField {
    /// Its encoding, with the schema's defaults filled in.
    pub fn encoding_in(&self, schema: &Schema) -> FieldEncoding {
        let d = schema.default_encoding();
        FieldEncoding {
            encoding: self.encoding.unwrap_or(d.encoding),
            bins: self.bins.unwrap_or(d.bins),
            binning: self.binning.unwrap_or(d.binning),
        }
    }
}

impl SessionSplit {
    fn validate(&self, profile: &FieldGroup) -> Result<()> {
        let bad = |m: String| Err(Error::Schema(format!("[sessions] {m}")));
        if !(self.gap_seconds.is_finite() && self.gap_seconds > 0.0) {
            return bad(format!(
                "gap_seconds must be a positive number, got {}",
                self.gap_seconds
            ));
        }
        for (name, v) in [
            ("min_behaviors", self.min_behaviors),
            ("max_sessions", self.max_sessions),
            ("max_behaviors", self.max_behaviors),
        ] {
            if !(1..=1000).contains(&v) {
                return bad(format!("{name} must be between 1 and 1000, got {v}"));
            }
        }
        if self.min_behaviors > self.max_behaviors {
            return bad(format!(
                "min_behaviors ({}) is more than max_behaviors ({})",
                self.min_behaviors, self.max_behaviors
            ));
        }
        let names: Vec<&str> = profile
            .categorical
            .iter()
            .map(|f| f.name.as_str())
            .chain(profile.numeric.iter().map(|f| f.name.as_str()))
            .collect();
        for f in &self.item_fields {
            if !names.contains(&f.as_str()) {
                return bad(format!(
                    "item_fields names `{f}`, which is not a categorical or numeric profile field"
                ));
            }
        }
        Ok(())
    }
}

impl MerchantFold {
    fn validate(&self, event: &FieldGroup) -> Result<()> {
        let bad = |m: String| Err(Error::Schema(format!("[merchants] {m}")));
        let words = |name: &str| {
            event.categorical.iter().any(|f| f.name == name)
                || event.text.iter().any(|f| f.name == name)
        };
        for (key, field) in [
            ("merchant", &self.merchant),
            ("description", &self.description),
        ] {
            if let Some(name) = field
                && !words(name)
            {
                return bad(format!(
                    "{key} = `{name}` is not an event categorical or text field"
                ));
            }
        }
        if let Some(name) = &self.amount
            && !event.numeric.iter().any(|f| &f.name == name)
        {
            return bad(format!("amount = `{name}` is not an event numeric field"));
        }
        for (name, v, max) in [
            ("max_merchants", self.max_merchants, 1000),
            ("max_payments", self.payments(), MAX_PAYMENTS),
            ("text_buckets", self.text_buckets, 1 << 22),
            ("text_tokens", self.text_tokens, 1024),
        ] {
            if !(1..=max).contains(&v) {
                return bad(format!("{name} must be between 1 and {max}, got {v}"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CLI's `--numeric-encoding` and `--binning` read every name the schema writes, and
    /// an unknown one lists the known ones.
    #[test]
    fn encodings_and_binnings_by_name() {
        for e in NumericEncoding::ALL {
            assert_eq!(e.to_string().parse::<NumericEncoding>().unwrap(), e);
        }
        for b in Binning::ALL {
            assert_eq!(b.to_string().parse::<Binning>().unwrap(), b);
        }
        assert_eq!(
            "log".parse::<NumericEncoding>().unwrap_err().to_string(),
            "schema: unknown numeric encoding `log`; known: scale, quantile, ple"
        );
        assert!(
            "tree"
                .parse::<Binning>()
                .unwrap_err()
                .to_string()
                .ends_with("unknown binning `tree`; known: quantile, target")
        );
    }

    #[test]
    fn default_schema_parses() {
        let s = Schema::synthetic_default();
        assert_eq!(s.max_events, 20);
        assert_eq!(s.timestamp.unit, TimeUnit::Seconds);
        assert!(s.event.categorical.iter().any(|f| f.name == "event_type"));
        let t = Schema::from_toml(TRANSACTIONS_SCHEMA_TOML).unwrap();
        assert_eq!(t.timestamp.unit, TimeUnit::Rfc3339);
    }

    #[test]
    fn duplicate_field_is_rejected() {
        let text = r#"
            [timestamp]
            field = "ts"
            [[event.categorical]]
            name = "a"
            [[event.numeric]]
            name = "a"
        "#;
        let err = Schema::from_toml(text).unwrap_err().to_string();
        assert!(err.contains("`a` is declared twice"), "{err}");
    }

    #[test]
    fn unknown_key_and_small_t_are_rejected() {
        let err = Schema::from_toml("[timestamp]\nfield='ts'\nmax_event=3\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_event"), "{err}");
        let err = Schema::from_toml("max_events=1\n[timestamp]\nfield='ts'\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_events must be at least 2"), "{err}");
    }

    #[test]
    fn log1p_is_signed() {
        assert!((Transform::Log1p.apply(-(std::f64::consts::E - 1.0)) + 1.0).abs() < 1e-12);
        assert_eq!(Transform::Identity.apply(3.5), 3.5);
        assert_eq!(Transform::Log.apply(std::f64::consts::E), 1.0);
        assert_eq!(Transform::Log.invert(0.0), 1.0);
        assert_eq!(Transform::Log.domain_error(0.5), None);
        assert_eq!(
            Transform::Log.domain_error(0.0).as_deref(),
            Some("transform = \"log\" takes values above 0, got 0")
        );
        assert_eq!(Transform::Log1p.domain_error(-3.0), None);
    }
}
