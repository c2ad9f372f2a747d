#!/usr/bin/env bash
# The quality benchmark of the README (issue: DIFM, baselines and quality): every model over 5
# seeds on the default synthetic data and on MovieLens-100K (fetched by
# scripts/fetch-movielens.sh; split by time), each writing a Markdown table, JSON with every run
# and an overlaid ROC plot to seqrisk-out/bench/quality-<data>.{md,json} and -roc.png.
# Hours on 2 cores; pass model names to run fewer: scripts/bench-quality.sh nhfm,difm,deepfm.
# Resumable: a rerun keeps the models an interrupted run finished (--resume).
# These are the fidelity tables: every model at its paper's settings (--preset paper); pass
# PRESET=realistic to run the defaults instead.
set -euo pipefail
cd "$(dirname "$0")/.."
models="${1:-all}"
preset="${PRESET:-paper}"
cargo build --release -p native -p seqrisk-bench
seqrisk=target/release/seqrisk
out=seqrisk-out/bench
target/release/seqrisk-bench quality --models "$models" --seeds 5 --preset "$preset" --resume --out "$out"
scripts/fetch-movielens.sh seqrisk-out/data/ml-100k
"$seqrisk" movielens --dir seqrisk-out/data/ml-100k --out seqrisk-out/data/ml-100k.jsonl
target/release/seqrisk-bench quality --data seqrisk-out/data/ml-100k.jsonl \
  --schema seqrisk-out/data/ml-100k.schema.toml --split time --name movielens-100k \
  --models "$models" --seeds 5 --preset "$preset" --resume --out "$out"
