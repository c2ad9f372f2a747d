//! Sessions and events as read from input, validated against a [`Schema`].
//!
//! JSONL: one session per line:
//! `{"id": "s1", "label": 0, "profile": {...}, "events": [{"ts": 1700000000, "event_type": "login", ...}]}`.
//! Keys the schema does not declare are ignored, so producers can carry extra context.

use super::limits::{Limits, Top, parse_bounded};
use super::{FieldGroup, NumericField, Schema, TimeText, TimeUnit, Transform};
use crate::error::{DataError, DataProblem, Error, Location, Result};
use serde_json::Value as Json;
use std::cmp::Ordering;
use std::io::{BufRead, Read};

/// A categorical value: stored inline up to 24 bytes (terminal ids, cities, event types), so
/// reading one allocates nothing.
pub type Category = compact_str::CompactString;

/// The values of one field group (an event's or a profile's), in schema order.
///
/// Parsed events are most of the memory of a large training run (100,000 transaction
/// sessions hold 3.7 million), so the lists are boxed slices (no capacity word, never spare
/// room) and categorical values are [`Category`]s: an event of the transactions scenario
/// takes 64 bytes and one 16-byte allocation, where `Vec`s of `String`s took 88 bytes and
/// four allocations (issue 27's GBDT memory benchmark).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FieldValues {
    /// Categorical values (`None` = missing).
    pub categorical: Box<[Option<Category>]>,
    /// Numeric values, finite (`None` = missing).
    pub numeric: Box<[Option<f64>]>,
    /// Text values (`None` = missing).
    pub text: Box<[Option<String>]>,
}

/// Values collected into a boxed slice, stopping at the first error.
pub(crate) fn collect_exact<T>(
    values: impl ExactSizeIterator<Item = Result<T>>,
) -> Result<Box<[T]>> {
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        out.push(v?);
    }
    Ok(out.into_boxed_slice())
}

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Seconds since the Unix epoch.
    pub ts: f64,
    /// Field values in schema order.
    pub values: FieldValues,
    /// Ground truth: this event belongs to a planted fraud pattern (evaluation only).
    pub planted: bool,
}

impl Event {
    /// Put `events` in the order every reader leaves them: by time, and events at the same
    /// time by their values (categorical, then numeric, then text, each in schema order; a
    /// missing value first) and then `planted`. So a session reads, encodes and scores alike
    /// whatever order its rows come in: a DataFrame, a Parquet data set written by Spark or a
    /// shuffled CSV keeps no row order, and models that keep the most recent events (LBSF's
    /// per-merchant histories, `max_events`) would otherwise keep different ones.
    pub fn sort_chronologically(events: &mut [Event]) {
        events.sort_by(|a, b| {
            a.ts.total_cmp(&b.ts)
                .then_with(|| a.values.cmp_values(&b.values))
                .then(a.planted.cmp(&b.planted))
        });
    }
}

impl FieldValues {
    /// A total order on the values of one field group (the tie-break of
    /// [`Event::sort_chronologically`]); numbers compare by [`f64::total_cmp`].
    fn cmp_values(&self, other: &Self) -> Ordering {
        let numeric = || {
            self.numeric
                .iter()
                .zip(&other.numeric)
                .map(|(a, b)| match (a, b) {
                    (Some(a), Some(b)) => a.total_cmp(b),
                    _ => a.is_some().cmp(&b.is_some()),
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        };
        self.categorical
            .cmp(&other.categorical)
            .then_with(numeric)
            .then_with(|| self.text.cmp(&other.text))
    }
}

/// One session: a user's events plus session-level profile and an optional label.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Session id.
    pub id: String,
    /// The card, account or customer it belongs to, when the schema names an `entity` key.
    pub entity: Option<String>,
    /// Fraud / risk label when known.
    pub label: Option<bool>,
    /// Session-level profile values.
    pub profile: FieldValues,
    /// Events in time order, equal times ordered by value ([`Event::sort_chronologically`]).
    pub events: Vec<Event>,
}

impl Session {
    /// Keep only the events of the last `seconds` before the session's last event (that one
    /// included): the same users seen through a shorter history window, as LBSF's 45-, 90- and
    /// 180-day subsets (Table II).
    pub fn keep_window(&mut self, seconds: f64) {
        if let Some(last) = self.events.last().map(|e| e.ts) {
            self.events.retain(|e| e.ts >= last - seconds);
        }
    }
}

pub(crate) fn data_err(
    location: &Location,
    field: impl Into<String>,
    problem: DataProblem,
) -> Error {
    Error::Data(DataError {
        location: location.clone(),
        field: field.into(),
        problem,
    })
}

fn type_name(v: &Json) -> String {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
    .to_string()
}

/// Read a categorical cell: strings as is, numbers and booleans as their text.
pub(crate) fn categorical_from_json(
    v: Option<&Json>,
    loc: &Location,
    path: &str,
) -> Result<Option<Category>> {
    match v {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(Category::from(s.as_str()))),
        Some(Json::Number(n)) => Ok(Some(compact_str::format_compact!("{n}"))),
        Some(Json::Bool(b)) => Ok(Some(Category::from(if *b { "true" } else { "false" }))),
        Some(other) => Err(data_err(
            loc,
            path,
            DataProblem::WrongType {
                expected: "a string, number or boolean",
                found: type_name(other),
            },
        )),
    }
}

