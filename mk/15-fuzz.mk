# Fuzzing the core with cargo-fuzz (libFuzzer). Not part of `make test`: run `make fuzz`.
# cargo-fuzz needs nightly-only rustc flags (-Zsanitizer); this toolchain is stable, so the
# build runs with RUSTC_BOOTSTRAP=1, which unlocks them on a stable compiler.
.PHONY: fuzz fuzz-tools
CARGO_FUZZ_VERSION := 0.13.2
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := verify keys inspect ec_kernel
TOOLS_BIN := $(CURDIR)/.tools/bin

fuzz-tools:
	@if [ "$$($(TOOLS_BIN)/cargo-fuzz --version 2>/dev/null)" != "cargo-fuzz $(CARGO_FUZZ_VERSION)" ]; then \
	  echo "== installing cargo-fuzz $(CARGO_FUZZ_VERSION) into .tools/"; \
	  cargo install -j2 --root .tools cargo-fuzz --version $(CARGO_FUZZ_VERSION); \
	else echo "== cargo-fuzz $(CARGO_FUZZ_VERSION) already in .tools/"; fi

fuzz: fuzz-tools
	@for t in $(FUZZ_TARGETS); do \
	  echo "== fuzzing '$$t' for $(FUZZ_SECONDS) s (seeds: fuzz/seeds/$$t, tests/fixtures)"; \
	  mkdir -p fuzz/corpus/$$t fuzz/seeds/$$t; \
	  (cd fuzz && PATH="$(TOOLS_BIN):$$PATH" RUSTC_BOOTSTRAP=1 cargo fuzz run $$t \
	    corpus/$$t seeds/$$t ../tests/fixtures -- \
	    -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -print_final_stats=1) || exit 1; \
	done
	@echo "make fuzz: no crash in $(FUZZ_TARGETS) ($(FUZZ_SECONDS) s each)"
