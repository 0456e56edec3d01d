#!/usr/bin/env bash
# Issue 19's replay harness: every non-merge commit of RANGE, mailed as `git format-patch --binary`
# writes it (with `-C -C`, so that copies are mailed as copies), applied in memory to its parent
# by spw-review; the oracle is the commit's own tree.
# The same work is timed with `git apply --cached` (into a scratch index) for comparison.
#
#   scripts/replay-history.sh REPO [RANGE]      # RANGE defaults to every commit of HEAD
#   SPW_REVIEW=/path/to/spw-review scripts/replay-history.sh REPO
#   LIMIT=500 scripts/replay-history.sh REPO v2.6.38..v2.6.39   # the first 500 commits of the range
#
# Prints one line per commit that is not exact, then
#   N commits, M exact, K mismatches, E errors
#   spw-review S s, git apply --cached G s
# and exits 1 unless every commit is exact.
set -euo pipefail
REPO=$(cd "$1" && pwd)
RANGE=${2:-HEAD}
HERE=$(cd "$(dirname "$0")/.." && pwd)
BIN=${SPW_REVIEW:-$HERE/.build/release/spw-review}
[ -x "$BIN" ] || BIN=$HERE/.build/debug/spw-review
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
now() { date +%s.%N; }

n=0; exact=0; mismatches=0; errors=0; roots=0; ours=0; theirs=0
add() { awk -v a="$1" -v b="$2" -v c="$3" 'BEGIN { printf "%.6f", a + c - b }'; }
for commit in $(git -C "$REPO" rev-list --reverse --no-merges "$RANGE" | head -n "${LIMIT:-1000000000}"); do
  want=$(git -C "$REPO" rev-parse "$commit^{tree}")
  if parent=$(git -C "$REPO" rev-parse -q --verify "$commit^" 2>/dev/null); then
    base=(--base "$parent")
  else
    # A root commit has no parent to apply to (git am would start an empty repository).
    roots=$((roots + 1)); continue
  fi
  n=$((n + 1))
  git -C "$REPO" format-patch --binary -C -C -1 --stdout "$commit" > "$WORK/mail"
  s=$(now)
  got=$("$BIN" apply "$WORK/mail" --tree "$REPO" "${base[@]}" --print-tree 2>"$WORK/err") || true
  e=$(now); ours=$(add "$ours" "$s" "$e")
  # The anchor: git apply --cached on a scratch index of the parent.
  s=$(now)
  GIT_INDEX_FILE="$WORK/index" git -C "$REPO" read-tree "$parent"
  GIT_INDEX_FILE="$WORK/index" git -C "$REPO" apply --cached --binary "$WORK/mail" 2>/dev/null || true
  theirs_tree=$(GIT_INDEX_FILE="$WORK/index" git -C "$REPO" write-tree)
  e=$(now); theirs=$(add "$theirs" "$s" "$e")
  if [ -z "$got" ]; then
    errors=$((errors + 1)); echo "error: $commit $(head -c 300 "$WORK/err" | tr '\n' ' ')"
  elif [ "$got" = "$want" ]; then
    exact=$((exact + 1))
  else
    mismatches=$((mismatches + 1))
    echo "mismatch: $commit (spw-review $got, commit $want, git apply --cached $theirs_tree)"
  fi
done
echo "$n commits, $exact exact, $mismatches mismatches, $errors errors$([ "$roots" = 0 ] || echo " ($roots root commit(s) not replayed)")"
printf 'spw-review %.2f s, git apply --cached %.2f s\n' "$ours" "$theirs"
[ "$exact" = "$n" ]
