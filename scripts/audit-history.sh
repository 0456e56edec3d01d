#!/usr/bin/env bash
# The history audit (issue 18): every non-merge commit of FROM..TO reviewed on its own against its
# first parent, as a one-patch series (`spw-review check --each-commit`, what the hooks see of one
# commit), and a report of every commit that introduces or resolves a finding.
#
#   scripts/audit-history.sh REPO FROM TO [OUT.md]
#
# REPO is a kernel git repository (for the bundled thread's release: the search tool's
# `fetch github:gpl-releases/linux-2.6.39.3`; never in CI, never copied into this repository).
# FROM and TO are revisions (`git log --grep '^Linux 2.6.38$'` finds the release commits).
# Writes OUT.md (default docs/audit-history.md) and OUT.json beside it; the reading of each
# commit ("right or wrong, and why") is a reviewer's, added by hand to the Markdown.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { echo "usage: $0 REPO FROM TO [OUT.md]" >&2; exit 2; }
repo=$1 from=$2 to=$3 out=${4:-docs/audit-history.md}
git -C "$repo" rev-parse --verify -q "$from^{commit}" >/dev/null || { echo "$repo: unknown revision '$from'" >&2; exit 2; }
git -C "$repo" rev-parse --verify -q "$to^{commit}" >/dev/null || { echo "$repo: unknown revision '$to'" >&2; exit 2; }
make -s deps
swift build -c release --static-swift-stdlib --product spw-review >/dev/null
bin=$PWD/.build/release/spw-review
json=${out%.md}.json
start=$(date +%s.%N)
status=0
/usr/bin/time -f '%e s, %M KiB peak' -o "$json.time" \
    "$bin" check --each-commit "$from..$to" --tree "$repo" --format json > "$json" || status=$?
[ "$status" -le 1 ] || { echo "spw-review exited $status" >&2; exit "$status"; }
python3 - "$json" "$out" "$repo" "$from" "$to" "$(tail -n 1 "$json.time")" <<'PY'
import json, sys
src, out, repo, frm, to, timing = sys.argv[1:7]
d = json.load(open(src))
rev = d["reviewed"]
analysed = [r for r in rev if r["analysed"]]
changed = [r for r in rev if r["introduced"] or r["resolved"]]
times = sorted(r["milliseconds"] for r in analysed)
def pct(p): return times[min(len(times) - 1, int(p * len(times)))] / 1000 if times else 0
lines = [
    f"# History audit: {frm}..{to}",
    "",
    f"`scripts/audit-history.sh {repo} {frm} {to}` — every non-merge commit reviewed on its own against",
    "its first parent (`spw-review check --each-commit`, the whole tree in scope).",
    "",
    "| figure | value |",
    "| --- | --- |",
    f"| commits in the range | {d['commits']} ({d['merges']} merges) |",
    f"| non-merge commits reviewed | {len(rev)} |",
    f"| analysed (they change a file the analysis reads: an entry point, or a function on an entry point's paths) | {len(analysed)} |",
    f"| with an introduced or resolved finding | {len(changed)} |",
    f"| findings introduced / resolved | {sum(len(r['introduced']) for r in rev)} / {sum(len(r['resolved']) for r in rev)} |",
    f"| time per analysed commit: median / p90 / max | {pct(0.5):.3f} s / {pct(0.9):.3f} s / {(times[-1]/1000 if times else 0):.3f} s |",
    f"| whole run (one process) | {timing} |",
    "",
    "## Commits with an introduced or resolved finding",
    "",
]
for r in changed:
    lines.append(f"### {r['commit'][:12]} {r['subject']}")
    lines.append("")
    lines.append(f"Author: {r['author']}. Reading: _(reviewer's verdict: right or wrong, and why)_")
    lines.append("")
    for kind in ("introduced", "resolved"):
        for f in r[kind]:
            lines.append(f"- {kind}: `{f['file']}:{f['line']}` {f['rule']}: {f['message']}")
    lines.append("")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines[:16]))
PY
