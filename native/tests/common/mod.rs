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
