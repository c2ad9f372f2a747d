//! Helpers to run seqrisk's JavaScript package in real runtimes (tests/js/drive.mjs) on a
//! fixture of the shared model and 200 sessions, and to compare what comes back with native.

use super::common;

use burn::prelude::Device;
use seqrisk_core::error::Location;
use seqrisk_core::policy::PolicyPoint;
use seqrisk_core::schema::{Limits, Schema, Session, parse_sessions_json, session_to_json};
use seqrisk_core::scorer::{Scorer, SessionScore};
use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub native: Vec<SessionScore>,
    /// The sessions as read from the fixture's JSON (what the drivers score).
    pub sessions: Vec<Session>,
    /// The policy written as `policy.toml` for the drivers (bands at two of the card's
    /// targets), and the native scorer's band for each session.
    pub policy: Option<(String, Vec<String>)>,
    /// The artifact's calibrator, as native reads it.
    pub calibrator: Option<seqrisk_core::calibration::Calibrator>,
}

/// A policy over the card's points: `review` from the lowest threshold, `block` from the
/// highest one above it (targets, as a team would write them); `None` without points.
fn policy_of(points: &[PolicyPoint]) -> Option<String> {
    let mut sorted: Vec<&PolicyPoint> = points.iter().collect();
    sorted.sort_by(|a, b| a.point.threshold.total_cmp(&b.point.threshold));
    let low = sorted.first()?;
    let mut text = format!(
        "[[band]]\nname = \"allow\"\n[[band]]\nname = \"review\"\nfrom = \"{}\"\n",
        low.target
    );
    if let Some(high) = sorted
        .last()
        .filter(|h| h.point.threshold > low.point.threshold)
    {
        text.push_str(&format!(
            "[[band]]\nname = \"block\"\nfrom = \"{}\"\n",
            high.target
        ));
    }
    Some(text)
}

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The shared NHFM and its last 200 training sessions, written where the drivers read them,
/// with the native Flex scores to compare against.
pub fn fixture() -> &'static Fixture {
    model_fixture(0)
}

/// The same for [`common::MODELS`]`[i]`.
pub fn model_fixture(i: usize) -> &'static Fixture {
    static CELLS: [OnceLock<Fixture>; common::MODELS.len()] =
        [const { OnceLock::new() }; common::MODELS.len()];
    CELLS[i].get_or_init(|| {
        let t = common::trained_model(i);
        let sessions: Vec<_> = t.sessions.iter().rev().take(200).cloned().collect();
        fixture_of(&t.bytes, &sessions, &t.schema)
    })
}

/// The cluster model and 200 of its sessions: every one native places in a risky cluster
/// (up to 100), then the most recent others.
pub fn cluster_fixture() -> &'static Fixture {
    static CELL: OnceLock<Fixture> = OnceLock::new();
    CELL.get_or_init(|| {
        let c = common::clustered();
        let scored = Scorer::from_artifact(&common::reload(&c.bytes), Device::flex())
            .unwrap()
            .score(&c.sessions)
            .unwrap();
        let (inside, outside): (Vec<usize>, Vec<usize>) =
            (0..c.sessions.len()).partition(|&i| scored[i].explanation.cluster.is_some());
        let picked: Vec<_> = inside
            .iter()
            .take(100)
            .chain(outside.iter().rev())
            .take(200)
            .map(|&i| c.sessions[i].clone())
            .collect();
        fixture_of(&c.bytes, &picked, &c.schema)
    })
}

/// The Node driver's report on [`cluster_fixture`].
pub fn cluster_node_report() -> &'static Value {
    static CELL: OnceLock<Value> = OnceLock::new();
    CELL.get_or_init(|| drive("node", cluster_fixture()))
}

/// The browser driver's report on [`cluster_fixture`].
pub fn cluster_browser_report() -> &'static Value {
    static CELL: OnceLock<Value> = OnceLock::new();
    CELL.get_or_init(|| drive("browser", cluster_fixture()))
}

/// How many of [`cluster_fixture`]'s sessions `results` places in a risky cluster, after
/// checking every placement against native's: the same cluster (or none), the same matched
/// rules, `ρ` within `tol`. A session on a cluster's edge (see `on_cluster_edge`) may fall
/// either side and is not compared.
pub fn same_clusters(results: &Value, tol: f64) -> usize {
    let f = cluster_fixture();
    let results = results.as_array().expect("an array of scores");
    assert_eq!(results.len(), f.native.len(), "one score per session");
    let mut inside = 0;
    for (n, r) in f.native.iter().zip(results) {
        let theirs = &r["explanation"]["cluster"];
        if on_cluster_edge(n, r) {
            continue;
        }
        match &n.explanation.cluster {
            Some(c) => {
                inside += 1;
                assert_eq!(theirs["label"], c.label, "{}", n.id);
                assert_eq!(theirs["rules"], serde_json::json!(c.rules), "{}", n.id);
                let reach = theirs["reach"].as_f64().unwrap();
                assert!((reach - f64::from(c.reach)).abs() <= tol, "{}", n.id);
            }
            None => assert!(theirs.is_null(), "{}: native none, this {theirs}", n.id),
        }
    }
    inside
}

