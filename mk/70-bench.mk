# Benchmarks (issue 8): `make bench` runs every measurement in bench/ and rewrites BENCHMARKS.md
# from their results (target/bench/results/*.json). Nothing here is part of `make test`.
#
# The pieces run one after the other even under `make -j` (order-only prerequisites chain them):
# two benchmarks sharing two cores would measure each other. Quick runs: BENCH_ROUNDS=3.
.PHONY: bench-deps bench-fixtures bench-verify-node bench-verify-native bench-inspect-node \
	bench-coldstart-node bench-coldstart-envoy bench-worker bench-envoy bench-wrk bench-report

BENCH_OUT := $(CURDIR)/target/bench
BENCH_RESULTS := $(BENCH_OUT)/results
BENCH_FIXTURES := $(BENCH_OUT)/fixtures/fixtures.json
BENCH_NODE_DEPS := bench/node_modules/.package-lock.json
BENCH_CARGO_TARGET := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
BENCH_NATIVE := $(BENCH_CARGO_TARGET)/release/azlens-bench-native
BENCH_EMPTY_FILTER := $(BENCH_CARGO_TARGET)/wasm32-wasip1/release/azlens_bench_empty_filter.wasm
BENCH_ROUNDS ?= 9
BENCH_ROUND_MS ?= 300
export BENCH_ROUNDS BENCH_ROUND_MS

BENCH_TARGETS += bench-report
bench: build

# jose (and miniflare's workerd) pinned by bench/package-lock.json.
bench-deps: $(BENCH_NODE_DEPS)
$(BENCH_NODE_DEPS): bench/package.json bench/package-lock.json
	@echo "== npm ci in bench/ (jose, miniflare: pinned by bench/package-lock.json)"
	cd bench && npm ci --no-audit --no-fund
	@touch $@

# Fresh keys and tokens for every run; results of earlier runs are removed so a piece that does
# not run this time cannot leave an old number in BENCHMARKS.md. Every build and install comes
# first (order-only), so under `make -j` no compiler runs beside a measurement.
bench-fixtures: | build bench-size $(BENCH_NATIVE) $(BENCH_EMPTY_FILTER) bench-deps bench-wrk $(ENVOY_VENV)/.installed
	@echo "== bench fixtures: keys and tokens for every algorithm → $(BENCH_FIXTURES)"
	rm -rf "$(BENCH_RESULTS)" && mkdir -p "$(BENCH_RESULTS)"
	node bench/fixtures.mjs

bench-verify-node: build-wasm bench-deps bench-fixtures
	@echo "== verification in Node: azlens WASM vs jose (WebCrypto), interleaved rounds"
	node bench/verify-node.mjs

# The native crate's lock file starts as a copy of azlens's own, so azlens is built with the same
# crates it ships with; cargo adds ring (pinned in bench/native/Cargo.toml) to it.
bench/native/Cargo.lock: Cargo.lock
	cp Cargo.lock $@

$(BENCH_NATIVE): bench/native/Cargo.toml bench/native/Cargo.lock bench/native/src/main.rs Cargo.toml $(wildcard src/*.rs src/*/*.rs src/*/*/*.rs)
	@echo "== cargo build --release bench/native (azlens native and ring; ring stays out of azlens's own dependencies)"
	cargo build --release --manifest-path bench/native/Cargo.toml --target-dir "$(BENCH_CARGO_TARGET)"

bench-verify-native: $(BENCH_NATIVE) bench-fixtures | bench-verify-node
	@echo "== native verification: azlens vs ring, interleaved rounds"
	"$(BENCH_NATIVE)" "$(BENCH_FIXTURES)" "$(BENCH_RESULTS)/verify-native.json" $(BENCH_ROUNDS) $(BENCH_ROUND_MS)

bench-inspect-node: build-wasm bench-deps bench-fixtures | bench-verify-native
	@echo "== inspect() in Node: azlens vs jose decodeJwt + decodeProtectedHeader"
	node bench/inspect-node.mjs

# The sizes of the three builds (web, gate, Envoy filter: mk/20-wasm.mk, mk/40-envoy.mk), and cold
# start of the two wasm-bindgen builds in fresh Node processes.
bench-coldstart-node: build-wasm build-envoy bench-deps bench-fixtures | bench-inspect-node
	@echo "== wasm sizes, and cold start in fresh Node processes: azlens full and gate builds vs jose"
	AZLENS_ENVOY_WASM="$(ENVOY_WASM)" node bench/coldstart-node.mjs

