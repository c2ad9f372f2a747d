#!/usr/bin/env bash
# Every test of seqrisk: formatting, lints, native unit and integration tests, the wasm scorer's
# tests under Node (wasm-bindgen-test), and the native <-> wasm parity test.
set -euo pipefail
cd "$(dirname "$0")/.."
export TMPDIR="${TMPDIR:-$PWD/target/tmp}"
mkdir -p "$TMPDIR"
scripts/setup.sh
echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== wasm build"
scripts/build-wasm.sh
echo "== wasm tests under Node"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p seqrisk-wasm --target wasm32-unknown-unknown --release
echo "== native tests and parity"
cargo test --workspace