/// Parse a number given as text (CSV cells, JSON strings). Empty text is missing.
pub(crate) fn number_from_str(s: &str, loc: &Location, path: &str) -> Result<Option<f64>> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let x: f64 = t.parse().map_err(|_| {
        data_err(
            loc,
            path,
            DataProblem::WrongType {
                expected: "a number",
                found: format!("{t:?}"),
            },
        )
    })?;
    if !x.is_finite() {
        return Err(data_err(loc, path, DataProblem::NotFinite(t.to_string())));
    }
    Ok(Some(x))
}

/// `x` as read for a field with `transform`: refused, naming the field, when the transform
/// is not defined there (`log` of a value at or below 0), so nothing reaches the models as NaN.
pub(crate) fn in_domain(
    x: Option<f64>,
    transform: Transform,
    loc: &Location,
    path: &str,
) -> Result<Option<f64>> {
    match x.and_then(|x| transform.domain_error(x)) {
        Some(why) => Err(data_err(loc, path, DataProblem::Invalid(why))),
        None => Ok(x),
    }
}

/// A text cell of numeric field `f`: [`number_from_str`], then [`in_domain`] of its transform.
pub(crate) fn field_number_from_str(
    s: &str,
    f: &NumericField,
    loc: &Location,
) -> Result<Option<f64>> {
    in_domain(number_from_str(s, loc, &f.name)?, f.transform, loc, &f.name)
}

pub(crate) fn number_from_json(
    v: Option<&Json>,
    loc: &Location,
    path: &str,
) -> Result<Option<f64>> {
    match v {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Number(n)) => match n.as_f64() {
            Some(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(data_err(loc, path, DataProblem::NotFinite(n.to_string()))),
        },
        Some(Json::String(s)) => number_from_str(s, loc, path),
        Some(other) => Err(data_err(
            loc,
            path,
            DataProblem::WrongType {
                expected: "a number",
                found: type_name(other),
            },
        )),
    }
}

fn text_from_json(v: Option<&Json>, loc: &Location, path: &str) -> Result<Option<String>> {
    match v {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(data_err(
            loc,
            path,
            DataProblem::WrongType {
                expected: "a string",
                found: type_name(other),
            },
        )),
    }
}

/// Read a label: 0/1, true/false, "0"/"1"; null or absent is unknown.
pub(crate) fn label_from_str(s: &str, loc: &Location, path: &str) -> Result<Option<bool>> {
    match s.trim() {
        "" => Ok(None),
        "0" | "false" | "0.0" => Ok(Some(false)),
        "1" | "true" | "1.0" => Ok(Some(true)),
        other => Err(data_err(
            loc,
            path,
            DataProblem::Invalid(format!("label must be 0/1 or true/false, found {other:?}")),
        )),
    }
}

fn label_from_json(v: Option<&Json>, loc: &Location, path: &str) -> Result<Option<bool>> {
    match v {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Bool(b)) => Ok(Some(*b)),
        Some(Json::Number(n)) => label_from_str(&n.to_string(), loc, path),
        Some(Json::String(s)) => label_from_str(s, loc, path),
        Some(other) => Err(data_err(
            loc,
            path,
            DataProblem::WrongType {
                expected: "0/1 or a boolean",
                found: type_name(other),
            },
        )),
    }
}

/// A timestamp as seconds since the Unix epoch: a number in the schema's `unit`, or text that
/// is such a number or an RFC 3339 / ISO 8601 date-time with `Z` or a UTC offset
/// (`2026-12-06T02:30:00Z`, `2026-12-06 03:30:00.250+01:00`) or a date (`2026-12-06`, midnight
/// UTC). Missing and negative (before 1970) timestamps are refused, as is a date-time with no
/// offset: its instant would depend on the reader's time zone.
pub(crate) fn timestamp_from_json(
    v: Option<&Json>,
    unit: TimeUnit,
    loc: &Location,
    path: &str,
) -> Result<f64> {
    let seconds = match v {
        Some(Json::String(s)) => timestamp_from_str(s, unit, loc, path)?,
        other => number_from_json(other, loc, path)?
            .map(|x| unit.seconds(x))
            .ok_or_else(|| data_err(loc, path, DataProblem::Missing))?,
    };
    not_before_1970(seconds, loc, path)
}

/// [`timestamp_from_json`] for text (CSV cells, Parquet's timestamp and date values).
pub(crate) fn timestamp_from_text(
    s: &str,
    unit: TimeUnit,
    loc: &Location,
    path: &str,
) -> Result<f64> {
    not_before_1970(timestamp_from_str(s, unit, loc, path)?, loc, path)
}

