#!/usr/bin/env bash
# The GBDT baseline's time and peak memory as the vocabulary grows (issue 27: at most 1 GB and
# 2 minutes for 100,000 sessions with a 10,000-value field on 2 cores). Generates the
# transactions scenario (10,000 terminals) at each size, trains `gbdt` split by time, and writes
# docs/benchmarks/gbdt-scaling.json: wall seconds and peak resident memory (GNU time) of the
# whole `seqrisk train` process, reading the data file included, with the test AUC.
#   scripts/bench-gbdt.sh [SIZES]      default SIZES: 30000,100000
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="${1:-30000,100000}"
cargo build --release -p native
seqrisk=target/release/seqrisk
work=seqrisk-out/bench/gbdt
mkdir -p "$work"
rows=()
for n in ${sizes//,/ }; do
  data="$work/transactions-$n.jsonl"
  "$seqrisk" gen --scenario transactions --sessions "$n" --out "$data"
  /usr/bin/time -f '%e %M' -o "$work/time-$n.txt" \
    "$seqrisk" train --data "$data" --schema "$work/transactions-$n.schema.toml" --model gbdt \
    --split time --quiet -o "$work/out-$n" > "$work/train-$n.log"
  read -r seconds kib < "$work/time-$n.txt"
  auc=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['test']['auc'])" "$work/out-$n/gbdt-metrics.json")
  sessions=$(wc -l < "$data")
  terminals=$(python3 -c "
import json,sys
t=set()
for line in open(sys.argv[1]):
    for e in json.loads(line)['events']: t.add(e['terminal'])
print(len(t))" "$data")
  rows+=("{\"sessions\": $sessions, \"terminal_values\": $terminals, \"wall_s\": $seconds, \"peak_rss_mib\": $((kib / 1024)), \"test_auc\": $auc}")
done
mkdir -p docs/benchmarks
{
  echo "{"
  echo "  \"what\": \"seqrisk train --model gbdt --split time on the transactions scenario; whole process, GNU time\","
  echo "  \"cores\": $(nproc),"
  echo "  \"seqrisk\": \"$(git rev-parse --short HEAD)\","
  echo "  \"runs\": ["
  printf '    %s' "${rows[0]}"
  for r in "${rows[@]:1}"; do printf ',\n    %s' "$r"; done
  printf '\n  ]\n}\n'
} > docs/benchmarks/gbdt-scaling.json
cat docs/benchmarks/gbdt-scaling.json
