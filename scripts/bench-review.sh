#!/usr/bin/env bash
# The main job on a real kernel: `spw-review series.mbox --tree linux-6.1`.
#
#   scripts/bench-review.sh            # release build of spw-review, then the benchmark
#   SPW_REVIEW=/path/to/spw-review scripts/bench-review.sh
#
# 1. Linux 6.1 as a bare git repository (scripts/kernel-repo.sh; shared with bench-apply.sh).
# 2. A two-patch series (no cover letter: git am stops on an empty mail) made with git plumbing and `git format-patch`: patch 1 drops the
#    wait_on_page_writeback() from btrfs' page_mkwrite (a hole the review must report as introduced by
#    patch 1), patch 2 only edits a comment in mm/filemap.c.
# 3. Times, side by side in one run, what a maintainer runs today on the same mails: `git am`
#    into a scratch worktree plus checkpatch.pl on each patch, and spw-review's whole review
#    (parse, base guess, in-memory apply, analysis of fs/ and mm/ at T0, T1 and T2).
#    FAILS unless spw-review reports the btrfs hole as introduced by patch 1. (Until session 6 the
#    series dropped 9p's folio_wait_stable(); 9p's ->writepage starts and ends writeback under the
#    page lock, so that wait is redundant and the review rightly calls its removal a warning only.)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
. "$ROOT/scripts/kernel-repo.sh"  # CACHE, TREE, WORK, REPO, BASE
OUT="$CACHE/bench-review"
RUNS=${RUNS:-3}

# -- the series ----------------------------------------------------------------------------
mkdir -p "$OUT"
SERIES="$OUT/series-btrfs.mbox"
edit() {  # edit PATH SED-EXPRESSION MESSAGE PARENT -> prints the new commit (GIT_INDEX_FILE set)
  local blob
  blob=$(git --git-dir="$REPO" cat-file blob "$4:$1" | sed "$2" | git --git-dir="$REPO" hash-object -w --stdin)
  git --git-dir="$REPO" update-index --cacheinfo "100644,$blob,$1"
  printf '%b\n' "$3" | git --git-dir="$REPO" commit-tree "$(git --git-dir="$REPO" write-tree)" -p "$4"
}
if [ ! -s "$SERIES" ]; then
  export GIT_INDEX_FILE="$OUT/series.index"
  git --git-dir="$REPO" read-tree "$BASE"
  c1=$(edit fs/btrfs/inode.c '/^vm_fault_t btrfs_page_mkwrite/,/^}/{/^\twait_on_page_writeback(page);$/d}' \
    "btrfs: drop the stable-page wait from btrfs_page_mkwrite\n\nThe page is locked; nothing else to wait for.\n\nSigned-off-by: Bench Author <bench@example.org>" "$BASE")
  c2=$(edit mm/filemap.c '0,/^ \* filemap_fault - /s//&(benchmark) /' \
    "mm: reword the filemap_fault comment\n\nSigned-off-by: Bench Author <bench@example.org>" "$c1")
  git --git-dir="$REPO" format-patch -q --stdout --base="$BASE" "$BASE..$c2" > "$SERIES.tmp"
  unset GIT_INDEX_FILE
  rm -f "$OUT/series.index"
  mv "$SERIES.tmp" "$SERIES"
fi
echo "series: $SERIES ($(grep -c '^From [0-9a-f]\{40\} ' "$SERIES") mails)"

# -- our side ------------------------------------------------------------------------------
if [ -z "${SPW_REVIEW:-}" ]; then
  swift build -c release --static-swift-stdlib --product spw-review >/dev/null
  SPW_REVIEW="$ROOT/.build/release/spw-review"
fi
best() { sort -n | head -1; }
# Two series of runs: with --no-cache (nothing kept from earlier runs), then with the prefilter
# cache under ~/.cache/spw-review, which the first of those runs fills.
timed_review() {  # timed_review [FLAGS...]: appends seconds to $times
  local start end status=0
  start=$(date +%s.%N)
  "$SPW_REVIEW" "$SERIES" --tree "$REPO" --format json "$@" > "$OUT/review.json" 2>/dev/null || status=$?
  end=$(date +%s.%N)
  [ "$status" = 1 ] || { echo "FAIL: spw-review exited $status, expected 1 (a hole introduced)"; exit 1; }
  times+=("$(printf '%.2f' "$(echo "$end - $start" | bc)")")
}
times=()
for _ in $(seq "$RUNS"); do timed_review --no-cache; done
cold=("${times[@]}")
times=()
timed_review  # fills the prefilter cache
times=()
for _ in $(seq "$RUNS"); do timed_review; done
ours=("${times[@]}")
python3 - "$OUT/review.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
hit = [f for f in doc["findings"] if f["rule"] == "stable-pages/mkwrite-without-wait"
       and f["file"] == "fs/btrfs/inode.c" and f.get("introducedBy") == 1]
