#!/usr/bin/env bash
# HDBSCAN at scale, seqrisk next to scikit-learn's HDBSCAN and fast_hdbscan on the same points
# (never run by CI): sets up a Python virtual environment with the references under
# seqrisk-out/venv-cluster, then runs `seqrisk-bench cluster` with it. Extra arguments go to
# the benchmark (e.g. --sizes 10000,100000).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=seqrisk-out/venv-cluster
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "scikit-learn==1.7.*" "fast_hdbscan==0.2.*"
fi
cargo build --release -p native -p seqrisk-bench
target/release/seqrisk-bench cluster --python "$venv/bin/python" "$@"
