#!/usr/bin/env bash
# Serving under load (issue 31): the edge worker in workerd and the Node scoring service, each
# on loopback, at concurrency 1, 8 and 64 (100,000 requests each), then an artifact swap while
# 64 clients are sending (20,000 requests). Trains the default NHFM (served first) and the GBDT
# (swapped in) on 20,000 synthetic sessions, scores 1,000 other sessions natively to check
# every answer against, and runs tests/js/load.mjs, which writes the figures as JSON.
#
#   scripts/bench-serve.sh [OUT.json]        default: docs/benchmarks/serving-load.json
#   REQUESTS=100000 SWAP_REQUESTS=20000 CONCURRENCY=1,8,64 MAX_SECONDS=900   (the defaults)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/benchmarks/serving-load.json}"
work=target/bench-serve
fixture="$work/fixture"
mkdir -p "$fixture"
scripts/setup.sh
cargo build --release -p native
scripts/build-wasm.sh
bin=target/release/seqrisk
if [ ! -f "$work/model/nhfm.seqrisk" ]; then
  "$bin" gen --sessions 20000 --seed 1 -o "$work/train.jsonl" >/dev/null
  "$bin" train --data "$work/train.jsonl" --schema "$work/schema.toml" --quiet -o "$work/model" >/dev/null
  "$bin" train --data "$work/train.jsonl" --schema "$work/schema.toml" --model gbdt --quiet -o "$work/model" >/dev/null
fi
cp "$work/model/nhfm.seqrisk" "$fixture/model.seqrisk"
cp "$work/model/gbdt.seqrisk" "$fixture/swap.seqrisk"
"$bin" gen --sessions 1000 --seed 3 -o "$work/sessions.jsonl" >/dev/null
"$bin" score --artifact "$fixture/model.seqrisk" --input "$work/sessions.jsonl" -o "$work/model.jsonl"
"$bin" score --artifact "$fixture/swap.seqrisk" --input "$work/sessions.jsonl" -o "$work/swap.jsonl"
node -e '
const fs = require("fs");
const [dir, work] = process.argv.slice(1);
const lines = (f) => fs.readFileSync(f, "utf8").split("\n").filter(Boolean).map(JSON.parse);
fs.writeFileSync(`${dir}/sessions.json`, JSON.stringify(lines(`${work}/sessions.jsonl`)));
const scores = (f) => lines(f).map((s) => s.score);
fs.writeFileSync(`${dir}/expected.json`, JSON.stringify({ model: scores(`${work}/model.jsonl`), swap: scores(`${work}/swap.jsonl`) }));
' "$fixture" "$work"
node tests/js/load.mjs "$fixture" "$work/load.json" \
  --requests "${REQUESTS:-100000}" --swap-requests "${SWAP_REQUESTS:-20000}" \
  --concurrency "${CONCURRENCY:-1,8,64}" --max-seconds "${MAX_SECONDS:-900}"
node -e '
const fs = require("fs");
const [from, to, commit, cores] = process.argv.slice(1);
const r = JSON.parse(fs.readFileSync(from, "utf8"));
const workerd = JSON.parse(fs.readFileSync("tests/js/node_modules/workerd/package.json", "utf8")).version;
fs.writeFileSync(to, JSON.stringify({ benchmark: `load test on loopback, ${cores} cores (client and server share them), release wasm CPU build; NHFM served, GBDT swapped in`, commit, workerd, ...r }, null, 2) + "\n");
' "$work/load.json" "$out" "$(git rev-parse --short HEAD)" "$(nproc)"
echo "wrote $out"
