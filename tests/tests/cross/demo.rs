//! The web demo end to end in headless Chromium (tests/js/drive-demo.mjs): built into static
//! files by `scripts/web-demo.sh` from models that `seqrisk web-demo`'s code trains, then used as
//! a visitor would. Screenshots of the main states go to `$SEQRISK_SCREENSHOTS` (default
//! `target/web-demo-screenshots/`; the README's come from `docs/web-demo/`).

use burn::prelude::Device;
use seqrisk_core::Location;
use seqrisk_core::artifact::Artifact;
use seqrisk_core::schema::{Schema, session_from_json};
use seqrisk_core::scorer::{Scorer, SessionScore};
use seqrisk_native::web_demo::{self, DemoSizes, Replay, WebDemoOptions};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

struct Demo {
    _dir: tempfile::TempDir,
    models: PathBuf,
    replays: Vec<Replay>,
    report: Value,
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The demo built and driven once; a failure fails every test at once instead of rebuilding.
fn demo() -> &'static Demo {
    static CELL: OnceLock<Result<Demo, String>> = OnceLock::new();
    let built = CELL.get_or_init(|| {
        std::panic::catch_unwind(build).map_err(|e| {
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        })
    });
    match built {
        Ok(d) => d,
        Err(e) => panic!("the demo could not be built and driven: {e}"),
    }
}

fn build() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    let dist = dir.path().join("dist");
    let replays = web_demo::build(&WebDemoOptions {
        models: ["nhfm", "difm", "behavior-cluster", "huihen", "lbsf"]
            .map(|m| m.parse().unwrap())
            .to_vec(),
        sizes: DemoSizes {
            fraud_sessions: 10_000,
            applicants: 600,
            old_applicants: 2_000,
            payment_users: 200,
            median_payments: 100.0,
        },
        epochs: 8,
        seed: 42,
        out: models.clone(),
        progress: false,
    })
    .unwrap();
    let status = Command::new("bash")
        .arg(workspace().join("scripts/web-demo.sh"))
        .args(["--build-only", "--models"])
        .arg(&models)
        .arg("--dist")
        .arg(&dist)
        .status()
        .unwrap();
    assert!(status.success(), "scripts/web-demo.sh --build-only failed");
    let shots = std::env::var_os("SEQRISK_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/web-demo-screenshots"));
    let out = dir.path().join("report.json");
    let status = Command::new("node")
        .arg(workspace().join("tests/js/drive-demo.mjs"))
        .arg(&dist)
        .arg(&out)
        .arg(&shots)
        .status()
        .expect("node runs (install Node.js)");
    assert!(status.success(), "drive-demo.mjs failed: {status}");
    let report = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    Demo {
        _dir: dir,
        models,
        replays,
        report,
    }
}

fn replay(pattern: &str) -> &'static Replay {
    demo()
        .replays
        .iter()
        .find(|r| r.pattern == pattern)
        .unwrap()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number, got {v}"))
}

#[test]
#[ignore = "needs Chromium, Node.js and the built web demo: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn the_built_page_loads_and_runs_without_console_errors() {
    let r = &demo().report;
    for run in [&r["normal"], &r["cpu"], &r["gpu"]] {
        assert_eq!(run["errors"], serde_json::json!([]), "{run}");
    }
    let start = &r["cpu"]["start"];
    assert!(num(&start["cardShown"]) >= 5.0, "model card: {start}");
    assert_eq!(start["rocShown"], 1, "ROC curve in the model card");
}

#[test]
#[ignore = "needs Chromium, Node.js and the built web demo: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn account_takeover_replay_is_flagged_and_the_normal_flow_is_not() {
    let r = &demo().report;
    let ato = &r["cpu"]["account_takeover"];
    let normal = &r["normal"];
    eprintln!(
        "NHFM in the demo: account takeover {:.4}, normal flow {:.4} ({} events), threshold {:.4}",
        num(&ato["score"]),
        num(&normal["score"]),
        normal["events"],
        num(&ato["threshold"])
    );
    // the card flags a score at or above its threshold (isotonic calibration on the demo's
    // nearly separable data gives steps: both can be 1)
    assert!(num(&ato["score"]) >= num(&ato["threshold"]), "{ato}");
    assert_eq!(ato["verdict"], "flagged for review");
    // login, then catalog, product, add to cart, catalog, product, add to cart, checkout,
    // payment: each once (a submit's result page is no page view of its own)
    assert_eq!(normal["events"], 9, "one event per step: {normal}");
    assert!(
        num(&normal["score"]) < num(&normal["threshold"]),
        "{normal}"
    );
    assert_eq!(normal["verdict"], "passes");
}

