# The inspector page (www/): `make serve` builds the wasm package and serves the page on
# http://127.0.0.1:8080; `make test-www` drives it in Debian's Chromium with playwright-core.
#
# Installed here, idempotently: playwright-core from npm (pinned by www/package-lock.json; it
# never downloads a browser) and Debian's `chromium` package when /usr/bin/chromium is missing.
.PHONY: serve test-www www-deps chromium demo-token

CHROMIUM ?= /usr/bin/chromium
PORT ?= 8080
TEST_TARGETS += test-www

www/node_modules/.installed: www/package.json www/package-lock.json
	@echo "== npm ci in www/ (playwright-core, pinned by www/package-lock.json; no browser download)"
	cd www && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	@touch $@

www-deps: www/node_modules/.installed

chromium:
	@if [ -x "$(CHROMIUM)" ]; then \
		echo "== $(CHROMIUM) is installed ($$("$(CHROMIUM)" --version 2>/dev/null | head -n1))"; \
	else \
		echo "== apt-get install chromium (Debian's package; the browser tests drive it)"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

# The page needs only the full web build, js/pkg/ (skipped when nothing changed): not the edge
# worker's gate build, not the Envoy filter.
serve: build-web
	@echo "== serving www/ and js/ on http://127.0.0.1:$(PORT) (Ctrl-C stops)"
	node www/serve.mjs --port $(PORT)

test-www: build www-deps chromium
	@echo "== browser tests of the inspector page (Chromium $(CHROMIUM), screenshots in target/screenshots/)"
	cd www && CHROMIUM="$(CHROMIUM)" node --test --test-concurrency=1 --test-timeout=300000 test/*.test.mjs

# The committed demo token and key set (www/demo/): regenerate only on purpose.
demo-token:
	node www/demo/make-demo.mjs