/// An artifact and sessions written where the drivers read them, with the native Flex scores
/// of the sessions as read back from that JSON text by the parser the JS package uses, so both
/// sides score the same numbers (a millisecond timestamp written and read back can differ from
/// the value in memory in its last bit, and a session whose feature sits on a cluster rule's
/// threshold would then match the rule on one side only).
fn fixture_of(bytes: &[u8], sessions: &[Session], schema: &Schema) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("model.seqrisk"), bytes).unwrap();
    let lines: Vec<String> = sessions
        .iter()
        .map(|s| session_to_json(s, schema).to_string())
        .collect();
    let text = format!("[{}]", lines.join(","));
    std::fs::write(dir.path().join("sessions.json"), &text).unwrap();
    let read = parse_sessions_json(
        &text,
        schema,
        &Location::new("sessions.json", 0),
        &Limits::default(),
    )
    .unwrap();
    let scorer = Scorer::from_artifact(&common::reload(bytes), Device::flex()).unwrap();
    let native = scorer.score(&read).unwrap();
    let policy = policy_of(&scorer.policy_points).map(|text| {
        std::fs::write(dir.path().join("policy.toml"), &text).unwrap();
        let bands = scorer.bands(&text).unwrap();
        let decided = native
            .iter()
            .map(|s| bands.decide(s.score).to_string())
            .collect();
        (text, decided)
    });
    Fixture {
        dir,
        native,
        sessions: read,
        policy,
        calibrator: scorer.calibrator.clone(),
    }
}

/// The runtimes tests/js/drive.mjs drives.
#[derive(Clone, Copy)]
pub enum Runtime {
    Node,
    Browser,
    Edge,
}

/// The report of one driver run per runtime on the NHFM fixture, shared by the tests that read
/// it.
pub fn report(runtime: Runtime) -> &'static Value {
    static CELLS: [OnceLock<Value>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let (i, mode) = match runtime {
        Runtime::Node => (0, "node"),
        Runtime::Browser => (1, "browser"),
        Runtime::Edge => (2, "edge"),
    };
    CELLS[i].get_or_init(|| drive(mode, fixture()))
}

/// The Node driver's report on the fixture of [`common::MODELS`]`[i]` (`i ≥ 1`; the NHFM one is
/// [`report`]`(Runtime::Node)`).
pub fn model_node_report(i: usize) -> &'static Value {
    static CELLS: [OnceLock<Value>; common::MODELS.len()] =
        [const { OnceLock::new() }; common::MODELS.len()];
    CELLS[i].get_or_init(|| drive("node", model_fixture(i)))
}

/// The built JS package (`SEQRISK_PKG`, default wasm/pkg), checked to be there with the test
/// drivers' dependencies.
fn package() -> PathBuf {
    let pkg = std::env::var_os("SEQRISK_PKG")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("wasm/pkg"));
    assert!(
        pkg.join("node.js").exists() && pkg.join("cpu/seqrisk_wasm_bg.wasm").exists(),
        "the JS package is missing at {}; build it with `scripts/build-wasm.sh`",
        pkg.display()
    );
    assert!(
        workspace().join("tests/js/node_modules").exists(),
        "the JS test drivers' dependencies are missing: run `npm install` in tests/js (scripts/setup.sh does)"
    );
    pkg
}

/// Run `node tests/js/<script> <args>` on the built package and parse the JSON report it
/// wrote to `out`.
pub fn node_report<I, A>(script: &str, args: I, out: &Path) -> Value
where
    I: IntoIterator<Item = A>,
    A: AsRef<OsStr>,
{
    let status = Command::new("node")
        .arg(workspace().join("tests/js").join(script))
        .args(args)
        .env("SEQRISK_PKG", package())
        .status()
        .expect("node runs (install Node.js)");
    assert!(status.success(), "{script} failed: {status}");
    serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
}

/// Run `node tests/js/drive.mjs <mode>` on a fixture and parse its report.
fn drive(mode: &str, f: &Fixture) -> Value {
    let out = f.dir.path().join(format!("{mode}.json"));
    node_report(
        "drive.mjs",
        [OsStr::new(mode), f.dir.path().as_os_str(), out.as_os_str()],
        &out,
    )
}

