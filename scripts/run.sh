#!/usr/bin/env bash
# Sets everything up and runs the main job. Until the simulator lands, the main job is a short
# demonstration of one feed: create, append, read, verify, show its signed state.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
dynfeed=build/release/apps/dynfeed
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== create a feed (prints its public key)"
$dynfeed create "$work/feed"
echo "== append three lines as one signed batch (prints the new length)"
printf 'first block\nsecond block\nthird block\n' | $dynfeed append "$work/feed"
echo "== append a file as one more block"
$dynfeed append "$work/feed" README.md
echo "== get block 1"
$dynfeed get "$work/feed" 1; echo
echo "== verify every block and tree node against the signature"
$dynfeed verify "$work/feed"
echo "== info"
$dynfeed info "$work/feed"
