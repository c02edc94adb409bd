# The Rust core: formatting, lints, unit and integration tests.
.PHONY: test-rust lint
TEST_TARGETS += test-rust

# Clippy runs twice: with the inspection report (cli implies report) and without it, as the
# gateways are built (the edge worker's js/pkg-gate/, the Envoy filter).
lint:
	@echo "== cargo fmt --check, cargo clippy -D warnings (with and without feature report)"
	cargo fmt --all -- --check
	cargo clippy --all-targets --features cli,envoy -- -D warnings
	cargo clippy --all-targets --features envoy -- -D warnings
	@echo "== cargo doc -D warnings (the crate's documentation builds clean)"
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --lib --features envoy,report

test-rust: lint
	@echo "== cargo test (core, the report and the CLI: feature cli; the Envoy host's plain-Rust parts: feature envoy)"
	cargo test --features cli,envoy
