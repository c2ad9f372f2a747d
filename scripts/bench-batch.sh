#!/usr/bin/env bash
# Batch scoring throughput and peak memory (issue 31): `seqrisk score --output` streams a
# JSON-lines file in chunks, so its peak memory must not grow with the input. Trains the
# default NHFM on 20,000 synthetic sessions, generates inputs of each size, scores each with
# the release build alone and records wall time and peak resident memory (GNU time), as JSON.
#
#   scripts/bench-batch.sh [OUT.json]        default: docs/benchmarks/batch-scoring.json
#   SIZES="100000 1000000" CHUNK=4096        (the defaults)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/benchmarks/batch-scoring.json}"
sizes="${SIZES:-100000 1000000}"
chunk="${CHUNK:-4096}"
work=target/bench-batch
mkdir -p "$work"
cargo build --release -p native
bin=target/release/seqrisk
if [ ! -f "$work/model/nhfm.seqrisk" ]; then
  "$bin" gen --sessions 20000 --seed 1 -o "$work/train.jsonl" >/dev/null
  "$bin" train --data "$work/train.jsonl" --schema "$work/schema.toml" --quiet -o "$work/model" >/dev/null
fi
rows=()
for n in $sizes; do
  data="$work/in-$n.jsonl"
  [ -f "$data" ] || "$bin" gen --sessions "$n" --seed 2 -o "$data" >/dev/null
  rm -f "$work/out-$n.jsonl"
  /usr/bin/time -v -o "$work/time-$n.txt" "$bin" score --artifact "$work/model/nhfm.seqrisk" \
    --input "$data" --output "$work/out-$n.jsonl" --chunk "$chunk" 2>"$work/score-$n.log"
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time-$n.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time-$n.txt")
  lines=$(wc -l < "$work/out-$n.jsonl")
  bytes=$(stat -c %s "$data")
  secs=$(python3 -c "import sys; p=sys.argv[1].split(':'); print(sum(float(x)*60**i for i,x in enumerate(reversed(p))))" "$wall")
  rows+=("{\"sessions\": $n, \"scored\": $lines, \"input_bytes\": $bytes, \"chunk\": $chunk, \"wall_seconds\": $secs, \"sessions_per_second\": $(python3 -c "print(round($lines/$secs))"), \"peak_rss_mib\": $(python3 -c "print(round($rss/1024, 1))")}")
  echo "${rows[-1]}"
done
{
  echo "{"
  echo "  \"benchmark\": \"seqrisk score --output (streamed JSON lines), default NHFM, release build, $(nproc) cores\","
  echo "  \"commit\": \"$(git rev-parse --short HEAD)\","
  echo "  \"runs\": ["
  (IFS=$'\n'; echo "${rows[*]}" | sed 's/^/    /; $!s/$/,/')
  echo "  ]"
  echo "}"
} > "$out"
echo "wrote $out"
