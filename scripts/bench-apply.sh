#!/usr/bin/env bash
# Apply-stage benchmark (issue 3).
#
#   scripts/bench-apply.sh            # release build of spw-review, then the benchmark
#   SPW_REVIEW=/path/to/spw-review scripts/bench-apply.sh
#
# 1. Installs Debian's linux-source-6.1 (apt-get update first) and unpacks it once into
#    /var/cache/spw-review/linux-source-6.1 (shared with scripts/kernel-tree.sh: same stamp file).
# 2. Builds a bare git repository of that tree, cached in /var/cache/spw-review/bench-apply/
#    (outside the repo): one base commit with fixed identity and dates.
# 3. Generates a real series of 120 patches against it: small kernel edits (comments before
#    returns, changed return lines, new files, deletions, renames, mode changes, patches that
#    touch files earlier patches changed), committed with git plumbing and written with
#    `git format-patch`.
# 4. Applies the series in memory with `spw-review apply --print-tree` and, side by side, with
#    `git apply --cached` patch by patch on the same base (a scratch index); prints both times,
#    the ratio and both resulting tree ids, and FAILS unless the tree ids are equal.
# 5. Synthesizes a 10,000-commit first-parent history on top of the base whose first commit
#    changes every file the series touches, so the base guess has to walk all of it; times
#    `spw-review apply` guessing the base (no --base, no base-commit) against it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# -- 1. and 2. the kernel source and its repository (CACHE, TREE, WORK, REPO, BASE) -------
. "$ROOT/scripts/kernel-repo.sh"
SERIES="$WORK/series"
PATCHES=${PATCHES:-120}
HISTORY=${HISTORY:-10000}

# -- 3. the series -------------------------------------------------------------------------
if [ ! -f "$SERIES/.done-$PATCHES" ]; then
  rm -rf "$SERIES" && mkdir -p "$SERIES"
  python3 - "$REPO" "$BASE" "$PATCHES" "$WORK" <<'PY'
import os, random, subprocess, sys
repo, base, count, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
env = dict(os.environ, GIT_INDEX_FILE=os.path.join(work, "series.index"))
def git(*args, data=None):
    return subprocess.run(["git", "--git-dir=" + repo, *args], input=data, env=env, check=True,
                          capture_output=True).stdout
git("read-tree", base)
files = [p for p in git("ls-tree", "-r", "--name-only", base).decode().splitlines()]
sources = [p for p in files if p.endswith(".c") and p.split("/")[0] in ("fs", "mm", "kernel", "block", "net", "lib")]
docs = [p for p in files if p.startswith("Documentation/") and p.endswith(".txt")]
scripts = [line.split("\t", 1)[1] for line in git("ls-tree", "-r", base, "--", "scripts").decode().splitlines()
           if line.startswith("100644 ") and line.endswith(".py")]
rng = random.Random(20230101)
touched = []
def read(path):
    return git("cat-file", "blob", ":" + path)
def write(path, data, mode="100644"):
    blob = git("hash-object", "-w", "--stdin", data=data).decode().strip()
    git("update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}")
def remove(path):
    # --force-remove wants a work tree; --index-info removes with mode 0 in a bare repository.
    git("update-index", "--index-info", data=b"0 " + b"0" * 40 + b"\t" + path.encode() + b"\n")
def edit_c(path, n):
    lines = read(path).split(b"\n")
    returns = [i for i, l in enumerate(lines) if l.startswith(b"\treturn ") or l.startswith(b"\t\treturn ")]
    if len(returns) < 2:
        return False
    picks = sorted(rng.sample(returns, min(len(returns), rng.choice([1, 2, 3]))), reverse=True)
    for i in picks:
        indent = lines[i][:len(lines[i]) - len(lines[i].lstrip(b"\t"))]
        if rng.random() < 0.5:
            lines.insert(i, indent + b"/* spw-bench %d: checked before returning */" % n)
        else:
            lines[i] = lines[i] + b" /* spw-bench %d */" % n
    write(path, b"\n".join(lines))
    return True
