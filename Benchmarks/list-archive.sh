#!/usr/bin/env bash
# Issue 13, item 6: `spw-review list` on a large archive, the whole process (wall time and peak
# RSS), side by side in one run with what a script would do today: Python's mailbox + email,
# reading every message's envelope and looking for a diff in its text. Builds the archive itself
# (scripts/mail-corpus.py: the shared third-party corpus and our fixtures, repeated) as mboxrd.
#
#   Benchmarks/list-archive.sh [MB]      (default 68)
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${1:-68}
RUNS=${RUNS:-11}
CACHE=${SPW_BENCH_CACHE:-/var/cache/spw-review/bench}
mkdir -p "$CACHE"
ARCHIVE="$CACHE/list-${MB}mb.mbox"
if [ ! -s "$ARCHIVE" ]; then
  echo "building $ARCHIVE ..."
  python3 scripts/mail-corpus.py "$ARCHIVE.plain" --min-mb "$MB"
  # mboxrd: every `>*From ` line inside a message gains one `>` (the reader takes it off again).
  python3 - "$ARCHIVE.plain" "$ARCHIVE" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
parts = re.split(rb"(?m)^(?=From \S+ .*\d\d:\d\d:\d\d \d{4}$)", data)
with open(sys.argv[2], "wb") as out:
    for part in parts:
        if not part:
            continue
        head, _, body = part.partition(b"\n")
        out.write(head + b"\n" + re.sub(rb"(?m)^(>*From )", rb">\1", body))
PY
  rm -f "$ARCHIVE.plain"
fi
SIZE_MB=$(python3 -c "import os,sys; print(round(os.path.getsize(sys.argv[1])/1e6,1))" "$ARCHIVE")
MESSAGES=$(grep -a -c '^From [^ ]* .*[0-9][0-9]:[0-9][0-9]:[0-9][0-9] [0-9][0-9][0-9][0-9]$' "$ARCHIVE" || true)

swift build -c release --static-swift-stdlib --product spw-review >/dev/null
BIN=.build/release/spw-review
cat "$ARCHIVE" > /dev/null  # the page cache warm for both sides

measure() {  # measure LABEL COMMAND...: best and median wall time over RUNS, and the best run's peak RSS
  local times=() best=999 rss=0
  for _ in $(seq "$RUNS"); do
    # Wall time to the millisecond (time's %e has two decimals), peak RSS from time's %M.
    local start end
    start=$(date +%s%N)
    /usr/bin/time -o "$CACHE/time" -f '%M' "$@" > "$CACHE/out" 2>/dev/null || true
    end=$(date +%s%N)
    local t m
    t=$(python3 -c "print(f'{($end - $start) / 1e9:.3f}')")
    m=$(tail -1 "$CACHE/time")
    times+=("$t")
    if python3 -c "import sys; sys.exit(0 if $t < $best else 1)"; then best=$t; rss=$m; fi
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  echo "$best $rss $median"
}

echo "archive: $ARCHIVE, $SIZE_MB MB, $MESSAGES messages (mboxrd)"
read -r OURS OURS_RSS OURS_MEDIAN < <(measure "$BIN" list "$ARCHIVE")
SERIES=$("$BIN" list "$ARCHIVE" | wc -l)
echo "spw-review list: best ${OURS} s = $(python3 -c "print(round($SIZE_MB/$OURS))") MB/s, median ${OURS_MEDIAN} s = $(python3 -c "print(round($SIZE_MB/$OURS_MEDIAN))") MB/s over $RUNS runs, peak RSS $((OURS_RSS / 1024)) MiB ($OURS_RSS KiB), $SERIES series"

cat > "$CACHE/python-list.py" <<'PY'
import mailbox, re, sys
from email import policy
from email.parser import BytesParser
parser = BytesParser(policy=policy.default)
patches = 0
box = mailbox.mbox(sys.argv[1], factory=lambda f: parser.parse(f), create=False)
for message in box:
    subject = str(message.get("subject", ""))
    sender = str(message.get("from", ""))
    ids = (message.get("message-id"), message.get("in-reply-to"), message.get("references"))
    try:
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
    except (ValueError, LookupError, AttributeError):
        text = ""  # an undecodable part: a script skips it

    if re.search(r"(?m)^diff --git |^\+\+\+ ", text):
        patches += 1
print(patches)
PY
read -r PY PY_RSS _ < <(RUNS=3 measure python3 "$CACHE/python-list.py" "$ARCHIVE")
echo "python3 mailbox + email (envelope, plain body, diff search): ${PY} s = $(python3 -c "print(round($SIZE_MB/$PY, 1))") MB/s, peak RSS $((PY_RSS / 1024)) MiB"
echo "ratio: spw-review is $(python3 -c "print(round($PY/$OURS, 1))")x faster than Python's mailbox + email"
