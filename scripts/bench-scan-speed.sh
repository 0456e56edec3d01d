#!/usr/bin/env bash
# Issue 12's scan targets on Debian's linux-source-6.1, as users run the command (whole process,
# wall time and peak RSS): `scan .` cold (≤ 5 s), `scan fs` (≤ 0.6 s) cold and with its cache.
# RUNS runs of each (default 7), alternated, files in the page cache; best and median.
# Coccinelle's side of the ratio is scripts/bench-scan.sh (it takes minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
TREE=$(scripts/kernel-tree.sh)
RUNS=${RUNS:-7}
BIN=${SPW_REVIEW:-}
if [ -z "$BIN" ]; then
  swift build -c release --static-swift-stdlib --product spw-review >/dev/null
  BIN=$(pwd)/.build/release/spw-review
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export XDG_CACHE_HOME="$WORK/cache"   # the scan cache of this run only
command -v /usr/bin/time >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq time >/dev/null; }

find "$TREE" -name '*.[ch]' -print0 | xargs -0 cat > /dev/null   # page cache warm
cd "$TREE"
"$BIN" scan fs --format json > /dev/null || true                  # the scan cache for `warm`

declare -A times rss
run() {  # run LABEL ARGS...: one timed run, appended to LABEL's list
  local label=$1; shift
  /usr/bin/time -f '%e %M' -o "$WORK/t" "$BIN" "$@" > "$WORK/out" 2>/dev/null || true
  read -r secs kib < <(tail -1 "$WORK/t")   # after "Command exited with non-zero status 1"
  times[$label]+="$secs "
  rss[$label]=$((kib / 1024))
}
for _ in $(seq "$RUNS"); do
  run "scan . --no-cache" scan . --no-cache --format json
  run "scan fs --no-cache" scan fs --no-cache --format json
  run "scan fs (its cache)" scan fs --format json
done
summary() {  # summary "t1 t2 …": best and median
  python3 -c 'import sys, statistics; v = sorted(map(float, sys.argv[1].split())); runs = " ".join(sys.argv[1].split()); print(f"best {v[0]:.2f} s, median {statistics.median(v):.2f} s ({runs})")' "$1"
}
echo "spw-review scan on $(basename "$TREE"), $RUNS runs each, alternated, $(nproc) cores"
for label in "scan . --no-cache" "scan fs --no-cache" "scan fs (its cache)"; do
  echo "$label: $(summary "${times[$label]}"), peak ${rss[$label]} MiB"
done
