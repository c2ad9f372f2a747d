#!/usr/bin/env bash
# Every test of seqrisk: formatting, lints, native unit and integration tests, the wasm scorer's
# tests under Node (wasm-bindgen-test), and the JS package in Node, headless Chromium (WebGPU on
# SwiftShader, CPU fallback, Web Worker, capture helper), workerd (edge worker) and tsc, each
# compared with native scores.
set -euo pipefail
cd "$(dirname "$0")/.."
export TMPDIR="${TMPDIR:-$PWD/target/tmp}"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
mkdir -p "$TMPDIR"
log="$TMPDIR/test-output.log"
: > "$log"
scripts/setup.sh
echo "== cargo fmt --check"
cargo fmt --all --check
echo "== prettier --check: the JS package, the web demo and the test drivers (.prettierrc.json)"
tests/js/node_modules/.bin/prettier --check $(git ls-files '*.js' '*.mjs' '*.ts' | grep -v '^wasm/pkg/')
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo deny: licences, bans, sources"
cargo deny check licenses bans sources
echo "== cargo deny: advisories (the RustSec database snapshot in tests/data)"
scripts/deny-advisories.sh
echo "== wasm build"
scripts/build-wasm.sh
echo "== the panic-probe build (tests only: one session id panics, to test the panic hook)"
cargo build -p seqrisk-wasm --target wasm32-unknown-unknown --profile wasm --features panic-probe
wasm-bindgen --target web --out-dir target/panic-probe target/wasm32-unknown-unknown/wasm/seqrisk_wasm.wasm
echo "== wasm tests under Node"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p seqrisk-wasm --target wasm32-unknown-unknown --profile wasm 2>&1 | tee -a "$log"
echo "== native tests, and the JS package in Node, Chromium, workerd and tsc against native"
# the JS-runtime tests are #[ignore]d so a plain `cargo test` passes with only Rust installed;
# here, with the package built and the runtimes installed, they run with the rest
cargo test --workspace --exclude seqrisk-wasm --exclude seqrisk-python -- --include-ignored 2>&1 | tee -a "$log"
echo "== the Python package (maturin wheel in a fresh virtual environment, pytest) against the CLI"
scripts/test-python.sh 2>&1 | tee -a "$log"
# one closing line over every test binary above and pytest's summary
awk '/^test result:|^[0-9]+ (passed|failed)|^=+ [0-9]+ (passed|failed)/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "seqrisk: %d passed, %d failed\n", p, f; exit (p == 0 || f > 0) }' "$log"
