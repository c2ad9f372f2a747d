#!/usr/bin/env bash
# cargo deny's advisories check, outside CI: CI reaches the package registries only, and the
# RustSec database is a GitHub repository. With network access this fetches it; offline, put a
# clone of https://github.com/rustsec/advisory-db at
#   ~/.cargo/advisory-dbs/advisory-db-3157b0e258782691
# and run with --offline. Accepted advisories and why: deny.toml, [advisories].
set -euo pipefail
cd "$(dirname "$0")/.."
cargo deny "$@" check advisories
