#!/usr/bin/env bash
# Build the `seqrisk` JavaScript package into wasm/pkg/ (add it to a project with
# `npm install ./wasm/pkg`, or publish it): the JS sources from wasm/js/ plus two wasm builds,
#   wasm/pkg/cpu/     Flex CPU backend (simd128)             — what Node and edge workers load
#   wasm/pkg/webgpu/  WebGPU backend + the CPU one as fallback — fetched only when WebGPU is used
# Needs the wasm32 target and wasm-bindgen-cli of the pinned version (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=wasm/pkg
wasm=target/wasm32-unknown-unknown/wasm/seqrisk_wasm.wasm
rm -rf "$pkg"
mkdir -p "$pkg"
for build in cpu webgpu; do
  features=()
  [ "$build" = webgpu ] && features=(--features webgpu)
  cargo build -p seqrisk-wasm --target wasm32-unknown-unknown --profile wasm "${features[@]}"
  wasm-bindgen --target web --remove-name-section --remove-producers-section --out-dir "$pkg/$build" "$wasm"
done
cp wasm/js/*.js wasm/js/*.d.ts wasm/js/package.json wasm/js/README.md "$pkg/"
for build in cpu webgpu; do
  f="$pkg/$build/seqrisk_wasm_bg.wasm"
  echo "$f: $(wc -c < "$f") bytes, $(gzip -9c "$f" | wc -c) gzip"
done
