#!/usr/bin/env bash
# Long fuzz runs (libFuzzer through cargo-fuzz) of the parsers and loaders that meet untrusted
# input, outside CI (CI runs the same code paths as property tests, tests/tests/cross/properties.rs):
#
#   scripts/fuzz.sh [RUNS] [TARGET ...]     default: 1000000 runs of every target
#
# Targets (fuzz/fuzz_targets/): session_json, jsonl, csv, parquet, schema_toml, artifact. Seeds
# come from the synthetic generator and one-epoch NHFM, logistic-regression and GBDT artifacts
# (written to fuzz/corpus/, not committed);
# libFuzzer grows the corpus from there. A target that panics, aborts, leaks past -rss_limit_mb
# or hangs past -timeout stops with the crashing input in fuzz/artifacts/<target>/. Each run's
# log is fuzz/logs/<target>.log; the closing lines (runs, seconds, coverage, corpus) are summed
# up in fuzz/logs/summary.txt.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). Its coverage instrumentation uses
# rustc flags of the nightly channel; on the pinned stable toolchain this sets RUSTC_BOOTSTRAP=1
# for the fuzz build only, as the release notes of cargo-fuzz describe for stable toolchains.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-1000000}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(session_json jsonl csv parquet schema_toml artifact)
export RUSTC_BOOTSTRAP=1

corpus=fuzz/corpus
mkdir -p "$corpus" fuzz/logs
if [ ! -s "$corpus/.seeded" ]; then
  echo "== seeds: synthetic sessions and a one-epoch NHFM"
  seeds="$(mktemp -d)"
  trap 'rm -rf "$seeds"' EXIT
  cargo build --release -p native
  seqrisk=target/release/seqrisk
  "$seqrisk" gen --sessions 400 -o "$seeds/d.jsonl" >/dev/null
  "$seqrisk" gen --sessions 6 -o "$seeds/few.csv" >/dev/null
  "$seqrisk" gen --sessions 6 -o "$seeds/few.parquet" >/dev/null
  for model in nhfm lr gbdt; do
    "$seqrisk" train --data "$seeds/d.jsonl" --model "$model" --epochs 1 --quiet --out "$seeds/m" >/dev/null
  done
  for t in session_json jsonl csv parquet schema_toml artifact; do mkdir -p "$corpus/$t"; done
  head -n 20 "$seeds/d.jsonl" | split -l 1 - "$corpus/session_json/line-"
  head -n 5 "$seeds/d.jsonl" > "$corpus/jsonl/five.jsonl"
  cp "$seeds/few.csv" "$corpus/csv/"
  cp "$seeds/few.parquet" "$corpus/parquet/"
  cp core/src/schema/*.toml "$corpus/schema_toml/"
  cp "$seeds/m/"{nhfm,lr,gbdt}.seqrisk "$corpus/artifact/"
  date -u +%FT%TZ > "$corpus/.seeded"
fi

: > fuzz/logs/summary.txt
for t in "${targets[@]}"; do
  # inputs as large as the largest seed (the artifact is ~100s of KB)
  max_len=$(( $(find "$corpus/$t" -type f -printf '%s\n' | sort -n | tail -1) * 2 ))
  [ "$max_len" -lt 4096 ] && max_len=4096
  echo "== $t: $runs runs (max_len $max_len)"
  start=$(date +%s)
  cargo fuzz run --sanitizer none --release --debug-assertions --codegen-units 16 "$t" "$corpus/$t" -- \
    -runs="$runs" -max_len="$max_len" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
    > "fuzz/logs/$t.log" 2>&1 || { tail -40 "fuzz/logs/$t.log"; echo "$t: FAILED (fuzz/logs/$t.log)"; exit 1; }
  secs=$(( $(date +%s) - start ))
  done_runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "fuzz/logs/$t.log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "fuzz/logs/$t.log" | tail -1 || true)
  line="$t: $done_runs runs in ${secs} s, $cov, corpus $(find "$corpus/$t" -type f | wc -l) inputs, no crash"
  echo "$line" | tee -a fuzz/logs/summary.txt
done