if not hit:
    sys.exit("FAIL: the btrfs hole is not reported as introduced by patch 1")
print("spw-review found:", hit[0]["message"])
PY
/usr/bin/time -o "$OUT/rss" -f '%M' "$SPW_REVIEW" "$SERIES" --tree "$REPO" --format json >/dev/null 2>&1 || true
RSS=$(tail -1 "$OUT/rss")

# -- a one-patch series never seen before, on the base reviewed above --------------------
# What a maintainer meets: the base is known (its reads, results and summaries are kept),
# the patch is new. Each run's patch drops the btrfs wait and adds a comment naming the run,
# so its tree was never analysed.
newpatch=()
for r in $(seq "$RUNS"); do
  export GIT_INDEX_FILE="$OUT/one.index"
  git --git-dir="$REPO" read-tree "$BASE"
  stamp="$(date +%s%N)-$r"
  c=$(edit fs/btrfs/inode.c "/^vm_fault_t btrfs_page_mkwrite/,/^}/{/^\twait_on_page_writeback(page);$/d};/^vm_fault_t btrfs_page_mkwrite/i /* bench run $stamp */" \
    "btrfs: drop the stable-page wait ($stamp)\n\nSigned-off-by: Bench Author <bench@example.org>" "$BASE")
  git --git-dir="$REPO" format-patch -q --stdout --base="$BASE" "$BASE..$c" > "$OUT/one-patch.mbox"
  unset GIT_INDEX_FILE
  rm -f "$OUT/one.index"
  start=$(date +%s.%N)
  status=0
  "$SPW_REVIEW" "$OUT/one-patch.mbox" --tree "$REPO" --format json > "$OUT/one.json" 2>/dev/null || status=$?
  end=$(date +%s.%N)
  [ "$status" = 1 ] || { echo "FAIL: the one-patch review exited $status, expected 1"; exit 1; }
  grep -Eq '"introducedBy": ?1' "$OUT/one.json" \
    || { echo "FAIL: the one-patch review does not report the hole as introduced"; exit 1; }
  newpatch+=("$(printf '%.2f' "$(echo "$end - $start" | bc)")")
done

# -- the anchor: git am + checkpatch.pl --------------------------------------------------
SCRATCH="$OUT/worktree"
rm -rf "$SCRATCH"
git --git-dir="$REPO" worktree prune
git --git-dir="$REPO" worktree add -q --detach "$SCRATCH" "$BASE"
anchor=()
for _ in $(seq "$RUNS"); do
  git -C "$SCRATCH" checkout -q --detach "$BASE"
  start=$(date +%s.%N)
  git -C "$SCRATCH" am -q "$SERIES"
  (cd "$SCRATCH" && perl scripts/checkpatch.pl -q --no-summary "$SERIES" >/dev/null) || true
  end=$(date +%s.%N)
  anchor+=("$(printf '%.2f' "$(echo "$end - $start" | bc)")")
done
git --git-dir="$REPO" worktree remove --force "$SCRATCH"

O=$(printf '%s\n' "${ours[@]}" | best)
C=$(printf '%s\n' "${cold[@]}" | best)
A=$(printf '%s\n' "${anchor[@]}" | best)
echo "spw-review review --no-cache:  best of $RUNS ${C} s  [${cold[*]}]"
echo "spw-review review (release), the same series again: best of $RUNS ${O} s  [${ours[*]}], peak RSS ${RSS} KB"
N=$(printf '%s\n' "${newpatch[@]}" | best)
echo "spw-review review of a new one-patch series on the reviewed base: best of $RUNS ${N} s  [${newpatch[*]}]"
echo "git am + checkpatch.pl:      best of $RUNS ${A} s  [${anchor[*]}]"
echo "RESULT review_again_s=$O new_one_patch_s=$N review_no_cache_s=$C anchor_s=$A ratio_new_one_patch=$(echo "scale=2; $N / $A" | bc)"
