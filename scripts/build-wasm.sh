#!/usr/bin/env bash
# Build the wasm scorer and its JavaScript bindings:
#   target/wasm-pkg/node  CommonJS package for Node (tests, server-side JS)
#   target/wasm-pkg/web   ES module for browsers and Web Workers
# Needs the wasm32 target and wasm-bindgen-cli of the pinned version (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -p seqrisk-wasm --target wasm32-unknown-unknown --release
wasm=target/wasm32-unknown-unknown/release/seqrisk_wasm.wasm
wasm-bindgen --target nodejs --out-dir target/wasm-pkg/node "$wasm"
wasm-bindgen --target web --out-dir target/wasm-pkg/web "$wasm"
ls -l target/wasm-pkg/node/seqrisk_wasm_bg.wasm
