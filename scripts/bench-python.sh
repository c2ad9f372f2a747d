#!/usr/bin/env bash
# The Python package's benchmarks (issue 28; never run by CI): HDBSCAN at 10k/100k × 80 beside
# scikit-learn and fast_hdbscan (their current releases, pinned below), scoring throughput from
# Python beside the CLI, Spark local mode on one and two cores. Builds the release wheel and CLI,
# installs them with the references into seqrisk-out/venv-bench-python, and writes
# docs/benchmarks/python.{json,md} (bench/python/bench.py).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=seqrisk-out/venv-bench-python
cargo build --release -p native
rm -rf target/wheels-release
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
# fast_hdbscan builds an NN-descent graph (pynndescent) above 30 dimensions
"$venv/bin/pip" install --quiet --disable-pip-version-check maturin==1.16.0 numpy==2.0.2 \
  pandas==2.3.3 pyarrow==22.0.0 pyspark==4.3.0 scikit-learn==1.9.1 \
  "fast_hdbscan[nndescent]==0.3.4" pynndescent==0.7.0
"$venv/bin/maturin" build --quiet --release --strip -m python/Cargo.toml -o target/wheels-release
"$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps target/wheels-release/seqrisk-*.whl
export PYSPARK_PYTHON="$PWD/$venv/bin/python"
export JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
"$venv/bin/python" bench/python/bench.py all docs/benchmarks "$PWD/target/release/seqrisk"
