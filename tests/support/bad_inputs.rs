//! Inputs of the bad-input catalogue (`tests/data/bad-inputs.json`) shared by its two harnesses,
//! `native/tests/catalogue.rs` (the CLI) and `tests/tests/cross/catalogue.rs` (the JS package),
//! which include this file by path.

use seqrisk_core::artifact::{Artifact, FORMAT_VERSION};
use serde_json::Value;

/// The catalogue's cases.
pub fn catalogue() -> Vec<Value> {
    let text = include_str!("../data/bad-inputs.json");
    let doc: Value = serde_json::from_str(text).unwrap();
    doc["cases"].as_array().unwrap().clone()
}

/// The bytes of a `make` input: a session of 1 million events, one with a 10 MB string, or a
/// data line with invalid UTF-8 (byte 40, inside the `page` value).
pub fn made(make: &str) -> Vec<u8> {
    match make.split_once(':').unwrap() {
        ("events", n) => {
            let n: usize = n.parse().unwrap();
            let events: Vec<String> = (0..n)
                .map(|i| format!("{{\"ts\":{i},\"event_type\":\"page_view\"}}"))
                .collect();
            format!("{{\"id\":\"many\",\"events\":[{}]}}", events.join(",")).into_bytes()
        }
        ("string", n) => {
            let n: usize = n.parse().unwrap();
            format!(
                "{{\"id\":\"long\",\"events\":[{{\"ts\":1,\"page\":\"{}\"}}]}}",
                "x".repeat(n)
            )
            .into_bytes()
        }
        ("bytes", "invalid-utf8") => {
            let mut line = b"{\"id\":\"a\",\"events\":[{\"ts\":1,\"page\":\"caf".to_vec();
            assert_eq!(line.len(), 39);
            line.extend_from_slice(b"\xff\"}]}\n");
            line
        }
        other => panic!("unknown make {other:?}"),
    }
}

/// A changed copy of the good artifact `good`.
pub fn bad_artifact(how: &str, good: &[u8]) -> Vec<u8> {
    let mend = |mut b: Vec<u8>| {
        let crc = crc32fast::hash(&b[32..]);
        b[28..32].copy_from_slice(&crc.to_le_bytes());
        b
    };
    let reencode = |edit: &dyn Fn(&mut Artifact)| {
        let mut a = Artifact::from_bytes(good).unwrap();
        edit(&mut a);
        a.to_bytes().unwrap()
    };
    match how {
        "zero" => vec![],
        "truncate" => good[..good.len() / 2].to_vec(),
        "append" => [good, b"tail"].concat(),
        "flip" => {
            let mut b = good.to_vec();
            b[good.len() / 2] ^= 0x10;
            b
        }
        "newer" => {
            let mut b = good.to_vec();
            b[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
            mend(b)
        }
        "older" => {
            let mut b = good.to_vec();
            b[8..12].copy_from_slice(&(FORMAT_VERSION - 1).to_le_bytes());
            mend(b)
        }
        "foreign" => b"\x89PNG\r\n\x1a\n and then a picture, not a model at all.....".to_vec(),
        "dropout" => reencode(&|a| {
            let mut c: Value = serde_json::from_str(&a.header.model_config_json).unwrap();
            c["Nhfm"]["dropout"] = 1.0.into();
            a.header.model_config_json = c.to_string();
        }),
        "encoder" => reencode(&|a| {
            a.header.encoder.event_stats.pop();
        }),
        other => panic!("unknown artifact change {other:?}"),
    }
}

/// `message` is of `kind` (see the catalogue's `kinds`) and names everything in `names`.
pub fn check_error(case: &Value, message: &str, surface: &str) {
    let name = case["name"].as_str().unwrap();
    let kind = case["kind"].as_str().unwrap();
    let of_kind = match kind {
        "data" => message.contains(": field `") || message.contains("not valid UTF-8"),
        "limit" => message.contains(": field `") && message.contains(": over the limit: "),
        "artifact" => message.contains("artifact: "),
        "schema" => message.contains("schema: "),
        "model" => message.contains("model: "),
        other => panic!("{name}: unknown kind {other}"),
    };
    assert!(of_kind, "{surface}, {name}: not a {kind} error: {message}");
    for n in case["names"].as_array().unwrap() {
        let n = n.as_str().unwrap();
        assert!(
            message.contains(n),
            "{surface}, {name}: the message does not name {n:?}: {message}"
        );
    }
}
