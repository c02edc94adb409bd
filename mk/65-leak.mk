# The leak test (issue 13): a real FHIR engine (Medplum's fhir-router on its in-memory repository,
# tests/hosts/fhir, npm packages pinned by its package-lock.json, install scripts not run) holding
# patients A and B, behind the edge worker (tests/hosts/worker/leak.test.mjs, part of test-worker)
# and behind Envoy (tests/hosts/envoy/test_leak.py, part of test-envoy). Both suites need the FHIR
# engine installed; `make test-leak` runs just the two leak tests.
.PHONY: test-leak
FHIR_SERVER := tests/hosts/fhir

$(FHIR_SERVER)/node_modules/.installed: $(FHIR_SERVER)/package.json $(FHIR_SERVER)/package-lock.json
	@echo "== npm ci in $(FHIR_SERVER) (@medplum/fhir-router, core, definitions 5.2.13, pinned by its lock file)"
	cd $(FHIR_SERVER) && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

test-js test-worker test-envoy: $(FHIR_SERVER)/node_modules/.installed

test-leak: build build-envoy $(ENVOY_VENV)/.installed $(WORKER_TESTS)/node_modules/.installed $(FHIR_SERVER)/node_modules/.installed
	@echo "== leak test through the worker (workerd) and through Envoy, in front of a real FHIR engine"
	rc=0; \
	(cd $(WORKER_TESTS) && WRANGLER_SEND_METRICS=false WRANGLER_HIDE_BANNER=true \
		node --test --test-timeout=180000 ./leak.test.mjs) || rc=1; \
	(cd tests/hosts/envoy && AZLENS_ENVOY_WASM=$(ENVOY_WASM) \
		$(CURDIR)/$(ENVOY_VENV)/bin/pytest -p no:cacheprovider -q -s test_leak.py) || rc=1; \
	exit $$rc
