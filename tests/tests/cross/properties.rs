//! Property tests of the parsers and loaders that meet untrusted input (issue 10): session JSON
//! text and values, CSV, Parquet, schema TOML and artifact bytes. Every input gives a value or an error,
//! never a panic; what parses encodes to finite features and scores in (0, 1); a changed artifact
//! byte is always caught. `PROPTEST_CASES` sets the cases per property (256 in CI).

use super::common;

#[path = "../../support/invariants.rs"]
mod invariants;

use burn::prelude::Device;
use proptest::prelude::*;
use seqrisk_core::Location;
use seqrisk_core::artifact::Artifact;
use seqrisk_core::schema::{
    Limits, Schema, parse_session_json, read_csv, session_to_json, write_csv,
};
use seqrisk_core::scorer::Scorer;
use seqrisk_native::data::{parquet_bytes, read_parquet};
use serde_json::{Map, Value};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Bytes 28..32 hold the CRC-32 of everything from byte 32 on (see `Artifact::to_bytes`).
const PREFIX: usize = 32;

fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// `f` must not panic; its value is returned.
fn no_panic<T>(what: &str, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(e) => {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{what} panicked: {msg}")
        }
    }
}

/// A session that parsed: it checks, encodes to finite numbers and scores in (0, 1) — the
/// fuzz targets' invariant ([`invariants::holds_up`]), with no step panicking.
fn holds_up(text: &str) {
    let t = common::trained();
    let schema = &t.outcome.artifact.header.encoder.schema;
    let parsed = no_panic("parse_session_json", || {
        parse_session_json(text, schema, &Location::new("prop", 1), &Limits::default())
    });
    let Ok(session) = parsed else { return };
    no_panic("check, encode and score", || {
        invariants::holds_up(scorer(), &session, text)
    });
}

fn scorer() -> &'static Scorer {
    static CELL: std::sync::OnceLock<Scorer> = std::sync::OnceLock::new();
    CELL.get_or_init(|| {
        Scorer::from_artifact(&common::trained().outcome.artifact, Device::flex()).unwrap()
    })
}

/// The JSON text of a few of the shared model's sessions.
fn session_texts() -> Vec<String> {
    let t = common::trained();
    let schema = &t.outcome.artifact.header.encoder.schema;
    t.sessions
        .iter()
        .take(16)
        .map(|s| session_to_json(s, schema).to_string())
        .collect()
}

/// A Parquet file of a few of the shared model's sessions.
fn parquet_file() -> Vec<u8> {
    static CELL: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    CELL.get_or_init(|| {
        let t = common::trained();
        parquet_bytes(&t.sessions[..3], &t.outcome.artifact.header.encoder.schema).unwrap()
    })
    .clone()
}

