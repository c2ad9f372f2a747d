//! The two serving examples under load (tests/js/load.mjs, the driver of
//! `scripts/bench-serve.sh`, here at 600 requests a phase): the edge worker in workerd and the
//! Node scoring service (wasm/examples/node-service), at concurrency 1, 8 and 64, then with the
//! artifact swapped (NHFM for the GBDT) while 64 clients send.

use super::{common, js};
use burn::prelude::Device;
use seqrisk_core::scorer::Scorer;
use serde_json::{Value, json};
use std::ffi::OsStr;
use std::path::Path;

const REQUESTS: u64 = 600;
const SWAP_REQUESTS: u64 = 3000;

#[test]
#[ignore = "needs workerd, Node.js and the built JS package: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn every_request_is_answered_rightly_under_load_and_through_a_swap() {
    let f = js::fixture();
    let gbdt = &common::trained_model(2).bytes;
    let swapped = Scorer::from_artifact(&common::reload(gbdt), Device::flex())
        .unwrap()
        .score(&f.sessions)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in ["model.seqrisk", "sessions.json"] {
        std::fs::copy(f.dir.path().join(name), d.join(name)).unwrap();
    }
    std::fs::write(d.join("swap.seqrisk"), gbdt).unwrap();
    let scores = |s: &[seqrisk_core::scorer::SessionScore]| -> Vec<Value> {
        s.iter().map(|s| json!(s.score)).collect()
    };
    let expected = json!({ "model": scores(&f.native), "swap": scores(&swapped) });
    std::fs::write(d.join("expected.json"), expected.to_string()).unwrap();
    let out = d.join("load.json");
    let (requests, swaps) = (REQUESTS.to_string(), SWAP_REQUESTS.to_string());
    let report = js::node_report(
        "load.mjs",
        [d, out.as_path()].map(Path::as_os_str).into_iter().chain(
            [
                "--requests",
                &requests,
                "--swap-requests",
                &swaps,
                "--concurrency",
                "1,8,64",
                "--max-seconds",
                "300",
            ]
            .map(OsStr::new),
        ),
        &out,
    );
    let artifacts = &report["artifacts"];
    for target in ["edge", "node"] {
        let t = &report["targets"][target];
        let phases = t["phases"].as_array().unwrap();
        assert_eq!(phases.len(), 3, "{target}");
        for p in phases {
            let c = &p["concurrency"];
            assert_eq!(p["requests"], REQUESTS, "{target} at {c}: cut short");
            assert_eq!(
                p["answered"], REQUESTS,
                "{target} at {c}: {}",
                p["problems"]
            );
            assert_eq!((&p["wrong"], &p["dropped"]), (&json!(0), &json!(0)));
            assert_eq!(
                p["byArtifact"][artifacts["model"].as_str().unwrap()],
                REQUESTS
            );
        }
        let s = &t["swap"];
        assert_eq!(
            s["answered"], SWAP_REQUESTS,
            "{target} swap: {}",
            s["problems"]
        );
        assert_eq!((&s["wrong"], &s["dropped"]), (&json!(0), &json!(0)));
        let by = |k: &str| {
            s["byArtifact"][artifacts[k].as_str().unwrap()]
                .as_u64()
                .unwrap_or(0)
        };
        // both models answered, and none of the requests sent once the swap was through got
        // the old one
        assert!(by("model") > 0 && by("swap") > 0, "{target} swap: {s}");
        assert_eq!(by("model") + by("swap"), SWAP_REQUESTS);
        assert_eq!(s["swap"]["oldAnswersAfterSwap"], 0, "{target}");
        if target == "node" {
            // a file that is not an artifact leaves the running model in place
            let bad = &t["badSwap"];
            assert_eq!(bad["reload"]["status"], 500, "{bad}");
            let said = bad["reload"]["body"]["error"].as_str().unwrap_or_default();
            assert!(
                said.starts_with("kept ") && said.contains("artifact"),
                "{said}"
            );
            assert_eq!(
                (&bad["status"], &bad["answeredBy"]),
                (&json!(200), &artifacts["swap"])
            );
        }
        eprintln!(
            "{target}: swap took {:.0} ms; {} answers by the old model, {} by the new",
            s["swap"]["ms"].as_f64().unwrap(),
            by("model"),
            by("swap")
        );
    }
}
