# The web build: the core compiled to wasm32 with the `web` feature, wasm-bindgen `--target web`
# glue, and wasm-opt. One js/pkg/azlens_bg.wasm serves Node, browsers and workerd.
#
# Tools are installed here, idempotently: the rustup targets, wasm-bindgen-cli pinned to the
# exact version of the wasm-bindgen crate in Cargo.lock (under .tools/), and binaryen's wasm-opt
# from npm (js/package-lock.json). Debian's binaryen 108 corrupts wasm-bindgen output: it is
# never used.
.PHONY: wasm-tools build-wasm check-wasm-targets

TOOLS_DIR := $(CURDIR)/.tools
# The web build reads cargo's uplifted release/azlens.wasm, which every checkout sharing one
# CARGO_TARGET_DIR writes to the same path: build it in a directory of this checkout's own.
CHECKOUT_ID := $(shell printf '%s' "$(CURDIR)" | cksum | cut -d' ' -f1)
WEB_TARGET_DIR := $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR)/web-$(CHECKOUT_ID),$(CURDIR)/target)
WEB_CARGO_WASM := $(WEB_TARGET_DIR)/wasm32-unknown-unknown/release/azlens.wasm
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/"/, "", $$3); print $$3 }' Cargo.lock)
WASM_BINDGEN := $(TOOLS_DIR)/bin/wasm-bindgen
WASM_OPT := $(CURDIR)/js/node_modules/.bin/wasm-opt
# -O3 over -Oz: measured in BENCHMARKS.md (size within a few per cent, speed kept).
WASM_OPT_FLAGS := -O3
WEB_WASM := js/pkg/azlens_bg.wasm
BUILD_TARGETS += build-wasm

wasm-tools: $(WASM_BINDGEN).$(WASM_BINDGEN_VERSION) $(WASM_OPT) .tools/rustup-targets

.tools/rustup-targets:
	@echo "== rustup target add wasm32-unknown-unknown wasm32-wasip1"
	rustup target add wasm32-unknown-unknown wasm32-wasip1
	@mkdir -p .tools && touch $@

# A stamp per version: a Cargo.lock bump installs the matching CLI.
$(WASM_BINDGEN).$(WASM_BINDGEN_VERSION):
	@if [ -z "$(WASM_BINDGEN_VERSION)" ]; then echo "no wasm-bindgen in Cargo.lock" >&2; exit 1; fi
	@if [ -x "$(WASM_BINDGEN)" ] && [ "$$("$(WASM_BINDGEN)" --version)" = "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
		echo "== wasm-bindgen-cli $(WASM_BINDGEN_VERSION) already in .tools/"; \
	else \
		echo "== cargo install wasm-bindgen-cli $(WASM_BINDGEN_VERSION) into .tools/ (a few minutes, once)"; \
		cargo install -j2 --root "$(TOOLS_DIR)" wasm-bindgen-cli --version "$(WASM_BINDGEN_VERSION)"; \
	fi
	@touch $@

$(WASM_OPT): js/package.json js/package-lock.json
	@echo "== npm ci in js/ (binaryen's wasm-opt, pinned by js/package-lock.json)"
	cd js && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

# A file target: with no source changed since the last build, `make build-wasm` (and `make serve`)
# does nothing.
WEB_SOURCES := $(shell find src -name '*.rs') Cargo.toml Cargo.lock mk/20-wasm.mk
build-wasm: $(WEB_WASM)

$(WEB_WASM): $(WEB_SOURCES) | wasm-tools
	@echo "== cargo build --release --target wasm32-unknown-unknown --features web"
	cargo build --release --lib --target wasm32-unknown-unknown --features web --target-dir "$(WEB_TARGET_DIR)"
	@echo "== wasm-bindgen --target web → js/pkg/"
	rm -rf js/pkg
	"$(WASM_BINDGEN)" --target web --out-dir js/pkg --out-name azlens "$(WEB_CARGO_WASM)"
	@echo "== wasm-opt $(WASM_OPT_FLAGS) (binaryen from npm)"
	"$(WASM_OPT)" $(WASM_OPT_FLAGS) "$(WEB_WASM)" -o "$(WEB_WASM).opt"
	mv "$(WEB_WASM).opt" "$(WEB_WASM)"
	@printf '== %s: %s bytes, %s gzipped\n' "$(WEB_WASM)" "$$(wc -c < $(WEB_WASM))" "$$(gzip -9c $(WEB_WASM) | wc -c)"

# Issue 2: the core without features builds for both wasm targets.
check-wasm-targets: .tools/rustup-targets
	@echo "== cargo build (core, no features) for wasm32-unknown-unknown and wasm32-wasip1"
	cargo build --lib --target wasm32-unknown-unknown
	cargo build --lib --target wasm32-wasip1

# Size of the web build at each stage, written into BENCHMARKS.md's "Size" section.
.PHONY: bench-size
BENCH_TARGETS += bench-size
SIZE_TMP := $(WEB_TARGET_DIR)/azlens-size

bench-size: build-wasm
	@echo "== wasm size by stage → BENCHMARKS.md"
	rm -rf "$(SIZE_TMP)" && mkdir -p "$(SIZE_TMP)"
	"$(WASM_BINDGEN)" --target web --out-dir "$(SIZE_TMP)" --out-name azlens "$(WEB_CARGO_WASM)"
	"$(WASM_OPT)" -Oz "$(SIZE_TMP)/azlens_bg.wasm" -o "$(SIZE_TMP)/Oz.wasm"
	node js/bench/size.mjs BENCHMARKS.md \
		"cargo build (before wasm-bindgen)=$(WEB_CARGO_WASM)" \
		"wasm-bindgen output=$(SIZE_TMP)/azlens_bg.wasm" \
		"wasm-opt -Oz (not used)=$(SIZE_TMP)/Oz.wasm" \
		"**shipped**: wasm-opt $(WASM_OPT_FLAGS), js/pkg/azlens_bg.wasm=$(WEB_WASM)"