# The Envoy filter's cold start: fresh Envoy processes, start to first answered request, against
# the same bootstrap with an empty wasm filter and with none.
bench-coldstart-envoy: build-envoy $(BENCH_EMPTY_FILTER) $(ENVOY_VENV)/.installed bench-fixtures | bench-coldstart-node
	@echo "== Envoy cold start: start → first answered request, azlens filter vs empty wasm filter vs no filter"
	"$(ENVOY_VENV)/bin/python" bench/coldstart-envoy.py "$(BENCH_OUT)/fixtures" "$(BENCH_RESULTS)/coldstart-envoy.json" "$(ENVOY_WASM)" "$(BENCH_EMPTY_FILTER)"

# wrk from Debian, installed when missing (the host load tests use it).
.PHONY: bench-wrk
bench-wrk:
	@if command -v wrk >/dev/null; then echo "== wrk: $$(command -v wrk)"; else \
		echo "== apt-get install -y wrk (the load generator of the worker and Envoy benchmarks)"; \
		apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }; fi

bench-worker: build-wasm bench-deps bench-fixtures bench-wrk | bench-coldstart-envoy
	@echo "== edge worker under load in workerd (miniflare): azlens vs jose vs no verification"
	WRANGLER_SEND_METRICS=false node bench/worker.mjs

# The Envoy filter, Envoy and its venv come from mk/40-envoy.mk; Envoy is started with the
# Envoy suite's harness (tests/hosts/envoy/harness.py).
# The floor beside azlens: a proxy-wasm filter that does nothing (bench/empty-filter), built with
# the same crate versions (its lock file starts as a copy of azlens's, as bench/native's does).
bench/empty-filter/Cargo.lock: Cargo.lock
	cp Cargo.lock $@

$(BENCH_EMPTY_FILTER): bench/empty-filter/Cargo.toml bench/empty-filter/Cargo.lock bench/empty-filter/src/lib.rs
	@echo "== cargo build --release bench/empty-filter (a proxy-wasm filter that does nothing: the floor)"
	cargo build --release --target wasm32-wasip1 --manifest-path bench/empty-filter/Cargo.toml --target-dir "$(BENCH_CARGO_TARGET)"

bench-envoy: build-envoy $(BENCH_EMPTY_FILTER) $(ENVOY_VENV)/.installed bench-fixtures bench-wrk | bench-worker
	@echo "== Envoy under load: azlens filter vs jwt_authn vs an empty wasm filter vs no auth (one Envoy, five listeners)"
	"$(ENVOY_VENV)/bin/python" bench/envoy-load.py "$(BENCH_OUT)/fixtures" "$(BENCH_RESULTS)/envoy.json" "$(ENVOY_WASM)" "$(BENCH_EMPTY_FILTER)"

BENCH_PIECES := bench-verify-node bench-verify-native bench-inspect-node bench-coldstart-node \
	bench-coldstart-envoy bench-worker bench-envoy

bench-report: bench-size $(BENCH_PIECES)
	@echo "== BENCHMARKS.md from $(BENCH_RESULTS)/*.json"
	node bench/report.mjs

# Recovery times of the key cache (new key, outage) in the three hosts: the JS shim in Node, the
# edge worker in workerd, the filter in a real Envoy; one block in BENCHMARKS.md, kept by
# bench-report. Runs before the report under `make bench`; alone: `make bench-recovery`.
.PHONY: bench-recovery
BENCH_TARGETS += bench-recovery
BENCH_RECOVERY := $(BENCH_OUT)/recovery
# Under `make bench` it comes after the load pieces (two benchmarks must not share the cores).
BENCH_RECOVERY_AFTER := $(if $(filter bench bench-report,$(MAKECMDGOALS)),bench-envoy)
bench-recovery: build-wasm build-envoy $(ENVOY_VENV)/.installed $(WORKER_TESTS)/node_modules/.installed | $(BENCH_RECOVERY_AFTER)
	@echo "== recovery of the key cache (new key, outage): JS shim in Node, edge worker in workerd, filter in Envoy → BENCHMARKS.md"
	rm -rf "$(BENCH_RECOVERY)" && mkdir -p "$(BENCH_RECOVERY)"
	node bench/recovery-node.mjs "$(BENCH_RECOVERY)/node.json"
	node bench/recovery-worker.mjs "$(BENCH_RECOVERY)/worker.json"
	"$(ENVOY_VENV)/bin/python" bench/recovery-envoy.py "$(BENCH_RECOVERY)/envoy.json" "$(ENVOY_WASM)"
	node bench/recovery-report.mjs "$(BENCH_RECOVERY)/node.json" "$(BENCH_RECOVERY)/worker.json" "$(BENCH_RECOVERY)/envoy.json"
bench-report: | bench-recovery
