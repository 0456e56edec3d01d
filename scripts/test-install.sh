#!/usr/bin/env bash
# `make test`'s last step (issue 14): install into a temporary prefix with a staging DESTDIR,
# check every file lands where its tool looks for it, that `man -l` renders the page and each
# completion script names the commands, then uninstall and check nothing is left.
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
PREFIX=/opt/spw-review-test
make --no-print-directory install PREFIX="$PREFIX" DESTDIR="$STAGE" >/dev/null
root="$STAGE$PREFIX"
fail() { echo "test-install: $*" >&2; exit 1; }
[ -x "$root/bin/spw-review" ] || fail "no binary in $root/bin"
"$root/bin/spw-review" --version >/dev/null || fail "the installed binary does not run"
# Linked statically against the Swift runtime: it must run where no toolchain is installed.
if ldd "$root/bin/spw-review" | grep -q "libswiftCore\|libFoundation"; then
  fail "the installed binary needs the Swift runtime: $(ldd "$root/bin/spw-review" | grep -o 'lib[A-Za-z_]*swift[A-Za-z_]*\.so' | sort -u | tr '\n' ' ')"
fi
page="$root/share/man/man1/spw-review.1"
[ -s "$page" ] || fail "no man page at $page"
MANPAGER=cat MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q "Review Linux-kernel patch series" || fail "man -l does not render $page"
MANPAGER=cat MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q "review" || fail "the page does not name the review command"
grep -q "spw-review" "$root/share/bash-completion/completions/spw-review" || fail "bash completion"
grep -q "review" "$root/share/zsh/site-functions/_spw-review" || fail "zsh completion"
grep -q "review" "$root/share/fish/vendor_completions.d/spw-review.fish" || fail "fish completion"
make --no-print-directory uninstall PREFIX="$PREFIX" DESTDIR="$STAGE" >/dev/null
left=$(find "$STAGE" -type f | head -5)
[ -z "$left" ] || fail "uninstall left: $left"
echo "test-install: ok (binary without the Swift runtime, man page, bash/zsh/fish completions; uninstalled)"