/// Text edits: replace, insert or delete a character at a position (as a fraction).
#[derive(Debug, Clone)]
enum Edit {
    Replace(f64, char),
    Insert(f64, char),
    Delete(f64),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let c = prop_oneof![
        Just('"'),
        Just(','),
        Just('{'),
        Just('}'),
        Just('['),
        Just(']'),
        Just(':'),
        Just('-'),
        Just('e'),
        Just('9'),
        Just('\\'),
        any::<char>(),
    ];
    let edit = prop_oneof![
        (0.0..1.0f64, c.clone()).prop_map(|(p, c)| Edit::Replace(p, c)),
        (0.0..1.0f64, c).prop_map(|(p, c)| Edit::Insert(p, c)),
        (0.0..1.0f64).prop_map(Edit::Delete),
    ];
    prop::collection::vec(edit, 1..6)
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let at = |p: f64, n: usize| ((p * n as f64) as usize).min(n.saturating_sub(1));
        match *e {
            Edit::Replace(p, c) if !chars.is_empty() => {
                let i = at(p, chars.len());
                chars[i] = c;
            }
            Edit::Insert(p, c) => {
                let i = at(p, chars.len() + 1);
                chars.insert(i, c);
            }
            Edit::Delete(p) if !chars.is_empty() => {
                let i = at(p, chars.len());
                chars.remove(i);
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// JSON values of every kind, numbers at the edges included.
fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop_oneof![
            Just(f64::MAX),
            Just(f64::MIN),
            Just(1e300),
            Just(-0.0),
            Just(f64::MIN_POSITIVE),
            any::<f64>().prop_filter("finite", |x| x.is_finite()),
        ]
        .prop_map(|x| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::String),
        (0usize..5000).prop_map(|n| Value::String("x".repeat(n))),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One of the schema's keys (or a stranger) set to any value in an event or the session.
fn field_names() -> Vec<String> {
    let schema: &Schema = &common::trained().outcome.artifact.header.encoder.schema;
    let mut names = vec![];
    if let Ok(v) = serde_json::to_value(schema) {
        collect_names(&v, &mut names);
    }
    names.extend(["events", "ts", "id", "label", "profile", "unknown"].map(String::from));
    names.sort();
    names.dedup();
    names
}

/// Every `name`/`field` string in the schema's JSON form.
fn collect_names(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("name" | "field" | "session_id" | "label" | "planted", Value::String(s)) => {
                        out.push(s.clone())
                    }
                    _ => collect_names(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_names(x, out)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(config())]

    /// Any text at all.
    #[test]
    fn any_text_parses_or_errs(text in ".{0,200}") {
        holds_up(&text);
    }

    /// Real sessions with a few characters replaced, inserted or deleted.
    #[test]
    fn edited_session_json_parses_or_errs(pick in 0usize..16, e in edits()) {
        let texts = session_texts();
        holds_up(&apply(&texts[pick % texts.len()], &e));
    }

    /// Real sessions with one of their (or the schema's) keys set to any JSON value, in the
    /// session object or in one of its events.
    #[test]
    fn sessions_with_any_field_values(
        pick in 0usize..16,
        key in 0usize..64,
        value in json_value(),
        in_event in any::<bool>(),
        event in 0usize..64,
    ) {
        let t = common::trained();
        let schema = &t.outcome.artifact.header.encoder.schema;
        let names = field_names();
        let key = &names[key % names.len()];
        let mut v = session_to_json(&t.sessions[pick % 16], schema);
        let target: Option<&mut Map<String, Value>> = if in_event {
            v.get_mut("events")
                .and_then(Value::as_array_mut)
                .and_then(|events| {
                    let n = events.len();
                    events.get_mut(event % n.max(1))
                })
                .and_then(Value::as_object_mut)
        } else {
            v.as_object_mut()
        };
        if let Some(obj) = target {
            obj.insert(key.clone(), value);
        }
        holds_up(&v.to_string());
    }

    /// Any bytes as a CSV file, and real CSV rows with edits.
    #[test]
    fn csv_reads_or_errs(bytes in prop::collection::vec(any::<u8>(), 0..400), e in edits()) {
        let schema = &common::trained().outcome.artifact.header.encoder.schema;
        let _ = no_panic("read_csv", || read_csv(&bytes[..], "prop.csv", schema));
        let mut good = vec![];
        write_csv(&common::trained().sessions[..3], schema, &mut good).unwrap();
        let text = apply(&String::from_utf8_lossy(&good), &e);
        let _ = no_panic("read_csv", || read_csv(text.as_bytes(), "prop.csv", schema));
    }

    /// Any bytes as a Parquet file, and a real one with a byte changed, cut or extended: a
    /// value or an error, never a panic.
    #[test]
    fn parquet_reads_or_errs(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        at in 0.0..1.0f64,
        flip in 1u8..=255,
        cut in 0.0..1.0f64,
    ) {
        let schema = &common::trained().outcome.artifact.header.encoder.schema;
        let good = parquet_file();
        let i = ((at * good.len() as f64) as usize).min(good.len() - 1);
        let mut changed = good.clone();
        changed[i] ^= flip;
        let n = (cut * good.len() as f64) as usize;
        let mut magic = b"PAR1".to_vec();
        magic.extend(&bytes);
        magic.extend(b"PAR1");
        for file in [bytes.clone(), magic, changed, good[..n].to_vec()] {
            let _ = no_panic("read_parquet", || read_parquet(file, "prop.parquet", schema));
        }
    }

    /// Any text as a schema, and the default schema with edits.
    #[test]
    fn schema_parses_or_errs(text in ".{0,200}", e in edits()) {
        for t in [text, apply(include_str!("../../../core/src/schema/synthetic.toml"), &e)] {
            if let Ok(s) = no_panic("Schema::from_toml", || Schema::from_toml(&t)) {
                let _ = no_panic("Schema::validate", || s.validate());
            }
        }
    }

    /// A changed byte, a cut or an extension is always refused; a changed byte whose checksum
    /// is mended (a crafted file) loads, instantiates and scores or errs, never panics.
    #[test]
    fn artifact_bytes_are_checked(at in 0.0..1.0f64, flip in 1u8..=255, cut in 0.0..1.0f64) {
        let good = &common::trained().bytes;
        let i = ((at * good.len() as f64) as usize).min(good.len() - 1);
        let mut bad = good.clone();
        bad[i] ^= flip;
        prop_assert!(Artifact::from_bytes(&bad).is_err(), "byte {i} changed, still loads");
        let n = (cut * good.len() as f64) as usize;
        prop_assert!(Artifact::from_bytes(&good[..n]).is_err());
        let mut longer = good.clone();
        longer.push(flip);
        prop_assert!(Artifact::from_bytes(&longer).is_err());
        if i >= PREFIX {
            let crc = crc32fast::hash(&bad[PREFIX..]);
            bad[28..32].copy_from_slice(&crc.to_le_bytes());
            if let Ok(a) = no_panic("Artifact::from_bytes", || Artifact::from_bytes(&bad)) {
                let sessions = &common::trained().sessions[..4];
                let loaded = no_panic("Scorer::from_artifact", || {
                    Scorer::from_artifact(&a, Device::flex())
                });
                if let Ok(s) = loaded {
                    let _ = no_panic("score", || s.score(sessions));
                }
            }
        }
    }

    /// A crafted artifact, well formed and checksummed, whose model configuration has one
    /// number set to anything (dimensions of 2^40 included): loading refuses it or scores, and
    /// nothing allocates what the configuration claims before the weights are checked.
    #[test]
    fn crafted_model_configurations(which in 0usize..64, value in prop_oneof![
        Just(0u64), Just(1), Just(3), Just(1 << 20), Just(1 << 31), Just(1 << 40), Just(u64::MAX),
        any::<u64>(),
    ]) {
        let t = common::trained();
        let mut config: Value = serde_json::from_str(&t.outcome.artifact.header.model_config_json)
            .unwrap();
        let mut numbers = vec![];
        number_paths(&config, String::new(), &mut numbers);
        let path = &numbers[which % numbers.len()];
        if let Some(slot) = config.pointer_mut(path) {
            *slot = Value::from(value);
        }
        let mut header = t.outcome.artifact.header.clone();
        header.model_config_json = config.to_string();
        let crafted = Artifact { header, weights: t.outcome.artifact.weights.clone() };
        let bytes = crafted.to_bytes().unwrap();
        let a = Artifact::from_bytes(&bytes).unwrap();
        let loaded = no_panic("Scorer::from_artifact", || Scorer::from_artifact(&a, Device::flex()));
        if let Ok(s) = loaded {
            let scores = no_panic("score", || s.score(&t.sessions[..4]));
            if let Ok(scores) = scores {
                prop_assert!(scores.iter().all(|x| x.score.is_finite()), "{path} = {value}");
            }
        }
    }

    /// A crafted artifact whose encoder (schema, vocabularies, statistics) has a number set to
    /// anything or an array element dropped: loading refuses it or scores, never panics.
    #[test]
    fn crafted_encoders(
        edits in prop::collection::vec(prop_oneof![
            (any::<usize>(), prop_oneof![Just(0u64), Just(1), Just(5000), Just(1 << 40), any::<u64>()])
                .prop_map(|(i, v)| EncoderEdit::Set(i, v)),
            any::<usize>().prop_map(EncoderEdit::Drop),
        ], 1..3),
    ) {
        let t = common::trained();
        let mut encoder = serde_json::to_value(&t.outcome.artifact.header.encoder).unwrap();
        for edit in &edits {
            match *edit {
                EncoderEdit::Set(i, v) => {
                    let mut numbers = vec![];
                    number_paths(&encoder, String::new(), &mut numbers);
                    if let Some(slot) = encoder.pointer_mut(&numbers[i % numbers.len()]) {
                        *slot = Value::from(v);
                    }
                }
                EncoderEdit::Drop(i) => {
                    let mut elements = vec![];
                    element_paths(&encoder, String::new(), &mut elements);
                    let path = &elements[i % elements.len()];
                    let (parent, index) = path.rsplit_once('/').unwrap();
                    if let (Some(Value::Array(a)), Ok(k)) =
                        (encoder.pointer_mut(parent), index.parse::<usize>())
                    {
                        a.remove(k);
                    }
                }
            }
        }
        let Ok(encoder) = serde_json::from_value(encoder) else { return Ok(()) };
        let mut header = t.outcome.artifact.header.clone();
        header.encoder = encoder;
        let crafted = Artifact { header, weights: t.outcome.artifact.weights.clone() };
        let bytes = crafted.to_bytes().unwrap();
        let Ok(a) = no_panic("Artifact::from_bytes", || Artifact::from_bytes(&bytes)) else {
            return Ok(());
        };
        let loaded = no_panic("Scorer::from_artifact", || Scorer::from_artifact(&a, Device::flex()));
        if let Ok(s) = loaded {
            let _ = no_panic("score", || s.score(&t.sessions[..4]));
        }
    }
}

/// A change to an encoder's JSON form: a number set to a value, or an array element dropped.
#[derive(Debug, Clone)]
enum EncoderEdit {
    Set(usize, u64),
    Drop(usize),
}

/// JSON pointers of every array element in `v`.
fn element_paths(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| element_paths(x, format!("{at}/{k}"), out)),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| {
            out.push(format!("{at}/{i}"));
            element_paths(x, format!("{at}/{i}"), out)
        }),
        _ => {}
    }
}

/// JSON pointers of every number in `v`.
fn number_paths(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Number(_) => out.push(at),
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| number_paths(x, format!("{at}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| number_paths(x, format!("{at}/{i}"), out)),
        _ => {}
    }
}