#[test]
#[ignore = "needs Chromium, Node.js and the built web demo: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn per_event_weights_render_for_the_events_native_explains() {
    let d = demo();
    let bytes = std::fs::read(d.models.join("nhfm.seqrisk")).unwrap();
    let scorer =
        Scorer::from_artifact(&Artifact::from_bytes(&bytes).unwrap(), Device::flex()).unwrap();
    let schema: Schema = Schema::synthetic_default();
    let r = replay("account_takeover");
    let session = session_from_json(&r.session, &schema, &Location::new("replay", 0)).unwrap();
    let native = scorer.score(&[session]).unwrap().remove(0);
    let rows = d.report["cpu"]["account_takeover"]["weightRows"]
        .as_array()
        .unwrap();
    let shown: Vec<usize> = rows.iter().map(|x| num(&x["event"]) as usize).collect();
    assert_eq!(
        shown, native.explanation.events,
        "one row per explained event"
    );
    let highlighted: Vec<usize> = rows
        .iter()
        .filter(|x| x["highlight"] == true)
        .map(|x| num(&x["event"]) as usize)
        .collect();
    let mut top: Vec<usize> = native
        .explanation
        .top_events
        .iter()
        .take(3)
        .copied()
        .collect();
    top.sort();
    assert_eq!(
        highlighted, top,
        "the three heaviest events are highlighted"
    );
    let events = r.session["events"].as_array().unwrap();
    for x in rows {
        let i = num(&x["event"]) as usize;
        let label = x["label"].as_str().unwrap();
        let kind = events[i]["event_type"].as_str().unwrap();
        assert!(
            label.starts_with(&format!("{}. {kind}", i + 1)),
            "row of event {i} reads {label:?}"
        );
    }
}

#[test]
#[ignore = "needs Chromium, Node.js and the built web demo: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn webgpu_when_enabled_cpu_when_not_with_equal_scores() {
    let r = &demo().report;
    assert_eq!(
        r["gpu"]["start"]["backend"], "webgpu",
        "{}",
        r["gpu"]["start"]
    );
    assert_eq!(r["cpu"]["start"]["backend"], "cpu");
    let badge = r["cpu"]["start"]["badge"].as_str().unwrap();
    assert!(badge.contains("fallback"), "the fallback says why: {badge}");
    let gpu = num(&r["gpu"]["account_takeover"]["score"]);
    let cpu = num(&r["cpu"]["account_takeover"]["score"]);
    eprintln!("account takeover replay: WebGPU {gpu:.6}, CPU {cpu:.6}");
    assert!((gpu - cpu).abs() <= 1e-4, "WebGPU {gpu} vs CPU {cpu}");
    // and the CPU page ends each replay where native scored it
    for pattern in ["account_takeover", "card_testing", "legit", "scripted_bot"] {
        let page = num(&r["cpu"][pattern]["score"]);
        let native = replay(pattern).scores[0].1;
        assert!(
            (page - native).abs() <= 1e-4,
            "{pattern}: page {page}, native {native}"
        );
    }
}

#[test]
#[ignore = "needs Chromium, Node.js and the built web demo: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn no_request_leaves_the_page_while_scoring() {
    let r = &demo().report;
    for run in [
        &r["normal"],
        &r["cpu"]["account_takeover"],
        &r["cpu"]["card_testing"],
        &r["cpu"]["legit"],
        &r["cpu"]["scripted_bot"],
        &r["gpu"]["account_takeover"],
    ] {
        assert_eq!(run["requests"], serde_json::json!([]), "{run}");
    }
}

#[test]
#[ignore = "needs Chromium, Node.js and the built web demo: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn model_picker_keyboard_and_phone_width() {
    let r = &demo().report;
    let difm = &r["cpu"]["models"]["difm.seqrisk"];
    assert_eq!(
        difm["fieldsShown"], true,
        "DIFM shows field importance: {difm}"
    );
    assert!(!difm["fields"].as_array().unwrap().is_empty());
    assert!(!difm["weightRows"].as_array().unwrap().is_empty());
    let bot = &r["cpu"]["scripted_bot"];
    assert!(
        num(&bot["events"]) > 0.0,
        "Enter on a replay button runs it: {bot}"
    );
    let phone = &r["cpu"]["phone"];
    assert!(
        num(&phone["scrollWidth"]) <= num(&phone["innerWidth"]),
        "no sideways scrolling at phone width: {phone}"
    );
}

