//! Bounds on what one read of untrusted JSON may hold, checked *while* the text is read, so that
//! no allocation grows with the input beyond them.
//!
//! A browser tab or an edge worker scores JSON it did not write. [`Limits`] caps the text's
//! length (checked before anything is parsed), every array's length (a session's `events`, a
//! batch's sessions) and every string's length (values and keys). The JSON is read through
//! [`parse_bounded`], a `serde` visitor that counts elements as they arrive and refuses element
//! `limit + 1` before storing it, and looks at each string's length while it is still a slice of
//! the input: memory stays proportional to the limits, not to what the input claims.

use super::session::data_err;
use crate::error::{DataProblem, Location, Result};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::cell::RefCell;
use std::fmt;

/// How much one read may hold. The defaults admit the largest sessions seqrisk is tested on
/// (1 million events, 10 MB strings); an edge worker sets tighter ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Most bytes of JSON text in one read: a session, a JSONL line, a batch.
    pub max_input_bytes: usize,
    /// Most events one session may carry (and most elements of any other array in it).
    pub max_events: usize,
    /// Longest string value or key, in bytes.
    pub max_string_bytes: usize,
    /// Most sessions in one batch.
    pub max_batch: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_input_bytes: 256 << 20,
            max_events: 1_000_000,
            max_string_bytes: 16 << 20,
            max_batch: 100_000,
        }
    }
}

impl Limits {
    /// Refuse a limit of 0, which would admit nothing.
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("max_input_bytes", self.max_input_bytes),
            ("max_events", self.max_events),
            ("max_string_bytes", self.max_string_bytes),
            ("max_batch", self.max_batch),
        ] {
            if value == 0 {
                return Err(data_err(
                    &Location::new("limits", 0),
                    name,
                    DataProblem::Invalid("a limit must be at least 1".into()),
                ));
            }
        }
        Ok(())
    }

    /// Refuse a text of more than `max_input_bytes` before it is parsed.
    pub fn check_input(&self, bytes: usize, loc: &Location, field: &str) -> Result<()> {
        if bytes > self.max_input_bytes {
            return Err(data_err(
                loc,
                field,
                DataProblem::OverLimit(format!(
                    "{bytes} bytes of JSON; at most {} (max_input_bytes)",
                    self.max_input_bytes
                )),
            ));
        }
        Ok(())
    }
}

/// What the top of the text is: one session, or an array of sessions (a batch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Top {
    /// One session object.
    Session,
    /// An array of sessions, bounded by `max_batch`.
    Batch,
}

/// Parse JSON text within `limits`. `field` names the whole text in errors (`<session>`,
/// `sessions`); an over-limit value is named by its path (`events`, `events[3].merchant`).
pub fn parse_bounded(
    text: &str,
    limits: &Limits,
    top: Top,
    loc: &Location,
    field: &str,
) -> Result<Json> {
    limits.check_input(text.len(), loc, field)?;
    let refused = RefCell::new(None);
    let seed = Bounded {
        limits,
        top,
        refused: &refused,
        path: &Path::Root,
    };
    let mut reader = serde_json::Deserializer::from_str(text);
    let parsed = seed
        .deserialize(&mut reader)
        .and_then(|v| reader.end().map(|()| v));
    parsed.map_err(|e| match refused.into_inner() {
        Some((path, what)) => data_err(
            loc,
            path,
            DataProblem::OverLimit(format!("{what} (column {})", e.column())),
        ),
        None => data_err(
            loc,
            field,
            DataProblem::Malformed(format!("{e} (column {})", e.column())),
        ),
    })
}

/// Where a value sits, as a chain on the stack: nothing is allocated unless a limit is hit.
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(Path::Root, key) => write!(f, "{key}"),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

impl Path<'_> {
    fn name(&self, whole: &str) -> String {
        match self {
            Path::Root => whole.into(),
            p => p.to_string(),
        }
    }
}

/// The seed of one value: the limits, where the value sits, and where a refusal is recorded
/// (serde's error type carries a message only; the refusal keeps its path and kind).
#[derive(Clone, Copy)]
struct Bounded<'a> {
    limits: &'a Limits,
    top: Top,
    refused: &'a RefCell<Option<(String, String)>>,
    path: &'a Path<'a>,
}

