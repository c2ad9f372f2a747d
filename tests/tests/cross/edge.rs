//! The edge worker example (wasm/examples/edge-worker) in workerd, Cloudflare's runtime from npm:
//! POSTed sessions get native's scores; oversized, malformed or invalid bodies get a 4xx with a
//! message.

use super::js::{self, Runtime};
use serde_json::Value;

fn edge() -> &'static Value {
    js::report(Runtime::Edge)
}

#[test]
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
    eprintln!("native vs workerd: max |Δscore| = {delta:.3e}");
    assert!(delta <= 1e-5, "max |Δscore| = {delta}");
}

#[test]
fn edge_worker_rejects_bad_requests_with_a_4xx_and_a_message() {
    let r = &edge()["rejected"];
    for (case, status, says) in [
        ("oversized", 413, "bytes"),
        ("tooManyEvents", 413, "events"),
        ("malformed", 400, "malformed JSON"),
        ("notASession", 400, "events"),
        ("badField", 422, "amount"),
        ("get", 405, "POST"),
    ] {
        assert_eq!(r[case]["status"], status, "{case}: {}", r[case]);
        let msg = r[case]["body"]["error"].as_str().unwrap_or_default();
        assert!(msg.contains(says), "{case}: {msg}");
    }
}
