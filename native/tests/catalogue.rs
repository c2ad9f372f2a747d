//! The bad-input catalogue (`tests/data/bad-inputs.json`) through the CLI: every case's input
//! written to a file and given to `seqrisk score` (as data or as the artifact) or
//! `seqrisk train --schema`.
//! An error case must fail with a message of its kind naming its field, line or byte; a valid
//! one must score. The same catalogue goes through the JS package in
//! `tests/tests/cross/catalogue.rs`.

#[path = "../../tests/support/bad_inputs.rs"]
mod bad_inputs;

mod common;

use bad_inputs::{bad_artifact, catalogue, check_error, made};
use common::{one_epoch_nhfm, seqrisk};
use serde_json::Value;

#[test]
fn bad_input_catalogue_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = one_epoch_nhfm(d, 600, "m");
    let data = std::fs::read_to_string(d.join("d.jsonl")).unwrap();
    let few: String = data.lines().take(3).map(|l| format!("{l}\n")).collect();
    std::fs::write(d.join("few.jsonl"), few).unwrap();
    let cases = catalogue();
    assert!(cases.len() >= 25, "{} cases", cases.len());
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let data_line = match (case["session"].as_str(), case["make"].as_str()) {
            (Some(text), _) => Some(text.as_bytes().to_vec()),
            (None, Some(make)) => Some(made(make)),
            (None, None) => None,
        };
        let (ok, out, err) = if let Some(mut bytes) = data_line {
            bytes.push(b'\n');
            std::fs::write(d.join("in.jsonl"), bytes).unwrap();
            let flags = limit_flags(case);
            let mut args = vec![
                "score",
                "--artifact",
                "m/nhfm.seqrisk",
                "--input",
                "in.jsonl",
            ];
            args.extend(flags.iter().map(String::as_str));
            seqrisk(&args, d)
        } else if let Some(how) = case["artifact"].as_str() {
            std::fs::write(d.join("bad.seqrisk"), bad_artifact(how, &good)).unwrap();
            seqrisk(
                &["score", "--artifact", "bad.seqrisk", "--input", "few.jsonl"],
                d,
            )
        } else if let Some(text) = case["schema"].as_str() {
            std::fs::write(d.join("schema.toml"), text).unwrap();
            seqrisk(
                &[
                    "train",
                    "--data",
                    "d.jsonl",
                    "--schema",
                    "schema.toml",
                    "--quiet",
                    "--out",
                    "s",
                ],
                d,
            )
        } else {
            panic!("{name}: no input")
        };
        match case["expect"].as_str().unwrap() {
            "error" => {
                assert!(!ok, "CLI, {name}: accepted: {out}");
                check_error(case, &err, "CLI");
                if case["session"].is_string() || case["make"].is_string() {
                    assert!(err.contains("in.jsonl:1"), "CLI, {name}: no line: {err}");
                }
                assert!(!err.contains("panicked"), "CLI, {name}: {err}");
            }
            "ok" => {
                assert!(ok, "CLI, {name}: refused: {err}");
                let v: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
                let s = v["score"].as_f64().unwrap();
                assert!(s > 0.0 && s < 1.0, "CLI, {name}: score {s}");
            }
            other => panic!("{name}: expect {other}"),
        }
    }
}

/// The case's `limits` as `seqrisk score` flags (`max_events` → `--max-events`).
pub fn limit_flags(case: &Value) -> Vec<String> {
    let Some(limits) = case["limits"].as_object() else {
        return vec![];
    };
    limits
        .iter()
        .flat_map(|(k, v)| [format!("--{}", k.replace('_', "-")), v.to_string()])
        .collect()
}
