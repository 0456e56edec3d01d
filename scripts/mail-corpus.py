#!/usr/bin/env python3
"""Writes the mail benchmark's input: the shared third-party corpus mboxes (read in place, never
copied into the repo) and our fixture series, concatenated into one mbox and repeated.

usage: mail-corpus.py OUT --copies N      (N copies of the corpus)
       mail-corpus.py OUT --min-mb M      (whole copies until the file has at least M MB)
Run from the repository root."""
import glob, os, sys

def corpus():
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
    return b"".join(s if s.endswith(b"\n") else s + b"\n" for s in sources)

def main():
    out, kind, value = sys.argv[1], sys.argv[2], int(sys.argv[3])
    blob = corpus()
    with open(out + ".tmp", "wb") as f:
        if kind == "--copies":
            for _ in range(value):
                f.write(blob)
        else:
            written = 0
            while written < value * 1_000_000:
                f.write(blob)
                written += len(blob)
    os.rename(out + ".tmp", out)
    print(f"{out}: corpus copy of {len(blob)} bytes", file=sys.stderr)

main()
