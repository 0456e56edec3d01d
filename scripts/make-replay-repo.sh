#!/usr/bin/env bash
# A git repository whose history holds every kind of change `git format-patch --binary` can
# mail, one or a few per commit (issue 19): new, deleted, renamed and copied files; mode changes;
# symlinks; binary files (literal and delta); lines in UTF-8, Latin-1 and Windows-1252 in one
# diff, in a file whose mail has no Content-Type; CRLF files; "\ No newline at end of file";
# empty files; a 20,000-line file; paths that need git's quoting (spaces, a tab, non-ASCII).
#
#   scripts/make-replay-repo.sh DIR     # DIR must not exist
#
# Used by the replay test (Tests/ApplyTests) and the benchmark (scripts/replay-history.sh).
set -euo pipefail
export LC_ALL=C
DIR=$1
[ ! -e "$DIR" ] || { echo "$DIR: exists" >&2; exit 2; }
mkdir -p "$DIR"
cd "$DIR"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="Replay Author" GIT_AUTHOR_EMAIL=author@example.org
export GIT_COMMITTER_NAME="Replay Committer" GIT_COMMITTER_EMAIL=committer@example.org
git init -q -b master .
git config core.autocrlf false
n=0
commit() {  # commit SUBJECT: everything in the work tree, with a date that moves on
  n=$((n + 1))
  GIT_AUTHOR_DATE="2011-05-$(printf %02d $(( (n % 28) + 1 ))) 10:00:00 +0000"
  export GIT_AUTHOR_DATE GIT_COMMITTER_DATE="$GIT_AUTHOR_DATE"
  git add -A
  git commit -q -m "$1" -m "Signed-off-by: Replay Author <author@example.org>"
}
# Every byte value once, in order (no python or perl needed on a fresh machine).
pattern() { local i; for i in $(seq 0 255); do printf "\\$(printf %03o "$i")"; done; }

printf 'replay history\n' > README
commit "root"

printf 'int x;\nint y;\n' > new.c
commit "a new file"

# One diff, three encodings, and the message itself plain ASCII: git writes no Content-Type.
printf 'caf\xc3\xa9 utf-8\ncaf\xe9 latin-1\nquote \x93windows-1252\x94\nend\n' > mixed.txt
commit "mixed encodings"
printf 'caf\xc3\xa9 utf-8, fixed\ncaf\xe9 latin-1, fixed\nquote \x93windows-1252\x94, fixed\nend\n' > mixed.txt
commit "fix spelling in every encoding"

printf 'one\r\ntwo\r\nthree\r\n' > crlf.txt
commit "a CRLF file"
printf 'one\r\ntwo, changed\r\nthree\r\n' > crlf.txt
commit "change a CRLF line"

printf 'no newline at the end' > nonl.txt
commit "a file without a final newline"
printf 'no newline at the end, still' > nonl.txt
commit "change the last line, still without a newline"
printf 'no newline at the end, still\n' > nonl.txt
commit "add the final newline"

: > empty.txt
commit "an empty file"
printf 'now with text\n' > empty.txt
commit "give the empty file text"
: > empty.txt
commit "empty it again"

git rm -q new.c
commit "delete a file"

seq 1 40 | sed 's/^/line /' > moved.txt
commit "a file to move"
git mv moved.txt renamed.txt
commit "rename it"
git mv renamed.txt renamed-again.txt
sed -i 's/^line 20$/line twenty/' renamed-again.txt
commit "rename and edit"
cp renamed-again.txt copied.txt
sed -i 's/^line 30$/line thirty/' copied.txt
commit "copy with an edit"
# The copy's source changes in the same commit: git copies from the file as it was before.
cp renamed-again.txt zz-copy.txt
sed -i 's/^line 5$/line five, in the copy/' zz-copy.txt
sed -i 's/^line 6$/line six, in the source/' renamed-again.txt
commit "copy a file and edit its source in one commit"

# Kernel-style text: a block comment (context lines that start with " *"), tabs, and trailing
# whitespace inside the context.
printf '/*\n * foo_page_mkwrite - make a page writable\n * @vmf: the fault\n */\nint foo(void)\n{\n\tint ret = 0;   \n\n\treturn ret;\t\n}\n' > comment.c
commit "a file with a block comment"
printf '/*\n * foo_page_mkwrite - make a page writable\n * @vmf: the fault\n *\n * Waits for writeback first.\n */\nint foo(void)\n{\n\tint ret = 0;   \n\n\twait();\n\treturn ret;\t\n}\n' > comment.c
commit "extend the comment, add a call"

printf '#!/bin/sh\necho hi\n' > run.sh
commit "a script"
chmod +x run.sh
commit "make it executable"
chmod -x run.sh
printf '#!/bin/sh\necho hello\n' > run.sh
commit "not executable, and edited"

ln -s README link
commit "a symbolic link"
ln -sfn renamed-again.txt link
commit "point the link elsewhere"
rm link
commit "remove the link"

pattern > pattern.tmp
for _ in 1 2 3 4 5 6 7 8; do cat pattern.tmp; done > blob.bin
commit "a binary file"
{ for _ in 1 2 3 4; do cat pattern.tmp; done; printf 'changed in the middle'; for _ in 1 2 3 4; do cat pattern.tmp; done; } > blob.bin
commit "change the binary file"
# 20,000 bytes, every one moved by 7: nothing left for a delta to copy.
for _ in $(seq 1 79); do cat pattern.tmp; done | head -c 20000 | tr '\000-\377' '\007-\377\000-\006' > blob.bin
rm pattern.tmp
commit "rewrite the binary file"
git rm -q blob.bin
commit "delete the binary file"

seq 1 20000 | sed 's/^/row /' > big.txt
commit "a 20,000-line file"
sed -i -e 's/^row 3$/row three/' -e 's/^row 10000$/row ten thousand/' -e 's/^row 19999$/row 19,999/' big.txt
commit "change three rows far apart"

printf 'spaces\n' > "with space.txt"
printf 'tab\n' > "$(printf 'with\ttab.txt')"
printf 'accent\n' > "$(printf 'caf\xc3\xa9.txt')"
commit "paths that need quoting"
printf 'spaces, edited\n' > "with space.txt"
printf 'tab, edited\n' > "$(printf 'with\ttab.txt')"
printf 'accent, edited\n' > "$(printf 'caf\xc3\xa9.txt')"
commit "edit them"
git mv "with space.txt" "still with space.txt"
commit "rename a quoted path"
