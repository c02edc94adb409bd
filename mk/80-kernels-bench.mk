# Kernel-level benchmark of the wasm32 signature kernels (benches/wasm-kernels): azlens's
# signature checks as a bare wasm module in Node, next to node:crypto, WebCrypto and jose on the
# same keys and signatures. Not part of `make test`; prints a Markdown table.
.PHONY: bench-kernels
BENCH_TARGETS += bench-kernels

KERNELS_BENCH_DIR := benches/wasm-kernels
KERNELS_TARGET_DIR := $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR),$(CURDIR)/$(KERNELS_BENCH_DIR)/target)
KERNELS_WASM := $(KERNELS_TARGET_DIR)/wasm32-unknown-unknown/kernels-bench/azlens_wasm_kernels_bench.wasm
# Extra rustc flags for the benchmark build only, e.g. KERNELS_RUSTFLAGS="-C target-feature=+simd128".
KERNELS_RUSTFLAGS ?=

bench-kernels:
	@echo "== rustup target add wasm32-unknown-unknown (no-op when present)"
	rustup target add wasm32-unknown-unknown
	@echo "== building the bare wasm benchmark module"
	CARGO_TARGET_DIR="$(KERNELS_TARGET_DIR)" RUSTFLAGS="$(KERNELS_RUSTFLAGS)" \
	  cargo build --manifest-path $(KERNELS_BENCH_DIR)/Cargo.toml --profile kernels-bench --target wasm32-unknown-unknown
	@echo "== npm ci in $(KERNELS_BENCH_DIR) (jose, pinned by package-lock.json)"
	@if [ ! -d $(KERNELS_BENCH_DIR)/node_modules/jose ]; then cd $(KERNELS_BENCH_DIR) && npm ci --no-audit --no-fund; fi
	@echo "== timing (CPU time per verification, best of interleaved rounds)"
	node $(KERNELS_BENCH_DIR)/bench.mjs "$(KERNELS_WASM)"