/// The cluster model in the picker: its map shows the training sample from the artifact's card
/// and the visitor's point where native scoring puts the account-takeover replay, inside a
/// risky cluster whose matched rules are listed as native explains them.
#[test]
#[ignore = "needs Chromium, Node.js and the built web demo: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn cluster_map_shows_the_visitor_among_the_clusters() {
    let d = demo();
    let shown = &d.report["cpu"]["models"]["behavior-cluster.seqrisk"];
    let bytes = std::fs::read(d.models.join("behavior-cluster.seqrisk")).unwrap();
    let artifact = Artifact::from_bytes(&bytes).unwrap();
    let card = artifact.header.card().unwrap();
    let map = card
        .cluster_map
        .as_ref()
        .expect("the cluster model's card has a map");
    assert_eq!(shown["mapShown"], true, "{shown}");
    assert_eq!(num(&shown["mapDots"]) as usize, map.points.len(), "{shown}");
    assert!(
        map.points.iter().any(|p| p.risky),
        "the map shows risky clusters"
    );
    assert_eq!(shown["mapYou"], 1, "{shown}");
    let schema = Schema::synthetic_default();
    let session = session_from_json(
        &replay("account_takeover").session,
        &schema,
        &Location::new("replay", 0),
    )
    .unwrap();
    let scorer = Scorer::from_artifact(&artifact, Device::flex()).unwrap();
    let native = &scorer.score(std::slice::from_ref(&session)).unwrap()[0];
    let point = native.explanation.map_point.expect("a map point");
    for (k, want) in point.iter().enumerate() {
        let got = num(&shown["mapPoint"][k]);
        assert!(
            (got - f64::from(*want)).abs() < 1e-4,
            "map point {shown} vs native {point:?}"
        );
    }
    let cluster = native
        .explanation
        .cluster
        .as_ref()
        .expect("the account takeover replay lands in a risky cluster");
    let verdict = shown["clusterVerdict"].as_str().unwrap_or_default();
    assert!(
        verdict.contains(&format!("risky cluster {}", cluster.label)),
        "{verdict}"
    );
    let rules: Vec<&str> = shown["clusterRules"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(rules, cluster.rules, "{shown}");
    assert!(num(&shown["score"]) >= num(&shown["threshold"]), "{shown}");
}

/// A replay's session scored natively by the demo's artifact `file`, read with `schema`.
fn native(file: &str, pattern: &str, schema: &Schema) -> SessionScore {
    let bytes = std::fs::read(demo().models.join(file)).unwrap();
    let scorer =
        Scorer::from_artifact(&Artifact::from_bytes(&bytes).unwrap(), Device::flex()).unwrap();
    let session = session_from_json(
        &replay(pattern).session,
        schema,
        &Location::new("replay", 0),
    )
    .unwrap();
    scorer.score(&[session]).unwrap().remove(0)
}

