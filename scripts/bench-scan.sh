#!/usr/bin/env bash
# Rule-engine benchmark (issue 5): `spw-review scan` over fs/ and mm/ of Linux 6.1, side by side
# with Coccinelle running a two-pass semantic patch for the mkwrite rule (scripts/cocci/), in one
# run; then the whole tree. Release build, both cores for both tools, files in the page cache.
set -euo pipefail
cd "$(dirname "$0")/.."
TREE=$(scripts/kernel-tree.sh)
command -v spatch >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq coccinelle >/dev/null; }
swift build -c release --product spw-review >/dev/null
BIN=.build/release/spw-review
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
now() { date +%s.%N; }
secs() { python3 -c "print(round($2-$1,2))"; }

cat $(find "$TREE/fs" "$TREE/mm" -name '*.c') > /dev/null   # page cache warm for both tools
echo "== spw-review scan fs mm (all rules)"
S=$(now); "$BIN" scan --no-cache --tree "$TREE" fs mm --format json > "$WORK/ours.json" || true; E=$(now)
OURS=$(secs "$S" "$E")
OURS_N=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['findings']))" "$WORK/ours.json")
OURS_MK=$(python3 -c "import json,sys; print(sum(1 for f in json.load(open(sys.argv[1]))['findings'] if f['rule'].endswith('mkwrite-without-wait')))" "$WORK/ours.json")
echo "spw-review: ${OURS} s, ${OURS_N} findings (${OURS_MK} mkwrite-without-wait)"

echo "== spatch, pass 1 (collect waiters) + pass 2 (mkwrite check), -j 2"
S=$(now)
spatch --very-quiet -j 2 --no-includes --sp-file scripts/cocci/collect-waiters.cocci -D report --dir "$TREE/fs" --dir "$TREE/mm" \
  2>/dev/null | sed -n 's/^WAITER //p' | sort -u > "$WORK/waiters"
WAITERS=$(paste -sd, "$WORK/waiters")
sed "s/@WAITERS@/${WAITERS:-wait_on_page_writeback}/" scripts/cocci/mkwrite-without-wait.cocci.in > "$WORK/check.cocci"
spatch --very-quiet -j 2 --no-includes --sp-file "$WORK/check.cocci" -D report --dir "$TREE/fs" --dir "$TREE/mm" \
  2>/dev/null | grep -E '^[^ ]+:[0-9]+: ' | sort -u > "$WORK/cocci.txt" || true
E=$(now)
COCCI=$(secs "$S" "$E")
echo "spatch: ${COCCI} s, $(wc -l < "$WORK/waiters") waiter functions, $(wc -l < "$WORK/cocci.txt") mkwrite findings"
sed 's/^/    /' "$WORK/cocci.txt" | sed "s|$TREE/||"
echo "== ratio: spw-review is $(python3 -c "print(round($COCCI/$OURS,1))")x faster than Coccinelle on fs/ + mm/"

echo "== spw-review scan, whole tree"
S=$(now); "$BIN" scan --no-cache --tree "$TREE" --format json > "$WORK/all.json" || true; E=$(now)
echo "whole tree: $(secs "$S" "$E") s, $(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['filesConsidered'], 'files considered,', d['filesParsed'], 'parsed,', len(d['findings']), 'findings')" "$WORK/all.json")"