fn timestamp_from_str(s: &str, unit: TimeUnit, loc: &Location, path: &str) -> Result<f64> {
    let t = s.trim();
    if t.is_empty() {
        return Err(data_err(loc, path, DataProblem::Missing));
    }
    if t.parse::<f64>().is_ok() {
        return number_from_str(t, loc, path)?
            .map(|x| unit.seconds(x))
            .ok_or_else(|| data_err(loc, path, DataProblem::Missing));
    }
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(t) {
        // whole seconds and nanoseconds apart: an f64 of the whole instant in nanoseconds
        // would lose the fraction's last digits
        return Ok(at.timestamp() as f64 + f64::from(at.timestamp_subsec_nanos()) * 1e-9);
    }
    if let Ok(day) = t.parse::<chrono::NaiveDate>() {
        return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc().timestamp() as f64);
    }
    let hint = if t.parse::<chrono::NaiveDateTime>().is_ok() {
        "a date-time with no UTC offset; add `Z` or an offset such as `+01:00`"
    } else {
        "a number or an RFC 3339 / ISO 8601 timestamp such as 2026-12-06T02:30:00Z"
    };
    Err(data_err(
        loc,
        path,
        DataProblem::Invalid(format!("timestamp {t:?} is not readable: expected {hint}")),
    ))
}

fn not_before_1970(seconds: f64, loc: &Location, path: &str) -> Result<f64> {
    if seconds < 0.0 {
        return Err(data_err(
            loc,
            path,
            DataProblem::Invalid(format!(
                "timestamp must not be before 1970 (negative), found {seconds} s"
            )),
        ));
    }
    Ok(seconds)
}

/// Run `read` with an empty field path and put `path()` in its error only if it fails: paths are
/// per field per event, and formatting them up front cost more than the parsing.
fn at<T>(path: impl FnOnce() -> String, read: impl FnOnce(&str) -> Result<T>) -> Result<T> {
    read("").map_err(|e| match e {
        Error::Data(mut d) => {
            d.field = path();
            Error::Data(d)
        }
        other => other,
    })
}

fn group_from_json(
    obj: &serde_json::Map<String, Json>,
    group: &FieldGroup,
    loc: &Location,
    prefix: &dyn Fn() -> String,
) -> Result<FieldValues> {
    fn path<'a>(prefix: &'a dyn Fn() -> String, name: &'a str) -> impl FnOnce() -> String + 'a {
        move || format!("{}{name}", prefix())
    }
    Ok(FieldValues {
        categorical: collect_exact(group.categorical.iter().map(|f| {
            at(path(prefix, &f.name), |p| {
                categorical_from_json(obj.get(&f.name), loc, p)
            })
        }))?,
        numeric: collect_exact(group.numeric.iter().map(|f| {
            at(path(prefix, &f.name), |p| {
                in_domain(
                    number_from_json(obj.get(&f.name), loc, p)?,
                    f.transform,
                    loc,
                    p,
                )
            })
        }))?,
        text: collect_exact(group.text.iter().map(|f| {
            at(path(prefix, &f.name), |p| {
                text_from_json(obj.get(&f.name), loc, p)
            })
        }))?,
    })
}

fn as_object<'a>(
    v: &'a Json,
    loc: &Location,
    path: &str,
) -> Result<&'a serde_json::Map<String, Json>> {
    v.as_object().ok_or_else(|| {
        data_err(
            loc,
            path,
            DataProblem::WrongType {
                expected: "an object",
                found: type_name(v),
            },
        )
    })
}

/// A key whose value is text or a number (the session id, the entity), as text; `None` when
/// it is absent or null.
fn text_or_number(v: Option<&Json>, loc: &Location, key: &str) -> Result<Option<String>> {
    match v {
        Some(Json::String(s)) => Ok(Some(s.clone())),
        Some(Json::Number(n)) => Ok(Some(n.to_string())),
        None | Some(Json::Null) => Ok(None),
        Some(other) => Err(data_err(
            loc,
            key,
            DataProblem::WrongType {
                expected: "a string or number",
                found: type_name(other),
            },
        )),
    }
}

