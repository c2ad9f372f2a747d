//! The package's TypeScript declarations: an example using every public type checks clean with
//! `tsc --noEmit`, and misuse of the API fails to compile (one error per misuse), so the types
//! cannot silently degrade to `any`.

use std::path::PathBuf;
use std::process::{Command, Output};

fn tsc(config: &str) -> Output {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let pkg = root.join("wasm/pkg/index.d.ts");
    assert!(
        pkg.exists(),
        "build the package first: scripts/build-wasm.sh"
    );
    let tsc = root.join("tests/js/node_modules/typescript/bin/tsc");
    assert!(
        tsc.exists(),
        "run `npm install` in tests/js (scripts/setup.sh does)"
    );
    Command::new("node")
        .arg(tsc)
        .arg("-p")
        .arg(root.join("wasm/examples/typescript").join(config))
        .output()
        .expect("node runs")
}

#[test]
#[ignore = "needs Node.js and tsc (tests/js): scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn typescript_example_type_checks_against_the_package() {
    let out = tsc("tsconfig.json");
    assert!(
        out.status.success(),
        "tsc --noEmit failed:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
#[ignore = "needs Node.js and tsc (tests/js): scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn typescript_rejects_misuse_of_the_api() {
    let out = tsc("tsconfig.misuse.json");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "misuse.ts compiled");
    let errors: Vec<&str> = text.lines().filter(|l| l.contains("error TS")).collect();
    assert_eq!(errors.len(), 5, "one error per misuse:\n{text}");
}
