#!/usr/bin/env bash
# Issue 19's benchmark: the replay harness (scripts/replay-history.sh) on
#   1. scripts/make-replay-repo.sh's history (every kind of change git can mail),
#   2. this project's own history,
#   3. with KERNEL=/path/to/linux.git (and RANGE, LIMIT), real kernel history; for instance
#      KERNEL=…/linux-2.6.39.3 RANGE=25985edcede~300..25985edcede (the tree-wide "Fix common
#      misspellings" commit and the 300 before it).
# Each prints "N commits, M exact, K mismatches, E errors" and the time of spw-review against
# `git apply --cached` doing the same work.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -x .build/release/spw-review ] || swift build -c release --static-swift-stdlib --product spw-review >/dev/null
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
scripts/make-replay-repo.sh "$WORK/replay" >/dev/null
echo "== the replay repository (scripts/make-replay-repo.sh)"
scripts/replay-history.sh "$WORK/replay"
echo "== this project's history"
scripts/replay-history.sh .
if [ -n "${KERNEL:-}" ]; then
  echo "== $KERNEL ${RANGE:-HEAD}${LIMIT:+ (first $LIMIT)}"
  scripts/replay-history.sh "$KERNEL" "${RANGE:-HEAD}"
fi