/// Build a session from an already parsed JSON value.
pub fn session_from_json(v: &Json, schema: &Schema, loc: &Location) -> Result<Session> {
    let obj = as_object(v, loc, "<session>")?;
    let id = text_or_number(obj.get(&schema.session_id), loc, &schema.session_id)?
        .ok_or_else(|| data_err(loc, &schema.session_id, DataProblem::Missing))?;
    let label = match &schema.label {
        Some(key) => label_from_json(obj.get(key), loc, key)?,
        None => None,
    };
    let entity = match &schema.entity {
        Some(key) => text_or_number(obj.get(key), loc, key)?,
        None => None,
    };
    let profile = match obj.get("profile") {
        None | Some(Json::Null) => {
            group_from_json(&Default::default(), &schema.profile, loc, &|| {
                "profile.".into()
            })?
        }
        Some(p) => group_from_json(as_object(p, loc, "profile")?, &schema.profile, loc, &|| {
            "profile.".into()
        })?,
    };
    let events_json = match obj.get("events") {
        Some(Json::Array(a)) => a,
        None => return Err(data_err(loc, "events", DataProblem::Missing)),
        Some(other) => {
            return Err(data_err(
                loc,
                "events",
                DataProblem::WrongType {
                    expected: "an array",
                    found: type_name(other),
                },
            ));
        }
    };
    let mut events = Vec::with_capacity(events_json.len());
    for (i, ev) in events_json.iter().enumerate() {
        let prefix = || format!("events[{i}].");
        let ev = at(|| format!("events[{i}]"), |p| as_object(ev, loc, p))?;
        let ts_field = &schema.timestamp.field;
        let ts = at(
            || format!("{}{ts_field}", prefix()),
            |p| timestamp_from_json(ev.get(ts_field), schema.timestamp.unit, loc, p),
        )?;
        let planted = match &schema.planted {
            Some(key) => at(
                || format!("{}{key}", prefix()),
                |p| label_from_json(ev.get(key), loc, p),
            )?
            .unwrap_or(false),
            None => false,
        };
        events.push(Event {
            ts,
            values: group_from_json(ev, &schema.event, loc, &prefix)?,
            planted,
        });
    }
    Event::sort_chronologically(&mut events);
    Ok(Session {
        entity,
        id,
        label,
        profile,
        events,
    })
}

fn group_to_json(
    values: &FieldValues,
    group: &FieldGroup,
    obj: &mut serde_json::Map<String, Json>,
) {
    for (f, v) in group.categorical.iter().zip(&values.categorical) {
        if let Some(v) = v {
            obj.insert(f.name.clone(), Json::String(v.to_string()));
        }
    }
    for (f, v) in group.numeric.iter().zip(&values.numeric) {
        if let Some(n) = v.and_then(serde_json::Number::from_f64) {
            obj.insert(f.name.clone(), Json::Number(n));
        }
    }
    for (f, v) in group.text.iter().zip(&values.text) {
        if let Some(v) = v {
            obj.insert(f.name.clone(), Json::String(v.clone()));
        }
    }
}

/// The JSON form of a session (the inverse of [`session_from_json`]); missing values are left
/// out, and the planted flag is written only where it is set.
pub fn session_to_json(session: &Session, schema: &Schema) -> Json {
    let mut obj = serde_json::Map::new();
    obj.insert(schema.session_id.clone(), Json::String(session.id.clone()));
    if let (Some(key), Some(label)) = (&schema.label, session.label) {
        obj.insert(key.clone(), Json::from(u8::from(label)));
    }
    if let (Some(key), Some(entity)) = (&schema.entity, &session.entity) {
        obj.insert(key.clone(), Json::String(entity.clone()));
    }
    let mut profile = serde_json::Map::new();
    group_to_json(&session.profile, &schema.profile, &mut profile);
    obj.insert("profile".into(), Json::Object(profile));
    let events = session
        .events
        .iter()
        .map(|e| {
            let mut ev = serde_json::Map::new();
            let ts = match schema.timestamp.unit.write(e.ts) {
                TimeText::Number(x) => serde_json::Number::from_f64(x).map(Json::Number),
                TimeText::Text(t) => Some(Json::String(t)),
            };
            if let Some(ts) = ts {
                ev.insert(schema.timestamp.field.clone(), ts);
            }
            group_to_json(&e.values, &schema.event, &mut ev);
            if let (Some(key), true) = (&schema.planted, e.planted) {
                ev.insert(key.clone(), Json::Bool(true));
            }
            Json::Object(ev)
        })
        .collect();
    obj.insert("events".into(), Json::Array(events));
    Json::Object(obj)
}

/// Parse one session from JSON text, within `limits` (see [`Limits`]).
pub fn parse_session_json(
    text: &str,
    schema: &Schema,
    loc: &Location,
    limits: &Limits,
) -> Result<Session> {
    let v = parse_bounded(text, limits, Top::Session, loc, "<session>")?;
    session_from_json(&v, schema, loc)
}

/// Parse a batch: a JSON array of sessions, within `limits` (at most `max_batch` sessions).
/// Errors in session `i` are located at `<loc.source>[i]`.
pub fn parse_sessions_json(
    text: &str,
    schema: &Schema,
    loc: &Location,
    limits: &Limits,
) -> Result<Vec<Session>> {
    let v = parse_bounded(text, limits, Top::Batch, loc, "sessions")?;
    let Json::Array(items) = v else {
        return Err(data_err(
            loc,
            "sessions",
            DataProblem::WrongType {
                expected: "an array of sessions",
                found: type_name(&v),
            },
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let at = Location::new(format!("{}[{i}]", loc.source), loc.line);
            session_from_json(v, schema, &at)
        })
        .collect()
}

/// Read sessions from JSONL: one JSON session per line, within `limits`; blank lines are
/// skipped. A line longer than `max_input_bytes` is refused before it is read whole.
pub fn read_jsonl<R: BufRead>(
    reader: R,
    source: &str,
    schema: &Schema,
    limits: &Limits,
) -> Result<Vec<Session>> {
    JsonlReader::new(reader, source, schema, limits)
        .map(|(_, session)| session)
        .collect()
}

/// The sessions of a JSON-lines stream one at a time, each with its 1-based line number (blank
/// lines are passed over): what [`read_jsonl`] collects, and what batch scoring streams in
/// bounded memory. A line that cannot be read is an error item naming its line, and reading
/// goes on at the next line (a line longer than `max_input_bytes` is passed over unread); a
/// read error of the stream itself ends it.
pub struct JsonlReader<'a, R> {
    reader: R,
    source: &'a str,
    schema: &'a Schema,
    limits: &'a Limits,
    buf: Vec<u8>,
    line_no: usize,
    // byte offset of the next line in the input
    offset: usize,
    done: bool,
}

