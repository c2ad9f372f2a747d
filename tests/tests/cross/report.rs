//! `seqrisk eval --report`'s HTML, written for the shared NHFM on its last 400 training
//! sessions, opened in headless Chromium from its file: no console message, no request (the
//! plots are inlined), every plot decoded, every section there.

use super::common;
use burn::prelude::Device;
use seqrisk_core::metrics::Evaluation;
use seqrisk_core::scorer::Scorer;
use seqrisk_native::html_report::{self, ReportHeading};
use std::path::PathBuf;
use std::process::Command;

#[test]
#[ignore = "needs Chromium and Node.js (tests/js): scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn the_report_opens_in_chromium_with_no_error_and_no_request() {
    let t = common::trained_model(0);
    let artifact = common::reload(&t.bytes);
    let scorer = Scorer::from_artifact(&artifact, Device::flex()).unwrap();
    let sessions: Vec<_> = t.sessions.iter().rev().take(400).cloned().collect();
    let scored = scorer.score(&sessions).unwrap();
    let labels: Vec<bool> = sessions.iter().map(|s| s.label.unwrap_or(false)).collect();
    let raw: Vec<f64> = scored.iter().map(|s| s.raw_score).collect();
    let score: Vec<f64> = scored.iter().map(|s| s.score).collect();
    let field = scorer
        .encoder
        .schema
        .profile
        .categorical
        .first()
        .expect("a categorical profile field")
        .name
        .clone();
    let values: Vec<Option<String>> = sessions
        .iter()
        .map(|s| s.profile.categorical[0].as_ref().map(|v| v.to_string()))
        .collect();
    let evaluation = Evaluation::compute(
        &raw,
        &score,
        &labels,
        &scorer.policy_points,
        Some((&field, &values)),
    );
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report <&>.html");
    let heading = ReportHeading {
        model: "nhfm",
        artifact: "nhfm <b>.seqrisk",
        data: "sessions & more.jsonl",
        calibration: None,
    };
    html_report::write(&html, &heading, &evaluation).unwrap();
    let text = std::fs::read_to_string(&html).unwrap();
    // names from files and data are text, never markup
    assert!(text.contains("nhfm &lt;b&gt;.seqrisk") && !text.contains("<b>.seqrisk"));
    let out = dir.path().join("shown.json");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let status = Command::new("node")
        .arg(root.join("tests/js/drive-report.mjs"))
        .arg(&html)
        .arg(&out)
        .status()
        .expect("node runs (install Node.js)");
    assert!(status.success(), "drive-report.mjs failed: {status}");
    let shown: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(shown["console"], serde_json::json!([]), "{shown}");
    assert_eq!(shown["requests"], serde_json::json!([]), "{shown}");
    assert_eq!(shown["scripts"], 0);
    let images = shown["images"].as_array().unwrap();
    assert_eq!(images.len(), 5, "{shown}");
    assert!(images.iter().all(|i| i["loaded"] == true), "{shown}");
    let headings: Vec<&str> = shown["headings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert_eq!(
        headings,
        [
            "Metrics".to_string(),
            "Calibration".into(),
            "Gains and lift".into(),
            "The card's thresholds".into(),
            format!("By {field}"),
        ]
    );
}
