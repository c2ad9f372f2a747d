#!/usr/bin/env bash
# Benchmarks of the JS package next to native, into seqrisk-out/bench/wasm.json:
# bundle sizes (raw, gzip) per build; single-session latency p50/p99 and batched throughput on
# the CPU build in Node and headless Chromium and natively (Flex, release build) on the same
# 50-event sessions; the WebGPU build in Chromium. Uses the default job's artifact
# (seqrisk-out/nhfm.seqrisk; the default job runs first if it is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
out=seqrisk-out/bench
mkdir -p "$out"
scripts/setup.sh
[ -f wasm/pkg/cpu/seqrisk_wasm_bg.wasm ] || scripts/build-wasm.sh
cargo build --release -p native -p seqrisk-bench
seqrisk=target/release/seqrisk
[ -f seqrisk-out/nhfm.seqrisk ] || "$seqrisk" demo
"$seqrisk" gen --sessions 2000 --seed 11 --out "$out/gen.jsonl"
node tests/js/bench.mjs prepare "$out/gen.jsonl" "$out/sessions-50.jsonl" 50
target/release/seqrisk-bench latency --artifact seqrisk-out/nhfm.seqrisk --input "$out/sessions-50.jsonl" --output "$out/native.json"
node tests/js/bench.mjs run seqrisk-out/nhfm.seqrisk "$out/sessions-50.jsonl" "$out/native.json" "$out/wasm.json"
echo "wrote $out/wasm.json"
