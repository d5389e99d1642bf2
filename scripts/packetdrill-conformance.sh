#!/usr/bin/env bash
# Runs every upstream packetdrill script in ../shared/packetdrill (Google's scripts, GPL data
# kept out of this repository) against netlab and prints the table: script, PASS / FAIL /
# UNSUPPORTED, and the reason. The three runner self-tests must fail; they show as
# "FAIL (expected)" when they fail at their `// Failure:` line.
# tests/packetdrill.rs asserts the same table, so a change in it fails `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-../shared/packetdrill/gtests/net}"
if [ ! -d "$dir" ]; then
  echo "error: $dir not found (the shared packetdrill scripts go beside the clone)" >&2
  exit 2
fi
cargo run --quiet -- packetdrill --table "$dir" | sed "s|$dir/||" || true
