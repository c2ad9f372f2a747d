//! The bad-input catalogue (`tests/data/bad-inputs.json`) through the JS package in Node: each
//! session scored by `scorer.score`, each artifact loaded by `Scorer.create`
//! (`tests/js/drive-catalogue.mjs`). An error case must reject with a JS `Error` (never a wasm
//! trap) of its kind naming its field or byte; a valid one must score. The CLI half is
//! `native/tests/catalogue.rs`; the cases shared with it are all but the `cli_only` ones.

#[path = "../../support/bad_inputs.rs"]
mod bad_inputs;

use super::common;
use bad_inputs::{bad_artifact, catalogue, check_error, made};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;

#[test]
fn bad_input_catalogue_through_the_js_package() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = &common::trained().bytes;
    std::fs::write(d.join("good.seqrisk"), good).unwrap();
    let cases: Vec<Value> = catalogue()
        .into_iter()
        .filter(|c| c["cli_only"] != true)
        .collect();
    assert!(cases.len() >= 25, "{} cases", cases.len());
    let inputs: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let name = &c["name"];
            if let Some(text) = c["session"].as_str() {
                json!({ "name": name, "session": text })
            } else if let Some(make) = c["make"].as_str() {
                json!({ "name": name, "session": String::from_utf8(made(make)).unwrap() })
            } else if let Some(how) = c["artifact"].as_str() {
                let path = d.join(format!("bad{i}.seqrisk"));
                std::fs::write(&path, bad_artifact(how, good)).unwrap();
                json!({ "name": name, "artifact": path })
            } else {
                panic!("{name}: no input for the JS package")
            }
        })
        .collect();
    let spec = d.join("cases.json");
    std::fs::write(
        &spec,
        json!({ "artifact": d.join("good.seqrisk"), "cases": inputs }).to_string(),
    )
    .unwrap();
    let out = d.join("out.json");
    let status = Command::new("node")
        .arg(root.join("tests/js/drive-catalogue.mjs"))
        .arg(&spec)
        .arg(&out)
        .env("SEQRISK_PKG", root.join("wasm/pkg"))
        .status()
        .expect("node runs (install Node.js)");
    assert!(status.success(), "drive-catalogue.mjs failed: {status}");
    let results: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let r = &results[name];
        match case["expect"].as_str().unwrap() {
            "error" => {
                assert_eq!(r["ok"], false, "JS, {name}: accepted: {r}");
                assert_eq!(r["isError"], true, "JS, {name}: not an Error: {r}");
                let message = r["message"].as_str().unwrap();
                assert!(!message.contains("trap"), "JS, {name}: {message}");
                check_error(case, message, "JS");
            }
            _ => {
                assert_eq!(r["ok"], true, "JS, {name}: refused: {r}");
                if case["session"].is_string() || case["make"].is_string() {
                    let s = r["score"].as_f64().unwrap();
                    assert!(s > 0.0 && s < 1.0, "JS, {name}: score {s}");
                }
            }
        }
    }
}