prev = base
for n in range(1, count + 1):
    kind = n % 20
    subject = None
    if kind == 5 and docs:
        path = f"Documentation/spw-bench/note-{n}.txt"
        write(path, b"A note added by patch %d of the spw-review apply benchmark.\n" % n)
        subject = f"Documentation: add spw-bench note {n}"
    elif kind == 9 and docs:
        path = docs.pop(rng.randrange(len(docs)))
        remove(path)
        subject = f"Documentation: remove {os.path.basename(path)}"
    elif kind == 13 and docs:
        path = docs.pop(rng.randrange(len(docs)))
        data = read(path)
        remove(path)
        write(path[:-4] + "-renamed.txt", data)
        subject = f"Documentation: rename {os.path.basename(path)}"
    elif kind == 17 and scripts:
        path = scripts.pop(rng.randrange(len(scripts)))
        blob = git("rev-parse", ":" + path).decode().strip()
        git("update-index", "--cacheinfo", f"100755,{blob},{path}")
        subject = f"scripts: make {os.path.basename(path)} executable"
    else:
        nfiles = rng.choice([1, 1, 1, 2, 3])
        changed = []
        while len(changed) < nfiles:
            # Every fourth file is one an earlier patch changed: the series depends on itself.
            path = rng.choice(touched) if touched and rng.random() < 0.25 else rng.choice(sources)
            if path not in changed and edit_c(path, n):
                changed.append(path)
        touched.extend(changed)
        subject = f"{changed[0].split('/')[0]}: spw-bench edit {n} in {os.path.basename(changed[0])}"
    tree = git("write-tree").decode().strip()
    date = f"2023-01-02 {n // 60:02d}:{n % 60:02d}:00 +0000"
    cenv = dict(env, GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    prev = subprocess.run(["git", "--git-dir=" + repo, "commit-tree", tree, "-p", prev, "-m", subject,
                           "-m", "Signed-off-by: Bench Author <bench@example.org>"],
                          env=cenv, check=True, capture_output=True).stdout.decode().strip()
git("update-ref", "refs/heads/series", prev)
os.remove(env["GIT_INDEX_FILE"])
PY
  git --git-dir="$REPO" format-patch -M -q -o "$SERIES" "$BASE..series"
  cat "$SERIES"/*.patch > "$SERIES/series.mbox"
  touch "$SERIES/.done-$PATCHES"
fi
N=$(ls "$SERIES"/*.patch | wc -l)
echo "series: $N patches, $(grep -c '^@@ ' "$SERIES/series.mbox") hunks, $(du -k "$SERIES/series.mbox" | cut -f1) KB ($SERIES/series.mbox)"
EXPECTED=$(git --git-dir="$REPO" rev-parse 'series^{tree}')

# -- 4. spw-review vs git apply --cached -----------------------------------------------------
if [ -z "${SPW_REVIEW:-}" ]; then
  swift build -c release --static-swift-stdlib --scratch-path .build-apply --product spw-review >/dev/null
  SPW_REVIEW="$ROOT/.build-apply/release/spw-review"
fi
git --git-dir="$REPO" symbolic-ref HEAD refs/heads/base

now() { date +%s.%N; }
t0=$(now)
/usr/bin/time -f '%M' -o "$WORK/spw.rss" "$SPW_REVIEW" apply "$SERIES/series.mbox" --tree "$REPO" --base "$BASE" --print-tree > "$WORK/spw.tree"
t1=$(now)
SPW_TREE=$(cat "$WORK/spw.tree")

rm -f "$WORK/git.index"
GIT_INDEX_FILE="$WORK/git.index" git --git-dir="$REPO" read-tree "$BASE"
t2=$(now)
for p in "$SERIES"/0*.patch; do
  GIT_INDEX_FILE="$WORK/git.index" git --git-dir="$REPO" apply --cached "$p"
done
t3=$(now)
GIT_TREE=$(GIT_INDEX_FILE="$WORK/git.index" git --git-dir="$REPO" write-tree)
rm -f "$WORK/git.index"

python3 - "$t0" "$t1" "$t2" "$t3" "$(cat "$WORK/spw.rss")" <<'PY'
import sys
t0, t1, t2, t3, rss = map(float, sys.argv[1:])
spw, gitt = t1 - t0, t3 - t2
print(f"spw-review apply (in memory, whole run incl. mail parsing): {spw:.3f} s, max RSS {rss/1024:.1f} MB")
print(f"git apply --cached, patch by patch:                         {gitt:.3f} s")
print(f"ratio git/spw-review: {gitt/spw:.1f}x")
PY
echo "tree ids: spw-review $SPW_TREE, git apply $GIT_TREE, git's own commit $EXPECTED"
if [ "$SPW_TREE" != "$GIT_TREE" ] || [ "$SPW_TREE" != "$EXPECTED" ]; then
  echo "FAIL: the resulting tree ids differ" >&2
  exit 1
fi
echo "OK: identical resulting trees"

# -- 5. base guess over a long first-parent history ------------------------------------------
if [ "$(git --git-dir="$REPO" rev-parse -q --verify "refs/heads/history-$HISTORY" || true)" = "" ]; then
  echo "synthesizing $HISTORY first-parent commits on top of the base ..."
  python3 - "$REPO" "$BASE" "$HISTORY" "$SERIES/series.mbox" <<'PY' | git --git-dir="$REPO" fast-import --quiet
import re, subprocess, sys
repo, base, count, mbox = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
paths = sorted(set(re.findall(r"^--- a/(\S+)$", open(mbox, encoding="utf-8", errors="replace").read(), re.M)))
dirs = sorted(set(p.rsplit("/", 1)[0] for p in paths if "/" in p))
out = sys.stdout.buffer
def data(b):
    out.write(b"data %d\n" % len(b) + b + b"\n")
for n in range(1, count + 1):
    out.write(f"commit refs/heads/history-{count}\n".encode())
    out.write(f"committer History <history@example.org> {1672617600 + n} +0000\n".encode())
    data(b"history %d" % n)
    if n == 1:
        out.write(f"from {base}\n".encode())
        # The first commit changes every file the series touches: no newer commit has the
        # series' preimages, so the guess walks the whole history down to the base.
        for p in paths:
            old = subprocess.run(["git", "--git-dir=" + repo, "cat-file", "blob", f"{base}:{p}"],
                                 capture_output=True).stdout
            out.write(f"M 100644 inline {p}\n".encode())
            data(old + b"/* moved on */\n")
    else:
        d = dirs[n % len(dirs)]
        out.write(f"M 100644 inline {d}/.spw-history\n".encode())
        data(b"%d\n" % n)
PY
fi
git --git-dir="$REPO" symbolic-ref HEAD "refs/heads/history-$HISTORY"
grep -v '^base-commit:' "$SERIES/series.mbox" > "$WORK/series-nobase.mbox"
t4=$(now)
"$SPW_REVIEW" apply "$WORK/series-nobase.mbox" --tree "$REPO" --base-search-depth $((HISTORY + 1)) --format json > "$WORK/guess.json" || true
t5=$(now)
git --git-dir="$REPO" symbolic-ref HEAD refs/heads/base
python3 - "$WORK/guess.json" "$t4" "$t5" "$t0" "$t1" "$BASE" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["apply"]
t4, t5, t0, t1 = map(float, sys.argv[2:6])
b = d["base"]
print(f"base guess: how={b['how']} commit={b['commit'][:12]} walked={b['walked']} matched {b['matchedBlobs']}/{b['totalBlobs']}")
print(f"apply with the guess: {t5 - t4:.3f} s; minus the apply alone ({t1 - t0:.3f} s): guess ~ {(t5 - t4) - (t1 - t0):.3f} s")
if b["commit"] != sys.argv[6] or b["how"] != "guessed":
    sys.exit("FAIL: the guess did not find the base")
if d["resultTree"] is None:
    sys.exit("FAIL: no result tree")
PY
