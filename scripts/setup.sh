#!/usr/bin/env bash
# Install what the tests need beyond cargo: rustfmt/clippy, the wasm32 target, wasm-bindgen-cli
# (the exact version of the wasm-bindgen crate in Cargo.lock), cargo-deny, Node.js, Java 17
# and Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
WASM_BINDGEN_VERSION=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
rustup component add rustfmt clippy >/dev/null
rustup target add wasm32-unknown-unknown >/dev/null
# The two tools below are built from source on a fresh machine. Built for a quick build rather
# than speed (no LTO, opt-level 1, many codegen units): cargo-deny's own release profile (fat
# LTO, one codegen unit) took 151 s on 2 cores, this 83 s, and it then checks the workspace in
# 1.8 s instead of 1.2 s; wasm-bindgen-cli builds in 99 s and writes the same bytes (0.46 s
# instead of 0.40 s on the CPU build).
quick_install() {
  CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 cargo install "$@"
}
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WASM_BINDGEN_VERSION"; then
  echo "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a minute or two, once)"
  quick_install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
CARGO_DENY_VERSION=0.20.2
if ! cargo deny --version 2>/dev/null | grep -qx "cargo-deny $CARGO_DENY_VERSION"; then
  echo "installing cargo-deny $CARGO_DENY_VERSION (a minute or two, once)"
  quick_install cargo-deny --locked --version "$CARGO_DENY_VERSION"
fi
if ! command -v node >/dev/null; then
  if command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs
  else
    echo "Node.js is required for the wasm tests; install it and re-run" >&2
    exit 1
  fi
fi
# Java 17 for the Spark tests of the Python package (PySpark in local mode; Debian's JRE)
if ! command -v java >/dev/null; then
  if command -v apt-get >/dev/null; then
    echo "installing openjdk-17-jre-headless (Debian package)"
    apt-get update -qq && apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
  else
    echo "Java 17 is required for the Spark tests; install it and re-run" >&2
    exit 1
  fi
fi
# headless Chromium for the browser tests (Debian's; test tools' own browser downloads fail)
if ! command -v chromium >/dev/null; then
  if command -v apt-get >/dev/null; then
    echo "installing chromium (Debian package)"
    apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "Chromium is required for the browser tests; install it and re-run" >&2
    exit 1
  fi
fi
# the JS test drivers' packages: playwright-core, workerd, typescript and the bundlers the
# package is tested under (Vite, webpack, esbuild), pinned exactly in tests/js/package.json
# (Vite's and webpack's own dependencies follow their ranges).
# No lock file: npm 11 writes one that omits other platforms' optional binaries, and `npm ci`
# then refuses it.
if ! cmp -s tests/js/package.json tests/js/node_modules/.seqrisk-installed 2>/dev/null; then
  (cd tests/js && npm install --no-audit --no-fund --loglevel=error && cp package.json node_modules/.seqrisk-installed)
fi
