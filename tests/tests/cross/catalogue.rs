//! The bad-input catalogue (`tests/data/bad-inputs.json`) through the JS package in Node: each
//! session scored by `scorer.score`, each artifact loaded by `Scorer.create`
//! (`tests/js/drive-catalogue.mjs`). An error case must reject with a JS `Error` (never a wasm
//! trap) of its kind naming its field or byte; a valid one must score. The CLI half is
//! `native/tests/catalogue.rs`; the cases shared with it are all but the `cli_only` ones.
//! Last, a panic (which no input here causes) is shown to reach JS as an Error too.

#[path = "../../support/bad_inputs.rs"]
mod bad_inputs;

use super::common;
use bad_inputs::{bad_artifact, catalogue, check_error, made};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;

#[test]
#[ignore = "needs Node.js and the built JS package: scripts/test.sh runs it (cargo test -- --include-ignored)"]
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
            let limits = &c["limits"];
            if let Some(text) = c["session"].as_str() {
                json!({ "name": name, "session": text, "limits": limits })
            } else if let Some(make) = c["make"].as_str() {
                let session = String::from_utf8(made(make)).unwrap();
                json!({ "name": name, "session": session, "limits": limits })
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
                let code = r["code"].as_str().unwrap_or_default();
                assert!(js_codes(case).contains(&code), "JS, {name}: code {code:?}");
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

/// The package with its CPU build replaced by the panic-probe build (`scripts/test.sh` builds
/// it into `target/panic-probe/` with `--features panic-probe`).
fn probe_package(d: &std::path::Path) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let probe = root.join("target/panic-probe");
    assert!(
        probe.join("seqrisk_wasm_bg.wasm").exists(),
        "no panic-probe build in {}: scripts/test.sh builds it",
        probe.display()
    );
    let pkg = d.join("pkg");
    std::fs::create_dir_all(pkg.join("cpu")).unwrap();
    for entry in std::fs::read_dir(root.join("wasm/pkg")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, pkg.join(path.file_name().unwrap())).unwrap();
        }
    }
    for f in ["seqrisk_wasm.js", "seqrisk_wasm_bg.wasm"] {
        std::fs::copy(probe.join(f), pkg.join("cpu").join(f)).unwrap();
    }
    pkg
}

/// A panic inside the scorer (the test-only probe build panics on one session id) reaches JS as
/// an `Error` with code `SEQRISK_INTERNAL` carrying the panic's message and source location,
/// never as a bare trap; the build then refuses further work with an Error that says why.
#[test]
#[ignore = "needs Node.js and the built JS package: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn a_panic_reaches_js_as_an_error_with_its_message() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pkg = probe_package(d);
    std::fs::write(d.join("good.seqrisk"), &common::trained().bytes).unwrap();
    let session =
        seqrisk_core::schema::session_to_json(&common::trained().sessions[0], &common::schema());
    std::fs::write(d.join("session.json"), session.to_string()).unwrap();
    let out = d.join("out.json");
    let status = Command::new("node")
        .arg(root.join("tests/js/drive-panic.mjs"))
        .args([&pkg, &d.join("good.seqrisk"), &d.join("session.json"), &out])
        .status()
        .expect("node runs (install Node.js)");
    assert!(status.success(), "drive-panic.mjs failed: {status}");
    let r: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(r["before"]["ok"], true, "{r}");
    let probe = &r["probe"];
    assert_eq!(probe["isError"], true, "{probe}");
    assert_eq!(probe["code"], "SEQRISK_INTERNAL", "{probe}");
    let message = probe["message"].as_str().unwrap();
    assert!(
        message.contains("panicked at wasm/src/lib.rs:")
            && message.contains("panic probe: session seqrisk-panic-probe"),
        "{message}"
    );
    assert!(
        probe["cause"].as_str().unwrap().contains("RuntimeError"),
        "{probe}"
    );
    for after in ["afterAsync", "afterSync"] {
        let a = &r[after];
        assert_eq!(a["code"], "SEQRISK_INTERNAL", "{after}: {a}");
        assert!(
            a["message"]
                .as_str()
                .unwrap()
                .contains("stopped after an internal error"),
            "{after}: {a}"
        );
    }
}

/// The `code` a JS `Error` of the case's kind carries (`index.d.ts`'s `ErrorCode`).
pub fn js_codes(case: &Value) -> &'static [&'static str] {
    match case["kind"].as_str().unwrap() {
        "data" => &["SEQRISK_BAD_SESSION", "SEQRISK_MALFORMED_JSON"],
        "limit" => &["SEQRISK_OVER_LIMIT"],
        "artifact" | "model" => &["SEQRISK_BAD_ARTIFACT"],
        other => panic!("{other}: no JS code"),
    }
}
