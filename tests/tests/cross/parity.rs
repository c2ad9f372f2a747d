//! Native ↔ wasm parity: a natively trained model, exported, scores the same 200 sessions in
//! Rust and in the wasm package under Node; every |Δscore| ≤ 1e-5.
//!
//! Needs the Node build of the wasm package: `scripts/build-wasm.sh` (README's test command
//! runs it first). `SEQRISK_WASM_NODE_PKG` overrides where it is looked for.

use super::common;

use burn::prelude::Device;
use seqrisk_core::scorer::Scorer;
use std::path::PathBuf;
use std::process::Command;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn native_and_wasm_scores_agree_on_200_sessions() {
    let t = common::trained();
    let schema = common::schema();
    let sessions: Vec<_> = t
        .data
        .iter()
        .rev()
        .take(200)
        .map(|d| d.session.clone())
        .collect();
    let native = Scorer::from_artifact(&common::reload(&t.bytes), Device::flex())
        .unwrap()
        .score(&sessions)
        .unwrap();

    let pkg = std::env::var_os("SEQRISK_WASM_NODE_PKG")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/wasm-pkg/node"));
    assert!(
        pkg.join("seqrisk_wasm.js").exists(),
        "the wasm package for Node is missing at {}; build it with `scripts/build-wasm.sh`",
        pkg.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let artifact = dir.path().join("model.seqrisk");
    std::fs::write(&artifact, &t.bytes).unwrap();
    let input = dir.path().join("sessions.json");
    let lines: Vec<String> = t
        .data
        .iter()
        .rev()
        .take(200)
        .map(|d| d.to_json_line(&schema))
        .collect();
    std::fs::write(&input, format!("[{}]", lines.join(","))).unwrap();
    let out = dir.path().join("out.json");
    let status = Command::new("node")
        .arg(workspace().join("tests/js/score.cjs"))
        .args([&pkg, &artifact, &input, &out])
        .status()
        .expect("node runs (install Node.js)");
    assert!(status.success(), "node scoring failed: {status}");
    let wasm: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(wasm["backend"], "cpu");
    let results = wasm["results"].as_array().unwrap();
    assert_eq!(results.len(), 200);
    let mut max_delta = 0f64;
    for (n, w) in native.iter().zip(results) {
        assert_eq!(w["id"], n.id.as_str());
        let delta = (w["score"].as_f64().unwrap() - n.score).abs();
        max_delta = max_delta.max(delta);
        let top: Vec<usize> =
            serde_json::from_value(w["explanation"]["top_events"].clone()).unwrap();
        let weights = &w["explanation"]["weights"];
        for (name, native_w) in &n.explanation.weights {
            let wasm_w: Vec<f32> = serde_json::from_value(weights[name].clone()).unwrap();
            for (a, b) in native_w.iter().zip(&wasm_w) {
                assert!(
                    (a - b).abs() <= 1e-5,
                    "{name} weight {a} vs {b} in {}",
                    n.id
                );
            }
        }
        assert_eq!(top.len(), n.explanation.top_events.len());
    }
    eprintln!("native vs wasm: max |Δscore| = {max_delta:.3e} over 200 sessions");
    assert!(max_delta <= 1e-5, "max |Δscore| = {max_delta}");
}
