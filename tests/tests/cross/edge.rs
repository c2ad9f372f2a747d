//! The edge worker example (wasm/examples/edge-worker) in workerd, Cloudflare's runtime from npm:
//! POSTed sessions get native's scores; oversized, malformed or invalid bodies get a 4xx with a
//! message.

use super::js::{self, Runtime};
use serde_json::Value;

fn edge() -> &'static Value {
    js::report(Runtime::Edge)
}

#[test]
#[ignore = "needs workerd, Node.js and the built JS package: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn edge_worker_answers_a_post_with_the_native_score() {
    let results: Vec<Value> = edge()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["status"], 200, "{r}");
            assert_eq!(r["body"]["backend"], "cpu");
            r["body"].clone()
        })
        .collect();
    let delta = js::max_delta(&Value::Array(results), 1e-5);
    eprintln!("native vs workerd: {delta}");
    assert!(delta.raw <= 1e-5, "{delta}");
}

#[test]
#[ignore = "needs workerd, Node.js and the built JS package: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn edge_worker_rejects_bad_requests_with_a_4xx_and_a_message() {
    let r = &edge()["rejected"];
    for (case, status, says) in [
        ("oversized", 413, "request body over 262144 bytes"),
        (
            "tooManyEvents",
            413,
            "field `events`: over the limit: more than 1000 events",
        ),
        (
            "longString",
            413,
            "field `events[0].event_type`: over the limit: a string of 1025 bytes",
        ),
        ("malformed", 400, "malformed input"),
        ("notASession", 422, "expected an object, found an array"),
        ("badField", 422, "events[0].amount"),
        ("put", 405, "POST"),
    ] {
        assert_eq!(r[case]["status"], status, "{case}: {}", r[case]);
        let msg = r[case]["body"]["error"].as_str().unwrap_or_default();
        assert!(msg.contains(says), "{case}: {msg}");
    }
}

/// The largest requests the example's limits admit (the most events, and the most 1 KB strings,
/// that fit in 256 KB) are scored, and leave the isolate's wasm memory well under the 128 MB
/// an edge isolate gets (the rest of the isolate, its JS heap, holds the 256 KB body and the
/// result).
#[test]
#[ignore = "needs workerd, Node.js and the built JS package: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn edge_worker_stays_within_its_memory_for_the_largest_accepted_requests() {
    let e = edge();
    for case in ["events", "strings"] {
        let a = &e["accepted"][case];
        assert_eq!(a["status"], 200, "{case}: {a}");
        let bytes = a["bytes"].as_u64().unwrap();
        assert!(
            bytes > 240 * 1024 && bytes <= 256 * 1024,
            "{case}: {bytes} bytes"
        );
        eprintln!(
            "largest accepted ({case}): {bytes} bytes, {} events",
            a["events"]
        );
    }
    assert_eq!(e["accepted"]["events"]["events"], 1000);
    let mib = |v: &Value| v.as_f64().unwrap() / (1 << 20) as f64;
    let (loaded, largest) = (mib(&e["memory"]["loaded"]), mib(&e["memory"]["largest"]));
    eprintln!(
        "workerd wasm memory: {loaded:.1} MiB with the model loaded, {largest:.1} MiB after the largest requests"
    );
    assert!(largest < 64.0, "{largest:.1} MiB of wasm memory");
}
