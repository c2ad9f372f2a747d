#!/usr/bin/env bash
# cargo deny's advisories check against the RustSec database.
#
#   scripts/deny-advisories.sh                  the snapshot in tests/data (what CI runs: CI
#                                               reaches the package registries only, and the
#                                               database is a GitHub repository)
#   scripts/deny-advisories.sh --fetch          the live database, fetched from GitHub
#   scripts/deny-advisories.sh --refresh DIR    replace the snapshot with DIR, a clone of
#                                               https://github.com/rustsec/advisory-db
#
# The snapshot (tests/data/rustsec-advisory-db.tar.gz, CC0-1.0 like the database) holds the
# advisories at one commit, named with its date in SNAPSHOT; cargo-deny reads it as a git
# repository, so it is unpacked into target/advisory-db/ and committed there with that date.
# Accepted advisories and why: deny.toml, [advisories].
set -euo pipefail
cd "$(dirname "$0")/.."
snapshot=tests/data/rustsec-advisory-db.tar.gz
# where cargo-deny looks for the database of deny.toml's db-urls (its directory name is a hash
# of the URL)
db=target/advisory-db/advisory-db-3157b0e258782691

case "${1:-}" in
  --fetch)
    exec cargo deny check advisories ;;
  --refresh)
    src="${2:?usage: scripts/deny-advisories.sh --refresh <advisory-db clone>}"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    git -C "$src" archive --format=tar HEAD | tar -x -C "$tmp"
    git -C "$src" log -1 --format='%H%n%cI' > "$tmp/SNAPSHOT"
    when="$(sed -n 2p "$tmp/SNAPSHOT")"
    tar -C "$tmp" --sort=name --owner=0 --group=0 --numeric-owner --mtime="$when" -cf - . \
      | gzip -9n > "$snapshot"
    echo "$snapshot: advisory-db $(head -1 "$tmp/SNAPSHOT") of $when"
    exit 0 ;;
  "") ;;
  *) echo "usage: scripts/deny-advisories.sh [--fetch | --refresh DIR]" >&2; exit 2 ;;
esac

want="$(tar -xzOf "$snapshot" ./SNAPSHOT)"
if [ "$(cat "$db/SNAPSHOT" 2>/dev/null)" != "$want" ]; then
  rm -rf "$db"
  mkdir -p "$db"
  tar -xzf "$snapshot" -C "$db"
  when="$(sed -n 2p "$db/SNAPSHOT")"
  git -C "$db" init -q
  git -C "$db" add -A
  GIT_AUTHOR_DATE="$when" GIT_COMMITTER_DATE="$when" \
    git -C "$db" -c user.name=seqrisk -c user.email=seqrisk@localhost commit -qm "advisory-db $(head -1 "$db/SNAPSHOT")"
fi
echo "RustSec advisory database: snapshot of $(sed -n 2p "$db/SNAPSHOT") (commit $(head -1 "$db/SNAPSHOT" | cut -c1-12))"
cargo deny --offline check advisories
