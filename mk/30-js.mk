# The JS package: node --test suites over the real built WASM module, with loopback HTTP
# servers started by the tests; the same package inside workerd (miniflare, pinned by
# js/test/workerd/package-lock.json). Also checks that the core (no features) builds for both
# wasm targets, and that both wasm builds (web with and without report) are lint-clean.
.PHONY: test-js test-js-workerd lint-web
TEST_TARGETS += test-js
WORKERD_TEST_DEPS := js/test/workerd/node_modules/.package-lock.json

lint-web: .tools/rustup-targets
	@echo "== cargo clippy --features web(,report) --target wasm32-unknown-unknown -D warnings (both wasm builds)"
	cargo clippy --lib --features web,report --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --features web --target wasm32-unknown-unknown -- -D warnings

$(WORKERD_TEST_DEPS): js/test/workerd/package.json js/test/workerd/package-lock.json
	@echo "== npm ci in js/test/workerd/ (miniflare and workerd, for the workerd suite)"
	cd js/test/workerd && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

test-js-workerd: build-wasm $(WORKERD_TEST_DEPS)
	@echo "== node --test js/test/workerd/ (the package inside workerd)"
	WRANGLER_SEND_METRICS=false node --test js/test/workerd/*.test.js

test-js: build-wasm check-wasm-targets lint-web test-js-workerd
	@echo "== node --test js/test/ (Node $$(node --version))"
	node --test --test-timeout=300000 js/test/*.test.js
