#!/bin/sh
# Installs Debian's linux-source-6.1 and universal-ctags (if missing) and unpacks the kernel tree
# once into a cache outside the repository. Idempotent: a finished unpack is marked by a stamp file.
# Prints the tree's path on stdout.
set -eu
CACHE="${SPW_CACHE:-/var/cache/spw-review}"
TREE="$CACHE/linux-source-6.1"
TARBALL=/usr/src/linux-source-6.1.tar.xz

if [ -f "$TREE/.spw-unpacked" ]; then
    echo "$TREE"
    exit 0
fi
if [ ! -f "$TARBALL" ] || ! command -v ctags >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "kernel-tree.sh: need root to install linux-source-6.1 universal-ctags" >&2
        exit 1
    fi
    apt-get install -y linux-source-6.1 universal-ctags >&2 || {
        apt-get update >&2
        apt-get install -y linux-source-6.1 universal-ctags >&2
    }
fi
mkdir -p "$CACHE"
rm -rf "$TREE.partial"
mkdir -p "$TREE.partial"
tar -xJf "$TARBALL" -C "$TREE.partial" --strip-components=1
touch "$TREE.partial/.spw-unpacked"
rm -rf "$TREE"
mv "$TREE.partial" "$TREE"
echo "$TREE"
