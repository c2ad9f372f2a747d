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

/// `seqrisk gen` `sessions` synthetic sessions into `cwd/d.jsonl`, then NHFM trained on them for
/// one epoch into `cwd/<out>/`: the artifact's bytes.
pub fn one_epoch_nhfm(cwd: &Path, sessions: usize, out: &str) -> Vec<u8> {
    let n = sessions.to_string();
    let (ok, _, err) = seqrisk(&["gen", "--sessions", &n, "-o", "d.jsonl"], cwd);
    assert!(ok, "{err}");
    let (ok, _, err) = seqrisk(
        &[
            "train", "--data", "d.jsonl", "--epochs", "1", "--out", out, "--quiet",
        ],
        cwd,
    );
    assert!(ok, "{err}");
    std::fs::read(cwd.join(out).join("nhfm.seqrisk")).unwrap()
}
