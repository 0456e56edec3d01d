# Sourced by the benchmarks that need Linux 6.1 as a git repository (bench-apply.sh,
# bench-review.sh). Sets CACHE, TREE, WORK, REPO and BASE.
# 1. Installs Debian's linux-source-6.1 (apt-get update first) and unpacks it once into $TREE.
# 2. Builds a bare git repository of it in $REPO: one base commit with fixed identity and dates.
# The identity and dates below also hold for the commits the sourcing benchmark makes.

CACHE=${SPW_CACHE:-/var/cache/spw-review}
TREE="$CACHE/linux-source-6.1"
WORK="$CACHE/bench-apply"
REPO="$WORK/linux-6.1.git"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME='Bench Author' GIT_AUTHOR_EMAIL='bench@example.org' GIT_AUTHOR_DATE='2023-01-01 12:00:00 +0000'
export GIT_COMMITTER_NAME='Bench Author' GIT_COMMITTER_EMAIL='bench@example.org' GIT_COMMITTER_DATE='2023-01-01 12:00:00 +0000'

# -- 0. the tools the benchmarks call (a fresh Debian machine may lack them) ----------------
missing=""
[ -x /usr/bin/time ] || missing="$missing time"
for tool in bc perl git; do command -v "$tool" >/dev/null || missing="$missing $tool"; done
if [ -n "$missing" ]; then
  apt-get update >&2
  apt-get install -y $missing >&2
fi

# -- 1. the kernel source ------------------------------------------------------------------
if [ ! -f "$TREE/.spw-unpacked" ]; then
  if [ ! -f /usr/src/linux-source-6.1.tar.xz ]; then
    apt-get update >&2
    apt-get install -y linux-source-6.1 >&2
  fi
  mkdir -p "$CACHE"
  rm -rf "$TREE.partial" && mkdir -p "$TREE.partial"
  tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$TREE.partial" --strip-components=1
  touch "$TREE.partial/.spw-unpacked"
  rm -rf "$TREE" && mv "$TREE.partial" "$TREE"
fi
echo "kernel source: $TREE ($(dpkg-query -W -f='${Package} ${Version}' linux-source-6.1 2>/dev/null || echo unknown))"

# -- 2. the repository ---------------------------------------------------------------------
mkdir -p "$WORK"
if [ ! -f "$WORK/base" ]; then
  rm -rf "$REPO"
  git init -q --bare "$REPO"
  git --git-dir="$REPO" config core.autocrlf false
  git --git-dir="$REPO" config gc.auto 0
  echo "building $REPO (git add of the whole tree, about a minute) ..."
  GIT_INDEX_FILE="$WORK/base.index" git --git-dir="$REPO" --work-tree="$TREE" add -A -f -- . ':!.spw-unpacked'
  tree=$(GIT_INDEX_FILE="$WORK/base.index" git --git-dir="$REPO" write-tree)
  base=$(echo "linux-source-6.1 as Debian ships it" | git --git-dir="$REPO" commit-tree "$tree")
  git --git-dir="$REPO" update-ref refs/heads/base "$base"
  git --git-dir="$REPO" symbolic-ref HEAD refs/heads/base
  rm -f "$WORK/base.index"
  echo "$base" > "$WORK/base"
fi
BASE=$(cat "$WORK/base")
echo "base commit: $BASE ($(git --git-dir="$REPO" ls-tree -r --name-only "$BASE" | wc -l) files)"

