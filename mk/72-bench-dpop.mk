# The added cost of a DPoP check (issue 16): its own block in BENCHMARKS.md, kept by
# bench-report. Under `make bench` it runs after the other pieces (two benchmarks must not share
# the cores); alone: `make bench-dpop` (quick: BENCH_ROUNDS=3).
.PHONY: bench-dpop
BENCH_TARGETS += bench-dpop
BENCH_DPOP_AFTER := $(if $(filter bench bench-report,$(MAKECMDGOALS)),bench-recovery)
bench-dpop: build-wasm | $(BENCH_DPOP_AFTER)
	@echo "== the added cost of a DPoP check in Node (decide(): bearer vs DPoP-bound) → BENCHMARKS.md"
	node bench/dpop-node.mjs
bench-report: | bench-dpop
