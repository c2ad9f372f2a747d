//! Writes the bad-input catalogue's inputs (`tests/data/bad-inputs.json`, all but the
//! `cli_only` cases) as files, for a harness outside Rust (the Python package's
//! `python/tests/test_catalogue.py`): each session's JSON text, each changed copy of a good NHFM
//! artifact, and `cases.json` listing every case with the file it reads.
//!
//! `catalogue-inputs GOOD.seqrisk OUT_DIR` (built by `scripts/test-python.sh`).

// its `check_error` is the Rust harnesses' (the Python test checks messages itself)
#[allow(dead_code)]
#[path = "../support/bad_inputs.rs"]
mod bad_inputs;

use bad_inputs::{bad_artifact, catalogue, made};
use serde_json::Value;
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [good, out] = args.as_slice() else {
        eprintln!("usage: catalogue-inputs GOOD.seqrisk OUT_DIR");
        std::process::exit(2);
    };
    let good = std::fs::read(good).unwrap_or_else(|e| panic!("{good}: {e}"));
    let out = PathBuf::from(out);
    std::fs::create_dir_all(&out).unwrap();
    let mut cases = Vec::new();
    for (i, mut case) in catalogue().into_iter().enumerate() {
        if case["cli_only"] == true {
            continue;
        }
        let (file, bytes) = if let Some(text) = case["session"].as_str() {
            (format!("session{i}.json"), text.as_bytes().to_vec())
        } else if let Some(make) = case["make"].as_str() {
            (format!("session{i}.json"), made(make))
        } else if let Some(how) = case["artifact"].as_str() {
            (format!("bad{i}.seqrisk"), bad_artifact(how, &good))
        } else {
            panic!("{}: no input outside the CLI", case["name"])
        };
        std::fs::write(out.join(&file), bytes).unwrap();
        let key = if case["artifact"].is_string() {
            "artifact_file"
        } else {
            "session_file"
        };
        case[key] = Value::from(file);
        cases.push(case);
    }
    std::fs::write(out.join("cases.json"), Value::from(cases).to_string()).unwrap();
}