impl<'a, R: BufRead> JsonlReader<'a, R> {
    /// Read `reader` (named `source` in errors) with `schema`, each line within `limits`.
    pub fn new(reader: R, source: &'a str, schema: &'a Schema, limits: &'a Limits) -> Self {
        Self {
            reader,
            source,
            schema,
            limits,
            buf: Vec::new(),
            line_no: 0,
            offset: 0,
            done: false,
        }
    }

    /// A read error of the stream: the last item.
    fn stream_error(&mut self, location: Location, e: &std::io::Error) -> (usize, Result<Session>) {
        self.done = true;
        (
            self.line_no,
            Err(Error::Io {
                location,
                message: e.to_string(),
            }),
        )
    }

    /// The rest of an over-long line, read and dropped; its length.
    fn skip_rest_of_line(&mut self) -> std::io::Result<usize> {
        let mut skipped = 0;
        loop {
            let (found, used) = {
                let available = self.reader.fill_buf()?;
                if available.is_empty() {
                    return Ok(skipped);
                }
                match available.iter().position(|&b| b == b'\n') {
                    Some(i) => (true, i + 1),
                    None => (false, available.len()),
                }
            };
            self.reader.consume(used);
            skipped += used;
            if found {
                return Ok(skipped);
            }
        }
    }
}

