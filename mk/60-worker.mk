# The edge worker (js/worker.js, src/wasm/worker.rs): node --test suites that run it in workerd
# through Miniflare, with a key-set server and an upstream API on 127.0.0.1, plus wrangler's
# dry-run bundle of wrangler.toml. npm packages are pinned by tests/hosts/worker/package-lock.json:
# wrangler 4.86.0 (the last for Node 20) and the miniflare it ships with. Install scripts are not
# run: workerd and esbuild use their platform packages directly. Telemetry is off.
.PHONY: test-worker dev-worker test-dev-worker
TEST_TARGETS += test-worker
WORKER_TESTS := tests/hosts/worker

$(WORKER_TESTS)/node_modules/.installed: $(WORKER_TESTS)/package.json $(WORKER_TESTS)/package-lock.json
	@echo "== npm ci in $(WORKER_TESTS) (miniflare and wrangler 4.86.0, pinned by its lock file)"
	cd $(WORKER_TESTS) && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

test-worker: build $(WORKER_TESTS)/node_modules/.installed
	@echo "== node --test $(WORKER_TESTS) (js/worker.js in workerd via Miniflare, Node $$(node --version))"
	cd $(WORKER_TESTS) && WRANGLER_SEND_METRICS=false WRANGLER_HIDE_BANNER=true \
		node --test --test-concurrency=1 --test-timeout=180000 ./*.test.mjs

# The worker on this computer, offline, with wrangler.toml's [env.dev] (examples/worker-dev/dev.mjs:
# a key server and an upstream on 127.0.0.1, then `wrangler dev --env dev --local` on :8787).
dev-worker: build-wasm $(WORKER_TESTS)/node_modules/.installed
	node examples/worker-dev/dev.mjs

# The same recipe run once with --check, in a network namespace with loopback only (wrangler
# tries to reach Cloudflare even with --local; there it cannot).
test-dev-worker: build-wasm $(WORKER_TESTS)/node_modules/.installed
	@echo "== make dev-worker, checked once (unshare -rn: loopback only)"
	unshare -rn sh -c 'ip link set lo up && node examples/worker-dev/dev.mjs --check'
TEST_TARGETS += test-dev-worker