impl Bounded<'_> {
    fn refuse<E: de::Error>(&self, what: String) -> E {
        let name = self.path.name(match self.top {
            Top::Session => "<session>",
            Top::Batch => "sessions",
        });
        let message = format!("{name}: {what}");
        *self.refused.borrow_mut() = Some((name, what));
        E::custom(message)
    }

    fn string<E: de::Error>(&self, s: &str) -> std::result::Result<String, E> {
        if s.len() > self.limits.max_string_bytes {
            return Err(self.refuse(format!(
                "a string of {} bytes; at most {} (max_string_bytes)",
                s.len(),
                self.limits.max_string_bytes
            )));
        }
        Ok(s.to_owned())
    }

    /// The most elements the array here may hold, and what they are called.
    fn array_limit(&self) -> (usize, &'static str, &'static str) {
        match (self.path, self.top) {
            (Path::Root, Top::Batch) => (self.limits.max_batch, "sessions", "max_batch"),
            (Path::Key(_, "events"), _) => (self.limits.max_events, "events", "max_events"),
            _ => (self.limits.max_events, "elements", "max_events"),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Bounded<'_> {
    type Value = Json;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Json, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Bounded<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> std::result::Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> std::result::Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> std::result::Result<Json, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Json, E> {
        self.string(v).map(Json::String)
    }

    fn visit_unit<E>(self) -> std::result::Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> std::result::Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Json, A::Error> {
        let (limit, what, setting) = self.array_limit();
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(limit).min(4096));
        loop {
            let path = Path::Index(self.path, items.len());
            let child = Bounded {
                path: &path,
                ..self
            };
            if items.len() == limit {
                return match seq.next_element_seed(child)? {
                    None => Ok(Json::Array(items)),
                    Some(_) => Err(self.refuse(format!(
                        "more than {limit} {what}; at most {limit} ({setting})"
                    ))),
                };
            }
            match seq.next_element_seed(child)? {
                Some(v) => items.push(v),
                None => return Ok(Json::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Json, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key_seed(Key(self))? {
            let path = Path::Key(self.path, &key);
            let value = map.next_value_seed(Bounded {
                path: &path,
                ..self
            })?;
            object.insert(key, value);
        }
        Ok(Json::Object(object))
    }
}

/// An object key, held to `max_string_bytes` like any string.
struct Key<'a>(Bounded<'a>);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = String;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<String, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<String, E> {
        self.0.string(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn small() -> Limits {
        Limits {
            max_input_bytes: 200,
            max_events: 3,
            max_string_bytes: 6,
            max_batch: 2,
        }
    }

    fn refusal(text: &str, top: Top) -> (String, DataProblem) {
        match parse_bounded(text, &small(), top, &Location::new("t", 1), "<session>") {
            Err(Error::Data(d)) => (d.field, d.problem),
            other => panic!("expected a data error, got {other:?}"),
        }
    }

    #[test]
    fn within_the_limits_the_value_is_serde_jsons() {
        let text = r#"{"id":"abcdef","events":[{"ts":1},{"ts":2.5,"k":[true,null]},{"ts":-3}]}"#;
        let got = parse_bounded(text, &small(), Top::Session, &Location::new("t", 1), "s");
        assert_eq!(got.unwrap(), serde_json::from_str::<Json>(text).unwrap());
    }

    #[test]
    fn the_first_event_over_the_limit_is_refused_by_path() {
        let (field, problem) = refusal(r#"{"events":[{},{},{},{}]}"#, Top::Session);
        assert_eq!(field, "events");
        let DataProblem::OverLimit(what) = problem else {
            panic!("{problem:?}")
        };
        assert!(
            what.starts_with("more than 3 events; at most 3 (max_events)"),
            "{what}"
        );
        // exactly the limit is fine
        let ok = parse_bounded(
            r#"{"events":[{},{},{}]}"#,
            &small(),
            Top::Session,
            &Location::new("t", 1),
            "s",
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn long_strings_and_keys_are_named_with_their_path() {
        let (field, problem) = refusal(r#"{"events":[{},{"m":"abcdefg"}]}"#, Top::Session);
        assert_eq!(field, "events[1].m");
        let problem = problem.to_string();
        assert!(
            problem.contains("a string of 7 bytes; at most 6"),
            "{problem}"
        );
        let (field, _) = refusal(r#"{"events":[{"longkey":1}]}"#, Top::Session);
        assert_eq!(field, "events[0]");
        let (field, _) = refusal(r#"{"identity":1}"#, Top::Session);
        assert_eq!(field, "<session>");
        // a string with escapes is measured decoded: "\u0041" is 1 byte
        let text = r#"{"id":"\u0041\u0041\u0041\u0041\u0041\u0041","events":[]}"#;
        let ok = parse_bounded(text, &small(), Top::Session, &Location::new("t", 1), "s");
        assert_eq!(ok.unwrap()["id"], "AAAAAA");
    }

    #[test]
    fn batches_and_inputs_have_their_own_limits() {
        let (field, problem) = refusal(r#"[{},{},{}]"#, Top::Batch);
        assert_eq!(field, "sessions");
        assert!(problem.to_string().contains("more than 2 sessions"));
        let long = format!(r#"{{"id":"{}"}}"#, " ".repeat(300));
        let (field, problem) = refusal(&long, Top::Session);
        assert_eq!(field, "<session>");
        assert!(
            problem
                .to_string()
                .contains("309 bytes of JSON; at most 200 (max_input_bytes)"),
            "{problem}"
        );
    }

    #[test]
    fn malformed_text_stays_a_malformed_error() {
        let (field, problem) = refusal(r#"{"events":[}"#, Top::Session);
        assert_eq!(field, "<session>");
        assert!(
            matches!(&problem, DataProblem::Malformed(m) if m.contains("column 12")),
            "{problem}"
        );
        let (_, problem) = refusal(r#"{} x"#, Top::Session);
        assert!(matches!(problem, DataProblem::Malformed(m) if m.contains("trailing")));
    }

    #[test]
    fn a_zero_limit_is_refused() {
        let limits = Limits {
            max_batch: 0,
            ..Limits::default()
        };
        assert!(
            limits
                .validate()
                .unwrap_err()
                .to_string()
                .contains("max_batch")
        );
    }
}
