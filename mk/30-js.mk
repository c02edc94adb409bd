# The JS package: node --test suites over the real built WASM module, with loopback HTTP
# servers started by the tests. Also checks that the core (no features) builds for both wasm
# targets, and that the web feature is lint-clean for wasm32.
.PHONY: test-js lint-web
TEST_TARGETS += test-js

lint-web: .tools/rustup-targets
	@echo "== cargo clippy --features web --target wasm32-unknown-unknown -D warnings"
	cargo clippy --lib --features web --target wasm32-unknown-unknown -- -D warnings

test-js: build-wasm check-wasm-targets lint-web
	@echo "== node --test js/test/ (Node $$(node --version))"
	node --test js/test/*.test.js
