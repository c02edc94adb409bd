# azlens — the two set-up commands are `make serve` and `make test`; everything they need is
# installed by the targets themselves (see mk/*.mk). Each area of the project keeps its own
# fragment in mk/ and adds its suite to TEST_TARGETS.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
export CARGO_BUILD_JOBS ?= 2
export CARGO_TERM_COLOR ?= never

TEST_TARGETS :=
BUILD_TARGETS :=
BENCH_TARGETS :=

include $(sort $(wildcard mk/*.mk))

.PHONY: help build test bench
help:
	@echo "make serve   build the page's module (js/pkg/) and serve the inspector on http://127.0.0.1:8080"
	@echo "make test    run every test suite (installs what it needs)"
	@echo "make build   build the WASM modules and the JS package: js/pkg/ (full: Node, the page),"
	@echo "             js/pkg-gate/ (the edge worker: no inspection report), the Envoy filter"
	@echo "make bench   run the benchmarks and rewrite BENCHMARKS.md"

build: $(BUILD_TARGETS)

test: $(TEST_TARGETS)
	@echo "make test: all suites passed ($(TEST_TARGETS))"

bench: $(BENCH_TARGETS)