impl<R: BufRead> Iterator for JsonlReader<'_, R> {
    type Item = (usize, Result<Session>);

    fn next(&mut self) -> Option<Self::Item> {
        // a line may end in "\r\n" beyond its text
        let cap = self.limits.max_input_bytes.saturating_add(2) as u64;
        while !self.done {
            self.line_no += 1;
            let loc = Location::new(self.source, self.line_no);
            self.buf.clear();
            let read = (&mut self.reader)
                .take(cap.saturating_add(1))
                .read_until(b'\n', &mut self.buf);
            let n = match read {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(n) => n,
                Err(e) => return Some(self.stream_error(loc, &e)),
            };
            let bytes = self.buf.strip_suffix(b"\n").unwrap_or(&self.buf);
            let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
            if bytes.len() > self.limits.max_input_bytes {
                let complete = self.buf.ends_with(b"\n");
                let rest = if complete {
                    Ok(0)
                } else {
                    self.skip_rest_of_line()
                };
                let rest = match rest {
                    Ok(r) => r,
                    Err(e) => return Some(self.stream_error(loc, &e)),
                };
                self.offset += n + rest;
                return Some((
                    self.line_no,
                    Err(data_err(
                        &loc,
                        "<session>",
                        DataProblem::OverLimit(format!(
                            "more than {0} bytes of JSON; at most {0} (max_input_bytes)",
                            self.limits.max_input_bytes
                        )),
                    )),
                ));
            }
            let offset = self.offset;
            self.offset += n;
            let line = match std::str::from_utf8(bytes) {
                Ok(line) => line,
                Err(e) => {
                    return Some((
                        self.line_no,
                        Err(DataError {
                            location: loc,
                            field: "<session>".into(),
                            problem: DataProblem::Malformed(format!(
                                "byte {} of the line (byte offset {} in the input) is not valid UTF-8",
                                e.valid_up_to() + 1,
                                offset + e.valid_up_to()
                            )),
                        }
                        .into()),
                    ));
                }
            };
            if line.trim().is_empty() {
                continue;
            }
            return Some((
                self.line_no,
                parse_session_json(line, self.schema, &loc, self.limits),
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema::synthetic_default()
    }

    /// Streamed, every line is an item with its line number: a bad line (malformed, not
    /// UTF-8, or past `max_input_bytes`, which is passed over unread) does not stop the ones
    /// after it, and blank lines are no items.
    #[test]
    fn the_stream_goes_on_past_bad_lines() {
        let long = format!("{{\"id\":\"{}\",\"events\":[]}}", "x".repeat(200));
        let mut text = format!("{{\"id\":\"a\",\"events\":[]}}\n\n{{\"id\":\n{long}\n{{\"id\":\"b")
            .into_bytes();
        text.push(0xff);
        text.extend_from_slice(b"\",\"events\":[]}\n{\"id\":\"c\",\"events\":[]}");
        let limits = Limits {
            max_input_bytes: 100,
            ..Limits::default()
        };
        let schema = schema();
        let items: Vec<(usize, std::result::Result<String, String>)> =
            JsonlReader::new(&text[..], "d.jsonl", &schema, &limits)
                .map(|(line, r)| (line, r.map(|s| s.id).map_err(|e| e.to_string())))
                .collect();
        let lines: Vec<usize> = items.iter().map(|x| x.0).collect();
        assert_eq!(lines, [1, 3, 4, 5, 6]);
        assert_eq!(items[0].1, Ok("a".into()));
        let err = |i: usize| items[i].1.clone().unwrap_err();
        assert!(err(1).starts_with("d.jsonl:3:"), "{}", err(1));
        assert!(
            err(2).contains("d.jsonl:4:") && err(2).contains("max_input_bytes"),
            "{}",
            err(2)
        );
        assert!(
            err(3).contains("d.jsonl:5:") && err(3).contains("not valid UTF-8"),
            "{}",
            err(3)
        );
        assert_eq!(items[4].1, Ok("c".into()));
    }

    /// A line that is not UTF-8 is refused naming its line and byte (it was "stream did not
    /// contain valid UTF-8", without the byte).
    #[test]
    fn invalid_utf8_names_line_and_byte() {
        let text = b"{\"id\":\"a\",\"events\":[]}\n{\"id\":\"b\xff\",\"events\":[]}\n";
        let e = read_jsonl(&text[..], "d.jsonl", &schema(), &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("d.jsonl:2:")
                && e.contains("byte 9 of the line (byte offset 31 in the input)"),
            "{e}"
        );
    }

    #[test]
    fn json_round_trip() {
        let line = r#"{"id":"a","label":0,"profile":{"kyc_level":"basic"},"events":[{"ts":10.5,"event_type":"login","amount":3.25,"planted":true}]}"#;
        let loc = Location::new("t", 1);
        let s = parse_session_json(line, &schema(), &loc, &Limits::default()).unwrap();
        let back = session_to_json(&s, &schema());
        assert_eq!(session_from_json(&back, &schema(), &loc).unwrap(), s);
    }

    fn timestamps(texts: &[&str], unit: TimeUnit) -> Vec<Result<f64>> {
        let loc = Location::new("t.jsonl", 7);
        texts
            .iter()
            .map(|t| {
                let json = timestamp_from_json(
                    Some(&Json::String(t.to_string())),
                    unit,
                    &loc,
                    "events[0].ts",
                );
                let text = timestamp_from_text(t, unit, &loc, "ts");
                // JSON strings and CSV cells read alike
                assert_eq!(json.as_ref().ok(), text.as_ref().ok(), "{t}");
                json
            })
            .collect()
    }

    /// RFC 3339 / ISO 8601 text: `Z`, offsets either way, fractional seconds, a space for `T`,
    /// a bare date; numbers as text keep the schema's unit. 2026-12-06T02:30:00Z is
    /// 1,796,524,200 s (20,793 days since 1970 × 86,400 + 9,000).
    #[test]
    fn iso_8601_timestamps_are_read_as_seconds() {
        let t0 = 1_796_524_200.0;
        let got: Vec<f64> = timestamps(
            &[
                "2026-12-06T02:30:00Z",
                "2026-12-06T03:30:00+01:00",
                "2026-12-05T21:00:00-05:30",
                "2026-12-06 02:30:00.25Z",
                "2026-12-06t02:30:00.000001z",
                "2026-12-06",
                "1796524200",
            ],
            TimeUnit::Seconds,
        )
        .into_iter()
        .map(Result::unwrap)
        .collect();
        assert_eq!(got, [t0, t0, t0, t0 + 0.25, t0 + 1e-6, t0 - 9000.0, t0]);
        let ms = timestamps(
            &["1796524200500", "2026-12-06T02:30:00.5Z"],
            TimeUnit::Milliseconds,
        );
        assert_eq!(ms[0].as_ref().unwrap(), &(t0 + 0.5));
        assert_eq!(ms[1].as_ref().unwrap(), &(t0 + 0.5));
        // a JSON number keeps its unit too
        let loc = Location::new("t", 1);
        let n = Json::from(1_796_524_200_500u64);
        assert_eq!(
            timestamp_from_json(Some(&n), TimeUnit::Milliseconds, &loc, "ts").unwrap(),
            t0 + 0.5
        );
    }

    /// Text that is no timestamp is refused naming the file, line, field and text; a
    /// date-time with no offset is told to add one; 1969 is refused as negative.
    #[test]
    fn unreadable_timestamps_name_the_field_and_the_text() {
        let errs: Vec<String> = timestamps(
            &[
                "yesterday",
                "2026-12-06T02:30:00",
                "2026-13-01T00:00:00Z",
                "1969-12-31T23:59:59Z",
                " ",
            ],
            TimeUnit::Seconds,
        )
        .into_iter()
        .map(|r| r.unwrap_err().to_string())
        .collect();
        assert!(
            errs[0].starts_with("t.jsonl:7: field `events[0].ts`: timestamp \"yesterday\" is not readable: expected a number or an RFC 3339"),
            "{}",
            errs[0]
        );
        assert!(errs[1].contains("no UTC offset; add `Z`"), "{}", errs[1]);
        assert!(
            errs[2].contains("\"2026-13-01T00:00:00Z\" is not readable"),
            "{}",
            errs[2]
        );
        assert!(errs[3].contains("must not be before 1970"), "{}", errs[3]);
        assert!(errs[4].contains("required field is missing"), "{}", errs[4]);
    }

    /// A whole session with string timestamps, in JSONL and in CSV, orders its events by
    /// instant, not by text.
    #[test]
    fn sessions_read_iso_timestamps_in_jsonl_and_csv() {
        let line = r#"{"id":"a","events":[{"ts":"2026-12-06T03:00:00+02:00","event_type":"pay"},{"ts":"2026-12-06T00:30:00Z","event_type":"login"}]}"#;
        let s = parse_session_json(line, &schema(), &Location::new("t", 1), &Limits::default())
            .unwrap();
        assert_eq!(s.events[0].ts, 1_796_524_200.0 - 7200.0);
        assert_eq!(s.events[0].values.categorical[0].as_deref(), Some("login"));
        assert_eq!(s.events[1].ts, 1_796_524_200.0 - 5400.0);
        let csv =
            "id,ts,event_type\na,2026-12-06T00:30:00Z,login\na,2026-12-06T02:00:00+02:00,pay\n";
        let small = Schema::from_toml(
            "[timestamp]\nfield = 'ts'\n[[event.categorical]]\nname = 'event_type'\n",
        )
        .unwrap();
        let rows = crate::schema::read_csv(csv.as_bytes(), "t.csv", &small).unwrap();
        assert_eq!(rows[0].events[0].ts, 1_796_524_200.0 - 9000.0);
        assert_eq!(rows[0].events[1].ts, 1_796_524_200.0 - 7200.0);
        assert_eq!(
            rows[0].events[1].values.categorical[0].as_deref(),
            Some("login")
        );
        let bad = "id,ts,event_type\na,soon,login\n";
        let e = crate::schema::read_csv(bad.as_bytes(), "t.csv", &small)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.csv:2: field `ts`: timestamp \"soon\""),
            "{e}"
        );
    }

    /// Events at the same time come out in one order, by their values, whatever order their
    /// lines or rows are in, in JSON lines and in CSV alike.
    #[test]
    fn events_at_the_same_time_are_ordered_by_value_in_every_reader() {
        // at ts 5: a missing event type first, then "login" before "pay"; the two "pay"s by
        // amount (missing first, then -1 < 2), the last pair by description
        let events = [
            r#"{"ts":5,"event_type":"pay","amount":2}"#,
            r#"{"ts":1,"event_type":"pay"}"#,
            r#"{"ts":5,"event_type":"pay","amount":-1}"#,
            r#"{"ts":5,"event_type":"login"}"#,
            r#"{"ts":5,"amount":7}"#,
            r#"{"ts":5,"event_type":"pay"}"#,
            r#"{"ts":9,"event_type":"pay","description":"b"}"#,
            r#"{"ts":9,"event_type":"pay","description":"a"}"#,
        ];
        let order = |s: &Session| -> Vec<String> {
            s.events
                .iter()
                .map(|e| {
                    let v = &e.values;
                    format!(
                        "{} {} {:?} {}",
                        e.ts,
                        v.categorical[0].as_deref().unwrap_or("-"),
                        v.numeric[0],
                        v.text[0].as_deref().unwrap_or("-")
                    )
                })
                .collect()
        };
        let want = [
            "1 pay None -",
            "5 - Some(7.0) -",
            "5 login None -",
            "5 pay None -",
            "5 pay Some(-1.0) -",
            "5 pay Some(2.0) -",
            "9 pay None a",
            "9 pay None b",
        ];
        let schema = Schema::from_toml(
            "[timestamp]\nfield = 'ts'\n[[event.categorical]]\nname = 'event_type'\n\
             [[event.numeric]]\nname = 'amount'\n[[event.text]]\nname = 'description'\n",
        )
        .unwrap();
        let read = |list: &[&str]| {
            let line = format!(r#"{{"id":"a","events":[{}]}}"#, list.join(","));
            parse_session_json(&line, &schema, &Location::new("t", 1), &Limits::default()).unwrap()
        };
        let forward = read(&events);
        assert_eq!(order(&forward), want);
        let backward: Vec<&str> = events.iter().rev().copied().collect();
        assert_eq!(read(&backward), forward);
        // the same events as CSV rows, in two orders
        let rows = [
            "5,pay,2,",
            "1,pay,,",
            "5,pay,-1,",
            "5,login,,",
            "5,,7,",
            "5,pay,,",
            "9,pay,,b",
            "9,pay,,a",
        ];
        let csv = |rows: &mut dyn Iterator<Item = &&str>| {
            let text: String = rows.map(|r| format!("a,{r}\n")).collect();
            let text = format!("id,ts,event_type,amount,description\n{text}");
            let mut s = crate::schema::read_csv(text.as_bytes(), "t.csv", &schema).unwrap();
            s.remove(0)
        };
        let from_csv = csv(&mut rows.iter());
        assert_eq!(order(&from_csv), want);
        assert_eq!(csv(&mut rows.iter().rev()), from_csv);
    }

    #[test]
    fn a_window_keeps_the_last_seconds_before_the_last_event() {
        let line = r#"{"id":"a","events":[{"ts":0},{"ts":50},{"ts":100},{"ts":160}]}"#;
        let mut s = parse_session_json(line, &schema(), &Location::new("t", 1), &Limits::default())
            .unwrap();
        s.keep_window(110.0);
        let ts: Vec<f64> = s.events.iter().map(|e| e.ts).collect();
        assert_eq!(ts, [50.0, 100.0, 160.0]);
        let mut empty = parse_session_json(
            r#"{"id":"b","events":[]}"#,
            &schema(),
            &Location::new("t", 1),
            &Limits::default(),
        )
        .unwrap();
        empty.keep_window(1.0);
        assert!(empty.events.is_empty());
    }

    #[test]
    fn reads_a_session_and_sorts_events() {
        let line = r#"{"id":"a","label":1,"profile":{"kyc_level":"basic","account_age_days":"12"},
            "events":[{"ts":20,"event_type":"payment","amount":5.5,"planted":true},
                      {"ts":10,"event_type":"login","extra":"ignored"}]}"#
            .replace('\n', " ");
        let s = read_jsonl(line.as_bytes(), "x.jsonl", &schema(), &Limits::default()).unwrap();
        assert_eq!(s.len(), 1);
        let s = &s[0];
        assert_eq!(s.label, Some(true));
        assert_eq!(s.events[0].values.categorical[0].as_deref(), Some("login"));
        assert!(s.events[1].planted);
        assert_eq!(s.events[1].values.numeric[0], Some(5.5));
        assert_eq!(s.profile.numeric[0], Some(12.0));
        // what 100,000 sessions' memory is made of: 64 bytes an event, values inline
        assert_eq!(std::mem::size_of::<Event>(), 64);
        assert!(
            !s.events[0].values.categorical[0]
                .as_ref()
                .unwrap()
                .is_heap_allocated()
        );
    }

    fn error_of(line: &str) -> DataError {
        match read_jsonl(
            format!("\n{line}").as_bytes(),
            "in.jsonl",
            &schema(),
            &Limits::default(),
        ) {
            Err(Error::Data(e)) => e,
            other => panic!("expected a data error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let e = error_of(r#"{"id":"a","events":[{"ts":1},{"ts":2,"amount":"lots"}]}"#);
        assert_eq!(e.location, Location::new("in.jsonl", 2));
        assert_eq!(e.field, "events[1].amount");
        assert!(matches!(e.problem, DataProblem::WrongType { .. }));
        assert!(
            e.to_string()
                .starts_with("in.jsonl:2: field `events[1].amount`")
        );

        let e = error_of(r#"{"id":"a","events":[{"event_type":"login"}]}"#);
        assert_eq!(e.field, "events[0].ts");
        assert_eq!(e.problem, DataProblem::Missing);

        let e = error_of(r#"{"id":"a","events":[{"ts":1,"amount":"NaN"}]}"#);
        assert!(matches!(e.problem, DataProblem::NotFinite(_)));

        // a `log` field's value at or below 0 has no logarithm: refused, naming it
        let mut logged = schema();
        logged.event.numeric[0].transform = Transform::Log;
        let line = r#"{"id":"a","events":[{"ts":1,"amount":3},{"ts":2,"amount":0}]}"#;
        match read_jsonl(line.as_bytes(), "in.jsonl", &logged, &Limits::default()) {
            Err(Error::Data(e)) => {
                assert_eq!(e.field, "events[1].amount");
                assert_eq!(
                    e.problem,
                    DataProblem::Invalid("transform = \"log\" takes values above 0, got 0".into())
                );
            }
            other => panic!("expected a data error, got {other:?}"),
        }

        let e = error_of(r#"{"events":[]}"#);
        assert_eq!((e.field.as_str(), e.problem), ("id", DataProblem::Missing));

        let e = error_of(r#"{"id":"a","label":7,"events":[]}"#);
        assert_eq!(e.field, "label");

        let e = error_of(r#"{"id":"a", "events": [}"#);
        assert!(matches!(e.problem, DataProblem::Malformed(_)));

        let e = error_of(r#"{"id":"a","events":[{"ts":-5}]}"#);
        assert!(matches!(e.problem, DataProblem::Invalid(_)));

        let e = error_of(r#"{"id":"a","events":[{"ts":1,"event_type":["x"]}]}"#);
        assert_eq!(e.field, "events[0].event_type");
    }
}
