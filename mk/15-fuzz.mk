# Fuzzing the core with cargo-fuzz (libFuzzer). `make fuzz` runs every target for FUZZ_SECONDS
# (60) each; `make fuzz-ci`, part of `make test`, runs each for FUZZ_CI_SECONDS (20) from the
# seeds alone, so a fresh machine pays about two minutes plus the fuzz build.
# cargo-fuzz needs nightly-only rustc flags (-Zsanitizer); this toolchain is stable, so the
# build runs with RUSTC_BOOTSTRAP=1, which unlocks them on a stable compiler.
.PHONY: fuzz fuzz-ci fuzz-tools
TEST_TARGETS += fuzz-ci
CARGO_FUZZ_VERSION := 0.13.2
FUZZ_SECONDS ?= 60
FUZZ_CI_SECONDS ?= 20
FUZZ_TARGETS := verify keys inspect ec_kernel guard policy
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

# Bounded: the seeds and a scratch corpus (removed after), -max_total_time per target, one
# build of every target first. A crash fails the run and leaves its input in fuzz/artifacts/.
fuzz-ci: fuzz-tools
	@echo "== cargo fuzz build (all targets: $(FUZZ_TARGETS))"
	cd fuzz && PATH="$(TOOLS_BIN):$$PATH" RUSTC_BOOTSTRAP=1 cargo fuzz build
	@for t in $(FUZZ_TARGETS); do \
	  echo "== fuzzing '$$t' for $(FUZZ_CI_SECONDS) s"; \
	  scratch=$$(mktemp -d); mkdir -p fuzz/seeds/$$t; \
	  (cd fuzz && PATH="$(TOOLS_BIN):$$PATH" RUSTC_BOOTSTRAP=1 cargo fuzz run $$t \
	    $$scratch seeds/$$t ../tests/fixtures -- \
	    -max_total_time=$(FUZZ_CI_SECONDS) -rss_limit_mb=2048 -print_final_stats=1 2>&1 \
	    | grep -E '^(stat::number_of_executed_units|==|SUMMARY|Done)|panicked|ERROR' ) \
	    || { rm -rf $$scratch; echo "fuzz target '$$t' failed: see fuzz/artifacts/$$t/"; exit 1; }; \
	  rm -rf $$scratch; \
	done
	@echo "make fuzz-ci: no crash in $(FUZZ_TARGETS) ($(FUZZ_CI_SECONDS) s each)"
