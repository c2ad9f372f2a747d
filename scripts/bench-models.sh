#!/usr/bin/env bash
# Training and inference speed of NHFM and DIFM, seqrisk next to PyTorch CPU eager on the same
# sessions and weights (never run by CI): sets up a Python virtual environment with PyTorch and
# safetensors under seqrisk-out/venv-torch, then runs `seqrisk-bench models` with it, which
# first checks that PyTorch's outputs on seqrisk's weights match within 1e-4. Writes
# seqrisk-out/bench/models.{md,json}. Extra arguments go to the benchmark (e.g. --batches 1,64).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=seqrisk-out/venv-torch
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "torch==2.*" "safetensors==0.*" numpy
fi
cargo build --release -p native -p seqrisk-bench
target/release/seqrisk-bench models --python "$venv/bin/python" "$@"
