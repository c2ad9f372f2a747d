//! What the CLI tests share.

use std::path::Path;
use std::process::Command;

/// Run the `seqrisk` binary in `cwd`: whether it succeeded, its stdout and its stderr.
pub fn seqrisk(args: &[&str], cwd: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_seqrisk"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the seqrisk binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// [`seqrisk`], which must succeed (else the test fails with its stderr): stdout and stderr.
pub fn seqrisk_ok(args: &[&str], cwd: &Path) -> (String, String) {
    let (ok, out, err) = seqrisk(args, cwd);
    assert!(ok, "seqrisk {}: {err}", args.join(" "));
    (out, err)
}

/// `seqrisk gen` `sessions` synthetic sessions into `cwd/d.jsonl`, then NHFM trained on them for
/// one epoch into `cwd/<out>/`: the artifact's bytes.
pub fn one_epoch_nhfm(cwd: &Path, sessions: usize, out: &str) -> Vec<u8> {
    let n = sessions.to_string();
    seqrisk_ok(&["gen", "--sessions", &n, "-o", "d.jsonl"], cwd);
    seqrisk_ok(
        &[
            "train", "--data", "d.jsonl", "--epochs", "1", "--out", out, "--quiet",
        ],
        cwd,
    );
    std::fs::read(cwd.join(out).join("nhfm.seqrisk")).unwrap()
}
