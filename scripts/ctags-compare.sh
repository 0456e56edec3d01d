#!/bin/sh
# Compares the function definitions found by `spw-review parse-c` with Universal Ctags' for every .c
# file under the given directories of a kernel tree, matching on (file, start line).
# Usage: scripts/ctags-compare.sh [TREE] [DIR...]   (defaults: the cached 6.1 tree; fs mm block drivers/block)
# Env: PARSE_C (command printing `file:line-end: name`, default "spw-review parse-c"), OUT (report dir).
set -eu
TREE="${1:-$(dirname "$0")/kernel-tree.sh}"
[ -x "$TREE" ] && [ ! -d "$TREE" ] && TREE="$("$TREE")"
[ $# -gt 0 ] && shift
DIRS="${*:-fs mm block drivers/block}"
PARSE_C="${PARSE_C:-spw-review parse-c}"
OUT="${OUT:-/tmp/spw-ctags-compare}"
mkdir -p "$OUT"
cd "$TREE"
for d in $DIRS; do
    find "$d" -name '*.c' | sort
done > "$OUT/files"
xargs ctags --c-kinds=f -x --language-force=C < "$OUT/files" \
    | awk '{ print $4 "\t" $3 "\t" $1 }' | sort -u > "$OUT/ctags.tsv"
xargs $PARSE_C --functions < "$OUT/files" | grep -v ': recovery: ' \
    | sed -E 's/^([^:]+):([0-9]+)-[0-9]+: (.*)$/\1\t\2\t\3/' | sort -u > "$OUT/ours.tsv"
cut -f1,2 "$OUT/ctags.tsv" | sort -u > "$OUT/ctags.keys"
cut -f1,2 "$OUT/ours.tsv" | sort -u > "$OUT/ours.keys"
comm -23 "$OUT/ctags.keys" "$OUT/ours.keys" > "$OUT/misses"
comm -13 "$OUT/ctags.keys" "$OUT/ours.keys" > "$OUT/extras"
for d in $DIRS; do
    c=$(grep -c "^$d/" "$OUT/ctags.keys" || true)
    o=$(grep -c "^$d/" "$OUT/ours.keys" || true)
    m=$(grep -c "^$d/" "$OUT/misses" || true)
    x=$(grep -c "^$d/" "$OUT/extras" || true)
    awk -v d="$d" -v c="$c" -v o="$o" -v m="$m" -v x="$x" 'BEGIN {
        printf "%-16s ctags %6d  ours %6d  recall %7.3f%%  precision %7.3f%%\n", d, c, o,
            c ? 100 * (c - m) / c : 100, o ? 100 * (o - x) / o : 100 }'
done
echo "misses: $OUT/misses ($(wc -l < "$OUT/misses")), extras: $OUT/extras ($(wc -l < "$OUT/extras"))"