/// How far another scorer's results are from native's: see [`max_delta_of`].
#[derive(Debug, Clone, Copy)]
pub struct Delta {
    /// Largest |Δraw_score|: the model's own output, what the runtimes' float sums decide.
    pub raw: f64,
    /// Largest |Δscore|: the calibrated probability, reported beside `raw`. It is `raw`
    /// through the calibrator's slope, which no bound caps: an isotonic calibrator rises
    /// between the last validation logit of one block and the first of the next, and when
    /// those are close that slope is in the hundreds (the LBSF fixture's 2-epoch scores, all
    /// within 0.42–0.45, gave 1.3e-5 from a raw 5.8e-8 in one CI run).
    pub score: f64,
}

impl std::fmt::Display for Delta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "max |Δraw_score| = {:.3e}, max |Δscore| = {:.3e}",
            self.raw, self.score
        )
    }
}

/// [`max_delta_of`] on the NHFM fixture.
pub fn max_delta(results: &Value, tol: f64) -> Delta {
    max_delta_of(fixture(), results, tol)
}

/// How far `results` (an array of `{ id, score, raw_score, explanation }`) are from the
/// fixture's native scores; also checks ids, every explanation weight within `tol`, and that
/// each `score` is the artifact's calibrator applied to that result's own `raw_score` (within
/// 1e-12: the calibrator is the same function in both runtimes), so a calibrated difference
/// is only ever the raw one through the calibrator's slope.
/// Whether the cluster model puts a session on a risky cluster's edge — `ρ` within 1e-4 of 1 —
/// in native's view or the other scorer's: f32 rounding, which differs between them, may then
/// put it inside or outside, and its score is that cluster's density or the background's.
/// Training on several threads makes the fixture's model differ slightly from run to run, so
/// now and then one session lands there.
fn on_cluster_edge(n: &seqrisk_core::scorer::SessionScore, r: &Value) -> bool {
    let native = n.explanation.cluster.as_ref().map(|c| f64::from(c.reach));
    let theirs = r["explanation"]["cluster"]["reach"].as_f64();
    [native, theirs]
        .into_iter()
        .flatten()
        .any(|rho| (rho - 1.0).abs() <= 1e-4)
}

pub fn max_delta_of(f: &Fixture, results: &Value, tol: f64) -> Delta {
    let native = &f.native;
    let results = results.as_array().expect("an array of scores");
    assert_eq!(results.len(), native.len(), "one score per session");
    let mut max = Delta {
        raw: 0.0,
        score: 0.0,
    };
    let mut edges = 0;
    for (n, r) in native.iter().zip(results) {
        assert_eq!(r["id"], n.id.as_str());
        if on_cluster_edge(n, r) {
            // its cluster (and so its score) may differ by f32 rounding: same_clusters skips it too
            edges += 1;
            assert!(edges <= 2, "{edges} sessions on a risky cluster's edge");
            continue;
        }
        let (score, raw) = (
            r["score"].as_f64().unwrap(),
            r["raw_score"].as_f64().unwrap(),
        );
        let calibrated = f.calibrator.as_ref().map_or(raw, |c| c.calibrate(raw));
        assert!(
            (score - calibrated).abs() <= 1e-12,
            "{}: score {score} is not the calibrator's {calibrated} of its raw score {raw}",
            n.id
        );
        max.raw = max.raw.max((raw - n.raw_score).abs());
        max.score = max.score.max((score - n.score).abs());
        for (name, native_w) in &n.explanation.weights {
            let w: Vec<f64> = serde_json::from_value(r["explanation"]["weights"][name].clone())
                .unwrap_or_else(|e| panic!("{name} weights of {}: {e}", n.id));
            assert_eq!(w.len(), native_w.len(), "{name} of {}", n.id);
            for (a, b) in native_w.iter().zip(&w) {
                assert!(
                    (*a as f64 - b).abs() <= tol,
                    "{name} weight {a} vs {b} in {}",
                    n.id
                );
            }
        }
        for (name, native_w) in &n.explanation.field_weights {
            let w: std::collections::BTreeMap<String, f64> =
                serde_json::from_value(r["explanation"]["field_weights"][name].clone())
                    .unwrap_or_else(|e| panic!("{name} field weights of {}: {e}", n.id));
            assert_eq!(w.len(), native_w.len(), "{name} of {}", n.id);
            for (field, a) in native_w {
                let b = w[field];
                assert!(
                    (*a as f64 - b).abs() <= tol,
                    "{name} weight of {field}: {a} vs {b} in {}",
                    n.id
                );
            }
        }
        assert_eq!(
            r["explanation"]["top_fields"]
                .as_array()
                .map_or(0, Vec::len),
            n.explanation.top_fields.len()
        );
    }
    max
}
