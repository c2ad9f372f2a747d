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
                let s = v["raw_score"].as_f64().unwrap();
                assert!(s > 0.0 && s < 1.0, "CLI, {name}: score {s}");
            }
            other => panic!("{name}: expect {other}"),
        }
    }
}

/// `seqrisk score --on-error skip` over one file holding valid sessions and every session case
/// of the catalogue scored at the default limits: every valid session is scored, in order, and
/// every bad one is in the rejects file with its line and a reason naming its field.
#[test]
fn skipping_loses_no_valid_session_and_reports_every_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    one_epoch_nhfm(d, 600, "m");
    let valid: Vec<String> = std::fs::read_to_string(d.join("d.jsonl"))
        .unwrap()
        .lines()
        .take(40)
        .map(String::from)
        .collect();
    let mut input: Vec<u8> = Vec::new();
    let (mut want_ids, mut bad_lines) = (Vec::new(), Vec::new());
    let mut line = 0;
    for (i, case) in catalogue()
        .iter()
        .filter(|c| c["limits"].is_null())
        .filter_map(|c| {
            let bytes = match (c["session"].as_str(), c["make"].as_str()) {
                (Some(text), _) => text.as_bytes().to_vec(),
                (None, Some("invalid UTF-8 in a data file")) => {
                    made("invalid UTF-8 in a data file")
                }
                _ => return None,
            };
            Some((c.clone(), bytes))
        })
        .enumerate()
    {
        // a valid session before each case
        let v = &valid[i % valid.len()];
        input.extend_from_slice(v.as_bytes());
        input.push(b'\n');
        line += 1;
        let id: Value = serde_json::from_str(v).unwrap();
        want_ids.push(id["id"].as_str().unwrap().to_string());
        let (case, bytes) = case;
        input.extend_from_slice(&bytes);
        input.push(b'\n');
        line += 1;
        match case["expect"].as_str().unwrap() {
            "ok" => {
                let v: Value = serde_json::from_slice(&bytes).unwrap();
                want_ids.push(v["id"].as_str().unwrap().to_string());
            }
            _ => bad_lines.push((line, case)),
        }
    }
    assert!(bad_lines.len() >= 15, "{} bad cases", bad_lines.len());
    std::fs::write(d.join("mixed.jsonl"), &input).unwrap();
    let (ok, _, err) = seqrisk(
        &[
            "score",
            "--artifact",
            "m/nhfm.seqrisk",
            "--input",
            "mixed.jsonl",
            "--output",
            "out.jsonl",
            "--on-error",
            "skip",
            "--chunk",
            "7",
        ],
        d,
    );
    assert!(ok, "{err}");
    assert!(
        err.contains(&format!("{} rejected", bad_lines.len())),
        "{err}"
    );
    let scored: Vec<String> = std::fs::read_to_string(d.join("out.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(scored, want_ids, "every valid session, in order");
    let rejects: Vec<Value> = std::fs::read_to_string(d.join("out.jsonl.rejects.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rejects.len(), bad_lines.len());
    for (r, (line, case)) in rejects.iter().zip(&bad_lines) {
        assert_eq!(r["line"], *line, "{r}");
        check_error(case, r["reason"].as_str().unwrap(), "CLI --on-error skip");
    }
    // the same as CSV: a header, then id, score, raw_score and the explanation as JSON
    let (ok, _, err) = seqrisk(
        &[
            "score",
            "--artifact",
            "m/nhfm.seqrisk",
            "--input",
            "mixed.jsonl",
            "--output",
            "out.csv",
            "--on-error",
            "skip",
        ],
        d,
    );
    assert!(ok, "{err}");
    let mut csv = csv::Reader::from_path(d.join("out.csv")).unwrap();
    assert_eq!(
        csv.headers().unwrap(),
        vec!["id", "score", "raw_score", "explanation"]
    );
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let ids: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(ids, want_ids);
    for r in &rows {
        let json: Value = serde_json::from_str(&r[3]).unwrap();
        assert!(json.is_object() && r[2].parse::<f64>().is_ok(), "{r:?}");
    }
    // fail-fast, the default: the first bad line stops it and nothing is renamed into place
    let (ok, _, err) = seqrisk(
        &[
            "score",
            "--artifact",
            "m/nhfm.seqrisk",
            "--input",
            "mixed.jsonl",
            "--output",
            "failed.jsonl",
        ],
        d,
    );
    assert!(
        !ok && err.contains(&format!("mixed.jsonl:{}", bad_lines[0].0)),
        "{err}"
    );
    assert!(!d.join("failed.jsonl").exists());
}

/// A scoring run killed midway leaves only `<out>.partial` (no file that looks complete), and
/// `--resume` ends with exactly the output of an uninterrupted run.
#[test]
fn killed_and_resumed_scoring_matches_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    one_epoch_nhfm(d, 600, "m");
    // 6,000 sessions: the training file ten times over
    let data = std::fs::read_to_string(d.join("d.jsonl")).unwrap();
    std::fs::write(d.join("big.jsonl"), data.repeat(10)).unwrap();
    let args = |out: &str| {
        [
            "score",
            "--artifact",
            "m/nhfm.seqrisk",
            "--input",
            "big.jsonl",
            "--chunk",
            "50",
            "--output",
        ]
        .into_iter()
        .map(String::from)
        .chain([out.to_string()])
        .collect::<Vec<_>>()
    };
    let full = args("full.jsonl");
    let (ok, _, err) = seqrisk(&full.iter().map(String::as_str).collect::<Vec<_>>(), d);
    assert!(ok, "{err}");
    let want = std::fs::read(d.join("full.jsonl")).unwrap();
    let mut killed = false;
    for trial in 0..5 {
        let out = format!("part{trial}.jsonl");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_seqrisk"))
            .args(args(&out))
            .current_dir(d)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let progress = d.join(format!("{out}.progress"));
        while child.try_wait().unwrap().is_none() {
            if progress.exists() {
                child.kill().unwrap();
                killed = true;
                break;
            }
        }
        child.wait().unwrap();
        if !killed {
            continue;
        }
        assert!(
            !d.join(&out).exists(),
            "a killed run left {out} looking complete"
        );
        assert!(d.join(format!("{out}.partial")).exists());
        let mut resume = args(&out);
        resume.push("--resume".into());
        let (ok, _, err) = seqrisk(&resume.iter().map(String::as_str).collect::<Vec<_>>(), d);
        assert!(ok && err.contains("resumed"), "{err}");
        assert_eq!(
            std::fs::read(d.join(&out)).unwrap(),
            want,
            "resumed output differs"
        );
        assert!(!progress.exists() && !d.join(format!("{out}.partial")).exists());
        break;
    }
    assert!(killed, "no kill landed midway in 5 runs");
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

/// CSV and Parquet tables (one event per row, each session's rows together) stream through
/// `seqrisk score --output` chunk by chunk into the same scores as the JSON lines of the same
/// sessions, into JSON lines or a Parquet table; with `--on-error skip`, a table's bad rows and
/// a session whose rows are not together are rejected naming their first row, and every other
/// session is scored.
#[test]
fn tables_stream_into_the_scores_of_their_json_lines() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::RowAccessor;
    use seqrisk_core::schema::{Schema, read_jsonl, write_csv};

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    one_epoch_nhfm(d, 600, "m");
    let schema = Schema::synthetic_default();
    let text = std::fs::read_to_string(d.join("d.jsonl")).unwrap();
    let sessions = read_jsonl(text.as_bytes(), "d.jsonl", &schema, &Default::default()).unwrap();
    let mut csv = Vec::new();
    write_csv(&sessions, &schema, &mut csv).unwrap();
    std::fs::write(d.join("d.csv"), &csv).unwrap();
    std::fs::write(
        d.join("d.parquet"),
        seqrisk_native::data::parquet_bytes(&sessions, &schema).unwrap(),
    )
    .unwrap();
    let score = |input: &str, output: &str, extra: &[&str]| {
        let mut args = vec![
            "score",
            "--artifact",
            "m/nhfm.seqrisk",
            "--input",
            input,
            "--output",
            output,
            "--chunk",
            "37",
        ];
        args.extend(extra);
        let (ok, _, err) = seqrisk(&args, d);
        assert!(ok, "{input} → {output}: {err}");
        err
    };
    let lines = |path: &str| -> Vec<Value> {
        std::fs::read_to_string(d.join(path))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    score("d.jsonl", "want.jsonl", &[]);
    let want = lines("want.jsonl");
    assert_eq!(want.len(), 600);
    for input in ["d.csv", "d.parquet"] {
        score(input, "got.jsonl", &[]);
        assert_eq!(lines("got.jsonl"), want, "{input}");
    }
    // Parquet out: id, score, raw_score, explanation (JSON text), the same values
    score("d.csv", "got.parquet", &[]);
    let reader =
        SerializedFileReader::new(std::fs::File::open(d.join("got.parquet")).unwrap()).unwrap();
    let names: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    assert_eq!(names, ["id", "score", "raw_score", "explanation"]);
    let rows: Vec<parquet::record::Row> = reader
        .get_row_iter(None)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), want.len());
    for (row, w) in rows.iter().zip(&want) {
        assert_eq!(row.get_string(0).unwrap(), w["id"].as_str().unwrap());
        assert_eq!(row.get_double(1).unwrap(), w["score"].as_f64().unwrap());
        assert_eq!(row.get_double(2).unwrap(), w["raw_score"].as_f64().unwrap());
        let explanation: Value = serde_json::from_str(row.get_string(3).unwrap()).unwrap();
        assert_eq!(explanation, w["explanation"]);
    }
    assert!(!d.join("got.parquet.partial").exists());
    // a bad amount in the second session's first row, and the first session's rows again at
    // the end: both rejected naming their first row, the other 599 scored in order
    let table = String::from_utf8(csv).unwrap();
    let mut rows: Vec<String> = table.lines().map(String::from).collect();
    let header: Vec<&str> = rows[0].split(',').collect();
    let (id_col, amount) = (
        header.iter().position(|h| *h == "id").unwrap(),
        header.iter().position(|h| *h == "amount").unwrap(),
    );
    let second = 2 + sessions[0].events.len();
    let mut cells: Vec<String> = rows[second - 1].split(',').map(String::from).collect();
    assert_eq!(cells[id_col], sessions[1].id);
    cells[amount] = "lots".into();
    rows[second - 1] = cells.join(",");
    let first_again = rows.len() + 1;
    rows.push(rows[1].clone());
    std::fs::write(d.join("bad.csv"), rows.join("\n") + "\n").unwrap();
    let err = score("bad.csv", "skipped.jsonl", &["--on-error", "skip"]);
    assert!(err.contains("2 rejected"), "{err}");
    let scored = lines("skipped.jsonl");
    let kept: Vec<&Value> = want.iter().filter(|w| w["id"] != sessions[1].id).collect();
    assert_eq!(scored.iter().collect::<Vec<_>>(), kept);
    let rejects = lines("skipped.jsonl.rejects.jsonl");
    assert_eq!(rejects.len(), 2, "{rejects:?}");
    assert_eq!(rejects[0]["line"], second);
    assert!(
        rejects[0]["reason"].as_str().unwrap().contains("amount"),
        "{}",
        rejects[0]
    );
    assert_eq!(rejects[1]["line"], first_again);
    assert!(
        rejects[1]["reason"]
            .as_str()
            .unwrap()
            .contains("appeared earlier"),
        "{}",
        rejects[1]
    );
}
