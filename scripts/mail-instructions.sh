#!/usr/bin/env bash
# Deterministic cost of the mail stage (issue 2), for comparing two builds on a noisy machine:
# instructions (valgrind/callgrind) that `spw-bench mail` spends per copy of the benchmark
# corpus — the same third-party mails and fixtures scripts/bench-mail.sh repeats to 520 MB.
# Reported as (instructions for 12 copies - instructions for 4 copies) / 8, so start-up cost
# cancels out. Usage: scripts/mail-instructions.sh [SPW_BENCH_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
BIN=${1:-}
if [ -z "$BIN" ]; then
  swift build -c release --product spw-bench >/dev/null
  BIN=.build/release/spw-bench
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 - "$WORK" <<'PY'
import os, sys, glob
work = sys.argv[1]
root = os.path.abspath(os.path.join(os.getcwd(), "..", "shared", "corpus", "peer-mail"))
sources = []
for path in sorted(glob.glob(os.path.join(root, "**", "*"), recursive=True)):
    if os.path.isfile(path) and (path.endswith(".mbox") or path.endswith(".in") or path.endswith("/mbox")):
        data = open(path, "rb").read()
        if not data.startswith(b"From "):
            data = b"From bench@example.org Mon Sep 17 00:00:00 2001\n" + data
        sources.append(data)
for path in ["fixtures/series/stable-page-writes-v3.2.mbox"] + sorted(glob.glob("fixtures/series/format-patch/*.patch")):
    sources.append(open(path, "rb").read())
blob = b"".join(s if s.endswith(b"\n") else s + b"\n" for s in sources)
for n in (4, 12):
    open(os.path.join(work, f"corpus{n}.mbox"), "wb").write(blob * n)
print(f"corpus copy: {len(blob)} bytes")
PY
count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" mail "$1" 2>&1 | sed -n 's/.*Collected : //p'; }
A=$(count "$WORK/corpus4.mbox")
B=$(count "$WORK/corpus12.mbox")
python3 -c "print(f'RESULT mail_instructions_per_corpus_copy={($B-$A)/8/1e6:.2f}M')"
