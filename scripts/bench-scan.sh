#!/usr/bin/env bash
# Rule-engine benchmark (issue 5): `spw-review scan` over fs/ and mm/ of Linux 6.1, side by side
# with Coccinelle running a two-pass semantic patch for the mkwrite rule (scripts/cocci/), in one
# run; then the whole tree. Release build, both cores for both tools, files in the page cache.
set -euo pipefail
cd "$(dirname "$0")/.."
TREE=$(scripts/kernel-tree.sh)
command -v spatch >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq coccinelle >/dev/null; }
swift build -c release --static-swift-stdlib --product spw-review >/dev/null
BIN=.build/release/spw-review
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
now() { date +%s.%N; }
secs() { python3 -c "print(round($2-$1,2))"; }
# spatch honours only the last of several --dir options (checked with 1.1.1: `--dir fs/afs
# --dir fs/9p` reads fs/9p alone), so each directory gets its own run, one after the other.
cocci() {  # cocci SPFILE: the semantic patch over fs/ and mm/, both cores, output concatenated
  local d sp
  sp=$(realpath "$1")
  for d in fs mm; do
    # From the scratch directory: with -j, spatch leaves its workers' output (callers_*/) in the
    # current directory.
    (cd "$WORK" && spatch --very-quiet -j 2 --no-includes --sp-file "$sp" -D report --dir "$TREE/$d" 2>/dev/null) || true
  done
}

cat $(find "$TREE/fs" "$TREE/mm" -name '*.c') > /dev/null   # page cache warm for both tools
echo "== spw-review scan fs mm (all rules)"
S=$(now); "$BIN" scan --no-cache --tree "$TREE" fs mm --format json > "$WORK/ours.json" || true; E=$(now)
OURS=$(secs "$S" "$E")
OURS_N=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['findings']))" "$WORK/ours.json")
OURS_MK=$(python3 -c "import json,sys; print(sum(1 for f in json.load(open(sys.argv[1]))['findings'] if f['rule'].endswith('mkwrite-without-wait')))" "$WORK/ours.json")
echo "spw-review: ${OURS} s, ${OURS_N} findings (${OURS_MK} mkwrite-without-wait)"

echo "== spatch, pass 1 (collect waiters) + pass 2 (mkwrite check), -j 2"
S=$(now)
cocci scripts/cocci/collect-waiters.cocci | sed -n 's/^WAITER //p' | sort -u > "$WORK/waiters"
WAITERS=$(paste -sd, "$WORK/waiters")
sed "s/@WAITERS@/${WAITERS:-wait_on_page_writeback}/" scripts/cocci/mkwrite-without-wait.cocci.in > "$WORK/check.cocci"
cocci "$WORK/check.cocci" | grep -E '^[^ ]+:[0-9]+: ' | sort -u > "$WORK/cocci.txt" || true
E=$(now)
COCCI=$(secs "$S" "$E")
echo "spatch: ${COCCI} s, $(wc -l < "$WORK/waiters") waiter functions, $(wc -l < "$WORK/cocci.txt") mkwrite findings"
sed 's/^/    /' "$WORK/cocci.txt" | sed "s|$TREE/||"
echo "== ratio: spw-review is $(python3 -c "print(round($COCCI/$OURS,1))")x faster than Coccinelle (same-file bindings) on fs/ + mm/"

# The semantic patch as issue 5 describes a good one: bindings and waiter helpers collected across
# files first (plus one round of the waiters' callers: a second round matches a 500-name
# disjunction and ran for more than 15 minutes on fs/ before we stopped it), then the check on
# every collected handler wherever it is defined.
echo "== spatch, issue 5's form: pass 1 (handlers + waiters, all files), pass 1b (waiters' callers, one round), pass 2, -j 2"
S=$(now)
cocci scripts/cocci/collect.cocci > "$WORK/collect"
sed -n 's/^HANDLER //p' "$WORK/collect" | sort -u > "$WORK/handlers"
sed -n 's/^WAITER //p' "$WORK/collect" | sort -u > "$WORK/waiters2"
ROUNDS=0
for round in ${COCCI_CALLER_ROUNDS:-1}; do
  ROUNDS=$round
  sed "s/@WAITERS@/$(paste -sd, "$WORK/waiters2")/" scripts/cocci/collect-callers.cocci.in > "$WORK/callers.cocci"
  cocci "$WORK/callers.cocci" | sed -n 's/^WAITER //p' | sort -u > "$WORK/more"
  NEW=$(comm -13 "$WORK/waiters2" "$WORK/more" | wc -l)
  sort -u "$WORK/waiters2" "$WORK/more" -o "$WORK/waiters2"
  [ "$NEW" = 0 ] && break
done
sed -e "s/@HANDLERS@/$(paste -sd, "$WORK/handlers")/" -e "s/@WAITERS@/$(paste -sd, "$WORK/waiters2")/" \
  scripts/cocci/mkwrite-across-files.cocci.in > "$WORK/check2.cocci"
cocci "$WORK/check2.cocci" | grep -E '^[^ ]+:[0-9]+: ' | sort -u > "$WORK/cocci2.txt" || true
E=$(now)
COCCI2=$(secs "$S" "$E")
echo "spatch: ${COCCI2} s, $(wc -l < "$WORK/handlers") handlers, $(wc -l < "$WORK/waiters2") waiter functions after ${ROUNDS} caller round(s), $(wc -l < "$WORK/cocci2.txt") mkwrite findings"
sed 's/^/    /' "$WORK/cocci2.txt" | sed "s|$TREE/||"
echo "== ratio: spw-review is $(python3 -c "print(round($COCCI2/$OURS,1))")x faster than Coccinelle (issue 5's form) on fs/ + mm/"

echo "== spw-review scan, whole tree"
S=$(now); "$BIN" scan --no-cache --tree "$TREE" --format json > "$WORK/all.json" || true; E=$(now)
echo "whole tree: $(secs "$S" "$E") s, $(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['filesConsidered'], 'files considered,', d['filesParsed'], 'parsed,', len(d['findings']), 'findings')" "$WORK/all.json")"

# Issue 12's speed targets, as users run them: the whole command, wall time and peak RSS.
# Cold: the tree's pages dropped from the page cache file by file (POSIX_FADV_DONTNEED: no
# privileges needed, unlike /proc/sys/vm/drop_caches), so the scan reads from the disk.
evict() {
  python3 - "$TREE" <<'PY'
import os, sys
for d, _, files in os.walk(sys.argv[1]):
    for f in files:
        try:
            fd = os.open(os.path.join(d, f), os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
        except OSError:
            pass
PY
}
timed() {  # timed LABEL ARGS...: wall seconds and peak RSS of one scan
  local label=$1; shift
  /usr/bin/time -f '%e %M' -o "$WORK/time" "$BIN" scan --no-cache --tree "$TREE" "$@" --format json > "$WORK/t.json" || true
  read -r secs rss < <(tail -n 1 "$WORK/time")
  echo "$label: ${secs} s, $((rss / 1024)) MiB peak"
}
echo "== issue 12 targets: scan fs (target 0.6 s), whole tree warm and cold (target 5 s cold)"
for _ in 1 2 3; do timed "scan fs, warm" fs; done
find "$TREE" -name '*.[ch]' -exec cat {} + > /dev/null
for _ in 1 2 3; do timed "scan ., warm"; done
for _ in 1 2 3; do evict; timed "scan ., cold"; done
