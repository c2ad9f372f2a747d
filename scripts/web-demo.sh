#!/usr/bin/env bash
# Build the web demo into static files and serve them:
#   scripts/web-demo.sh                      build web-demo/dist/ and serve it on http://127.0.0.1:8080/
#   scripts/web-demo.sh --build-only         only build (copy web-demo/dist/ to any static host)
#   options: --models DIR (default web-demo/models), --dist DIR (default web-demo/dist),
#            --retrain (train the models again), --port N
# The models come from `cargo run --release -p native -- web-demo` (NHFM, DIFM and the cluster
# model on the synthetic fraud data, HUIHEN on the credit scenario, LBSF on the payments
# scenario, with replays of each scenario), run when DIR has none; the JS package
# from scripts/build-wasm.sh, run when wasm/pkg/ is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
models=web-demo/models
dist=web-demo/dist
serve=1
retrain=0
port=8080
while [ $# -gt 0 ]; do
  case "$1" in
    --build-only) serve=0 ;;
    --retrain) retrain=1 ;;
    --models) models="$2"; shift ;;
    --dist) dist="$2"; shift ;;
    --port) port="$2"; shift ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
  shift
done
[ -f wasm/pkg/package.json ] || scripts/build-wasm.sh
if [ "$retrain" = 1 ] || [ ! -f "$models/index.json" ]; then
  cargo run --release -p native -- web-demo --out "$models"
fi
rm -rf "$dist"
mkdir -p "$dist/vendor"
cp web-demo/index.html web-demo/app.js web-demo/charts.js web-demo/style.css "$dist/"
cp -r wasm/pkg "$dist/vendor/seqrisk"
mkdir -p "$dist/models"
cp "$models"/index.json "$models"/replays.json "$models"/*.seqrisk "$dist/models/"
echo "web demo built in $dist ($(du -sh "$dist" | cut -f1))"
if [ "$serve" = 1 ]; then
  exec node web-demo/serve.mjs "$dist" "$port"
fi
