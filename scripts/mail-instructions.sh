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
  swift build -c release --static-swift-stdlib --product spw-bench >/dev/null
  BIN=.build/release/spw-bench
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 scripts/mail-corpus.py "$WORK/corpus4.mbox" --copies 4
python3 scripts/mail-corpus.py "$WORK/corpus12.mbox" --copies 12
count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" mail "$1" 2>&1 | sed -n 's/.*Collected : //p'; }
A=$(count "$WORK/corpus4.mbox")
B=$(count "$WORK/corpus12.mbox")
python3 -c "print(f'RESULT mail_instructions_per_corpus_copy={($B-$A)/8/1e6:.2f}M')"