/// What the page shows after a model's replay: its score where native scoring ends, only that
/// scenario's replays offered, the visitor's own visit not scored, and no request made.
fn check_history_model(shown: &Value, native: &SessionScore, pattern: &str, others: &[&str]) {
    let page = num(&shown["score"]);
    assert!(
        (page - native.score).abs() <= 1e-4,
        "{pattern}: page {page}, native {}",
        native.score
    );
    assert_eq!(shown["pattern"], pattern, "{shown}");
    let mut want: Vec<String> = others.iter().map(|p| format!("replay-{p}")).collect();
    want.insert(0, format!("replay-{pattern}"));
    assert_eq!(shown["replayButtons"], serde_json::json!(want), "{shown}");
    assert_eq!(shown["liveShown"], false, "{shown}");
    assert!(
        !shown["loaded"]["scenarioNote"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "the page says why the visit is not scored: {shown}"
    );
    assert!(
        shown["loaded"]["score"].is_null(),
        "nothing scored before the replay: {shown}"
    );
    assert_eq!(shown["requests"], serde_json::json!([]), "{shown}");
    assert_eq!(shown["weightsShown"], false, "{shown}");
}

/// HUIHEN in the picker: it replays a recorded loan applicant (the credit scenario), and shows
/// one column per behavior session native scoring explains, the three that moved the habits
/// most (`update_gate`) highlighted and listed.
#[test]
#[ignore = "needs Chromium, Node.js and the built web demo: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn huihen_shows_the_sessions_native_explains() {
    let shown = &demo().report["cpu"]["models"]["huihen.seqrisk"];
    let native = native(
        "huihen.seqrisk",
        "applicant_overdue",
        &Schema::credit_default(),
    );
    check_history_model(shown, &native, "applicant_overdue", &["applicant_repaid"]);
    let sessions = &native.explanation.sessions;
    assert!(sessions.len() >= 2, "a history of sessions: {sessions:?}");
    let columns = shown["sessionColumns"].as_array().unwrap();
    let firsts: Vec<(usize, usize)> = columns
        .iter()
        .map(|c| (num(&c["first"]) as usize, num(&c["last"]) as usize))
        .collect();
    let want: Vec<(usize, usize)> = sessions
        .iter()
        .map(|s| (s.first_event, s.last_event))
        .collect();
    assert_eq!(firsts, want, "one column per explained session");
    let mut order: Vec<usize> = (0..sessions.len()).collect();
    order.sort_by(|&a, &b| {
        sessions[b].weights["update_gate"]
            .total_cmp(&sessions[a].weights["update_gate"])
            .then(a.cmp(&b))
    });
    let top: Vec<usize> = order.into_iter().take(3).collect();
    let highlighted: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c["highlight"] == true)
        .map(|(k, _)| k)
        .collect();
    let mut sorted_top = top.clone();
    sorted_top.sort();
    assert_eq!(
        highlighted, sorted_top,
        "the three that moved the habits most"
    );
    let listed: Vec<usize> = shown["sessionsListed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| num(x) as usize)
        .collect();
    assert_eq!(listed, top, "listed, most first");
    assert_eq!(shown["merchantsShown"], false, "{shown}");
}

/// LBSF in the picker: it replays a recorded user's six months of payments (the payments
/// scenario), and shows the merchants the CLS token attends to most, as native scoring explains
/// them, the top merchants highlighted and the first one's payments with their attention.
#[test]
#[ignore = "needs Chromium, Node.js and the built web demo: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn lbsf_shows_the_merchants_native_explains() {
    let shown = &demo().report["cpu"]["models"]["lbsf.seqrisk"];
    let native = native(
        "lbsf.seqrisk",
        "user_defaulted",
        &Schema::payments_default(),
    );
    check_history_model(shown, &native, "user_defaulted", &["user_repaid"]);
    let x = &native.explanation;
    let merchants = &x.merchants;
    assert!(!merchants.is_empty());
    let attention = |k: usize| merchants[k].weights["cls_attention"];
    let mut order: Vec<usize> = (0..merchants.len()).collect();
    order.sort_by(|&a, &b| attention(b).total_cmp(&attention(a)).then(a.cmp(&b)));
    let rows = shown["merchantRows"].as_array().unwrap();
    let listed: Vec<usize> = rows.iter().map(|r| num(&r["merchant"]) as usize).collect();
    assert_eq!(
        listed,
        order.iter().take(10).copied().collect::<Vec<_>>(),
        "the merchants attended to most, most first"
    );
    for r in rows {
        let m = &merchants[num(&r["merchant"]) as usize];
        let label = r["label"].as_str().unwrap();
        // labels longer than 30 characters are clipped to 29 and an ellipsis
        let name: String = m
            .name
            .as_deref()
            .unwrap_or("(no merchant)")
            .chars()
            .take(29)
            .collect();
        assert!(label.starts_with(&name), "{label:?} names {:?}", m.name);
        let top = x
            .top_merchants
            .iter()
            .take(3)
            .any(|&k| std::ptr::eq(&merchants[k], m));
        assert_eq!(r["highlight"] == true, top, "{label:?}");
    }
    let first = &merchants[x.top_merchants[0]];
    let payments: Vec<usize> = shown["paymentColumns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| num(e) as usize)
        .collect();
    assert_eq!(payments, first.events, "the top merchant's payments");
    assert_eq!(shown["sessionsShown"], false, "{shown}");
}
