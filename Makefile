# spw-review: one entry point for people and CI. `make example` and `make test` are the
# README's Quick start; both install what is missing first (apt-get, when run as root).
SWIFT ?= swift
APT_PACKAGES := libgit2-dev zlib1g-dev pkg-config git git-email python3 python3-venv man-db quilt
BIN := .build/debug/spw-review
# Release builds link the Swift runtime and Foundation statically: the installed binary runs
# without a Swift toolchain, starts without resolving Foundation's symbols, and keeps only the
# pages it uses resident (24 → 18 MiB for a small run). Every release build uses the same flags,
# so that benchmarks and installs share one build.
RELEASE := -c release --static-swift-stdlib

.PHONY: all deps build example test release bench fuzz-mail fuzz-csyntax fuzz-config fuzz-cache clean install uninstall man

all: build

# b4 (PyPI) for the test that runs `b4 prep --check` with spw-review as its per-patch command;
# in a virtual environment of its own (Debian's Python refuses system-wide pip installs).
B4_VENV := .build/b4-venv
deps:
	@bash scripts/install-deps.sh $(APT_PACKAGES)
	@[ -x $(B4_VENV)/bin/b4 ] || { /usr/bin/python3 -m venv $(B4_VENV) && $(B4_VENV)/bin/pip install -q b4 >/dev/null; }

build: deps
	$(SWIFT) build --product spw-review

# The main job on the bundled example: the original 2011 thread, pasted without headers,
# reviewed against the fixture kernel (a small kernel-style git repository built from
# fixtures/kernel). The series resolves most holes and introduces none (exit status 0); ext4's
# fast path is reported as present before and after.
FIXTURE_REPO := .build/fixture-kernel
example: build
	rm -rf $(FIXTURE_REPO) && bash fixtures/kernel-repo.sh fixtures/kernel $(FIXTURE_REPO) >/dev/null
	$(BIN) fixtures/stable-page-writes-v3.2-thread.txt --tree $(FIXTURE_REPO)

# A target that uses a module it does not declare is an error here, not only on a clean build.
IMPORT_CHECK := --explicit-target-dependency-import-check error
test: deps
	$(SWIFT) build --product spw-review $(IMPORT_CHECK)
	$(SWIFT) test $(IMPORT_CHECK)
	scripts/test-install.sh

release: deps
	$(SWIFT) build $(RELEASE) --product spw-review

# Benchmarks (BENCHMARKS.md): never part of `make test`.
bench: deps
	scripts/bench-mail.sh

# libFuzzer targets (docs/fuzzing.md): fuzz-mail (mail and diff parsers), fuzz-csyntax (C parser),
# fuzz-config (.spw-review.toml), fuzz-cache (what review keeps under ~/.cache/spw-review).
# Corpus in Fuzz/corpus/NAME, new inputs in Fuzz/corpus/NAME-work, crashes in fuzz-artifacts/.
fuzz-mail fuzz-csyntax fuzz-config fuzz-cache: deps
	$(SWIFT) build -c release --product $@ -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
		--scratch-path .build-fuzz
	mkdir -p fuzz-artifacts Fuzz/corpus/$(@:fuzz-%=%)-work
	.build-fuzz/release/$@ -artifact_prefix=fuzz-artifacts/ -max_total_time=$${FUZZ_SECONDS:-60} \
		-max_len=65536 Fuzz/corpus/$(@:fuzz-%=%)-work Fuzz/corpus/$(@:fuzz-%=%) $(if $(filter fuzz-csyntax,$@),fixtures/csyntax)

# Install like a real tool: the release binary, a man page generated from the commands' own
# help (swift-argument-parser's generate-manual plugin), and bash/zsh/fish completions where
# each shell looks for them. `make install PREFIX=/usr/local DESTDIR=/tmp/stage`.
PREFIX ?= /usr/local
DESTDIR ?=
# The plugin builds every product in release mode its own way: a scratch path of its own keeps
# it from rebuilding .build/release (and the other way round) at every install.
MANUAL := .build-man/plugins/GenerateManual/outputs/spw-review
man: deps
	$(SWIFT) package --scratch-path .build-man --disable-sandbox generate-manual --authors "the spw-review developers"

install: release man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 .build/release/spw-review $(DESTDIR)$(PREFIX)/bin/spw-review
	install -m 644 $(MANUAL)/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	.build/release/spw-review --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/spw-review
	.build/release/spw-review --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_spw-review
	.build/release/spw-review --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/spw-review.fish

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/spw-review $(DESTDIR)$(PREFIX)/share/man/man1/spw-review.1 \
		$(DESTDIR)$(PREFIX)/share/man/man1/spw-review.*.1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/spw-review \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_spw-review \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/spw-review.fish

clean:
	rm -rf .build .build-fuzz .build-man
