# The Rust core: formatting, lints, unit and integration tests.
.PHONY: test-rust lint
TEST_TARGETS += test-rust

lint:
	@echo "== cargo fmt --check, cargo clippy -D warnings"
	cargo fmt --all -- --check
	cargo clippy --all-targets --features cli,envoy -- -D warnings
	@echo "== cargo doc -D warnings (the crate's documentation builds clean)"
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --lib --features envoy

test-rust: lint
	@echo "== cargo test (core, and the Envoy host's plain-Rust parts: feature envoy)"
	cargo test --features cli,envoy
