#!/usr/bin/env bash
# The Python package: build its wheel with maturin (the workspace's dev profile, so it reuses the
# test build's compiled crates), install it into a fresh virtual environment under target/ and
# run its tests against the `seqrisk` CLI (target/debug/seqrisk), Spark's in local mode (PySpark
# from PyPI on Java 17, which scripts/setup.sh installs when missing). scripts/test.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/python-venv
rm -rf "$venv" target/wheels
python3 -m venv "$venv"
# pandas < 3: PySpark 4.3 does not yet fully support pandas 3
"$venv/bin/pip" install --quiet --disable-pip-version-check maturin==1.16.0 pytest==8.4.2 numpy==2.0.2 \
  pandas==2.3.3 pyarrow==22.0.0 pyspark==4.3.0 scikit-learn==1.9.1
# the CLI the tests compare with, and the tool writing the bad-input catalogue's files
cargo build -p native -p seqrisk-tests --example catalogue-inputs
"$venv/bin/maturin" build --quiet --profile dev --strip -m python/Cargo.toml -o target/wheels
"$venv/bin/pip" install --quiet --disable-pip-version-check target/wheels/seqrisk-*.whl
# from python/tests, so `import seqrisk` is the installed wheel, not the source folder
cd python/tests
# Spark's Python workers run the virtual environment's interpreter (not the system's)
export PYSPARK_PYTHON="$PWD/../../$venv/bin/python"
export JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
SEQRISK_BIN="$PWD/../../target/debug/seqrisk" "../../$venv/bin/python" -m pytest -q -p no:cacheprovider --durations=5 .
