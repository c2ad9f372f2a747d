#!/usr/bin/env bash
# Issue 27's acceptance run on one data set: each model tuned by `seqrisk tune` within a budget
# (random search + successive halving on validation AUC), then its tuned settings over five
# seeds with `seqrisk-bench quality --config`, beside the GBDT on aggregates (under the same
# encodings) and the best single feature, split by time. Tuning is wall-clock bound: run it
# on an otherwise idle machine.
#   scripts/bench-tuned.sh [DATA SCHEMA NAME] [MODELS] [BUDGET]
# default: the transactions scenario (generated), nhfm,difm,lstm4fd, 30m each. Writes
# docs/benchmarks/tune-<name>/ (every trial, the best settings) and
# docs/benchmarks/quality-<name>-<model>-tuned.{md,json} and its ROC plot.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p native -p seqrisk-bench
seqrisk=target/release/seqrisk
work=seqrisk-out/bench/tuned
mkdir -p "$work"
if [ $# -ge 3 ]; then
  data="$1" schema="$2" name="$3"
else
  data="$work/transactions.jsonl" schema="$work/transactions.schema.toml" name=transactions
  [ -f "$data" ] || "$seqrisk" gen --scenario transactions --out "$data"
fi
models="${4:-nhfm,difm,lstm4fd}"
budget="${5:-30m}"
out=docs/benchmarks
mkdir -p "$out/tune-$name"
for m in ${models//,/ }; do
  "$seqrisk" tune --data "$data" --schema "$schema" --model "$m" --split time \
    --budget "$budget" --quiet -o "$out/tune-$name"
  target/release/seqrisk-bench quality --data "$data" --schema "$schema" --split time --seeds 5 \
    --models "$m,gbdt" --config "$out/tune-$name/$m-tuned.toml" --name "$name-$m-tuned" \
    --quiet -o "$out"
done
