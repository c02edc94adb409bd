# The two wasm-bindgen builds: the core compiled to wasm32 with the `web` feature, wasm-bindgen
# `--target web` glue, and wasm-opt.
#   js/pkg/       features web,report: the Node shim (js/index.js) and the inspector page (www/);
#                 Node, browsers and workerd all load this one module.
#   js/pkg-gate/  feature web alone: the edge worker (js/worker.js, js/worker-node.js). It only
#                 decides, so it leaves out the inspection report: a smaller module to download
#                 and compile at cold start.
#
# Tools are installed here, idempotently: the rustup targets, wasm-bindgen-cli pinned to the
# exact version of the wasm-bindgen crate in Cargo.lock (under .tools/), and binaryen's wasm-opt
# from npm (js/package-lock.json). Debian's binaryen 108 corrupts wasm-bindgen output: it is
# never used.
.PHONY: wasm-tools build-wasm check-wasm-targets

TOOLS_DIR := $(CURDIR)/.tools
# The web build reads cargo's uplifted release/azlens.wasm, which every checkout sharing one
# CARGO_TARGET_DIR writes to the same path: build it in a directory of this checkout's own. The
# gate build has a directory of its own too: both builds write release/azlens.wasm, and under
# `make -j` one would overwrite the file the other's wasm-bindgen is reading.
CHECKOUT_ID := $(shell printf '%s' "$(CURDIR)" | cksum | cut -d' ' -f1)
WEB_TARGET_DIR := $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR)/web-$(CHECKOUT_ID),$(CURDIR)/target)
WEB_CARGO_WASM := $(WEB_TARGET_DIR)/wasm32-unknown-unknown/release/azlens.wasm
GATE_TARGET_DIR := $(WEB_TARGET_DIR)/gate
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/"/, "", $$3); print $$3 }' Cargo.lock)
WASM_BINDGEN := $(TOOLS_DIR)/bin/wasm-bindgen
WASM_OPT := $(CURDIR)/js/node_modules/.bin/wasm-opt
# -O3 over -Oz: measured in BENCHMARKS.md (size within a few per cent, speed kept).
WASM_OPT_FLAGS := -O3
WEB_WASM := js/pkg/azlens_bg.wasm
WEB_FEATURES := web,report
GATE_WASM := js/pkg-gate/azlens_bg.wasm
GATE_FEATURES := web
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

# One build: $(call wasm-build,FEATURES,OUT_DIR,CARGO_TARGET_DIR).
define wasm-build
	@echo "== cargo build --release --target wasm32-unknown-unknown --features $(1)"
	cargo build --release --lib --target wasm32-unknown-unknown --features $(1) --target-dir "$(3)"
	@echo "== wasm-bindgen --target web → $(2)/"
	rm -rf $(2)
	"$(WASM_BINDGEN)" --target web --out-dir $(2) --out-name azlens "$(3)/wasm32-unknown-unknown/release/azlens.wasm"
	@echo "== wasm-opt $(WASM_OPT_FLAGS) (binaryen from npm)"
	"$(WASM_OPT)" $(WASM_OPT_FLAGS) "$(2)/azlens_bg.wasm" -o "$(2)/azlens_bg.wasm.opt"
	mv "$(2)/azlens_bg.wasm.opt" "$(2)/azlens_bg.wasm"
	@printf '== %s: %s bytes, %s gzipped\n' "$(2)/azlens_bg.wasm" "$$(wc -c < $(2)/azlens_bg.wasm)" "$$(gzip -9c $(2)/azlens_bg.wasm | wc -c)"
endef

# File targets: with no source changed since the last build, `make build-wasm` (and `make serve`)
# does nothing. `build-web` is the page's and the Node shim's build alone.
WEB_SOURCES := $(shell find src -name '*.rs') Cargo.toml Cargo.lock mk/20-wasm.mk
.PHONY: build-web build-gate
build-wasm: $(WEB_WASM) $(GATE_WASM)
build-web: $(WEB_WASM)
build-gate: $(GATE_WASM)

$(WEB_WASM): $(WEB_SOURCES) | wasm-tools
	$(call wasm-build,$(WEB_FEATURES),js/pkg,$(WEB_TARGET_DIR))

$(GATE_WASM): $(WEB_SOURCES) | wasm-tools
	$(call wasm-build,$(GATE_FEATURES),js/pkg-gate,$(GATE_TARGET_DIR))

# Issue 2: the core without features builds for both wasm targets.
check-wasm-targets: .tools/rustup-targets
	@echo "== cargo build (core, no features) for wasm32-unknown-unknown and wasm32-wasip1"
	cargo build --lib --target wasm32-unknown-unknown
	cargo build --lib --target wasm32-wasip1

# Size of the web build at each stage, and of the gate build and the Envoy filter as shipped,
# written into BENCHMARKS.md's "Size" section.
.PHONY: bench-size
BENCH_TARGETS += bench-size
SIZE_TMP := $(WEB_TARGET_DIR)/azlens-size

bench-size: build-wasm build-envoy
	@echo "== wasm size by stage → BENCHMARKS.md"
	rm -rf "$(SIZE_TMP)" && mkdir -p "$(SIZE_TMP)"
	"$(WASM_BINDGEN)" --target web --out-dir "$(SIZE_TMP)" --out-name azlens "$(WEB_CARGO_WASM)"
	"$(WASM_OPT)" -Oz "$(SIZE_TMP)/azlens_bg.wasm" -o "$(SIZE_TMP)/Oz.wasm"
	node js/bench/size.mjs BENCHMARKS.md \
		"cargo build (before wasm-bindgen)=$(WEB_CARGO_WASM)" \
		"wasm-bindgen output=$(SIZE_TMP)/azlens_bg.wasm" \
		"wasm-opt -Oz (not used)=$(SIZE_TMP)/Oz.wasm" \
		"**shipped**: full web build, wasm-opt $(WASM_OPT_FLAGS), js/pkg/azlens_bg.wasm=$(WEB_WASM)" \
		"**shipped**: gate build (edge worker), wasm-opt $(WASM_OPT_FLAGS), js/pkg-gate/azlens_bg.wasm=$(GATE_WASM)" \
		"**shipped**: Envoy filter, wasm-opt $(WASM_OPT_FLAGS), azlens-envoy.wasm=$(ENVOY_WASM)"
