// The leak suite: two patients' records (fixtures), the requests patient A's app sends through a
// gateway, and the one checker that reads every response for patient B's data.
//
// Ownership: every fixture carries meta.tag {system: TAG_SYSTEM, code: 'A' | 'B' | 'shared'}. A
// resource is B's when its subject/patient is B, even if it mentions A (focus, performer...).
// `shared` is a resource that HL7's Patient compartment puts in both compartments (a Group with
// both members; an Observation about B that A performed, in A's compartment by `performer`).
// The checker flags, anywhere in a response body (Bundle entries, contained, included, history,
// batch responses, NDJSON lines, GraphQL data), any object tagged B or naming one of B's
// resources by `resourceType` + `id`. Requests sent with the category-restricted token also must
// not return an Observation outside `laboratory`.
//
// Requests are raw HTTP written to a socket (node:net), so targets such as `/fhir//Patient/B`,
// `/health/../fhir/Patient/B` or `/fhir/Patient/%42` reach the gateway byte for byte.

import net from 'node:net';

export const TAG_SYSTEM = 'urn:azlens:leak-test';
const LAB = 'http://terminology.hl7.org/CodeSystem/observation-category';

const tag = (code) => ({ meta: { tag: [{ system: TAG_SYSTEM, code }] } });
const ref = (r) => ({ reference: r });
const cat = (code) => [{ coding: [{ system: LAB, code }] }];
const obs = (id, owner, subject, category, extra = {}) => ({
  resourceType: 'Observation',
  id,
  ...tag(owner),
  status: 'final',
  category: cat(category),
  code: { coding: [{ system: 'http://loinc.org', code: category === 'laboratory' ? '2339-0' : '8867-4' }], text: id },
  subject: ref(subject),
  ...extra,
});

/** The records loaded into the FHIR server at start (ids fixed; Medplum keeps chosen ids). */
export const FIXTURES = [
  { resourceType: 'Patient', id: 'A', ...tag('A'), name: [{ family: 'Anders', given: ['Alice'] }], gender: 'female', birthDate: '1980-01-01', link: [{ other: ref('Patient/B'), type: 'seealso' }] },
  { resourceType: 'Patient', id: 'B', ...tag('B'), name: [{ family: 'Bauer', given: ['Bob'] }], gender: 'male', birthDate: '1970-02-02' },
  // B's other record, linked to B (in B's compartment by Patient.link).
  { resourceType: 'Patient', id: 'B2', ...tag('B'), name: [{ family: 'Bauer', given: ['Robert'] }], gender: 'male', birthDate: '1970-02-02', link: [{ other: ref('Patient/B'), type: 'replaced-by' }] },
  { resourceType: 'Encounter', id: 'enc-a', ...tag('A'), status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: ref('Patient/A') },
  { resourceType: 'Encounter', id: 'enc-b', ...tag('B'), status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: ref('Patient/B') },
  obs('obs-a-lab', 'A', 'Patient/A', 'laboratory', { encounter: ref('Encounter/enc-a') }),
  obs('obs-a-vital', 'A', 'Patient/A', 'vital-signs'),
  obs('obs-b-lab', 'B', 'Patient/B', 'laboratory', { encounter: ref('Encounter/enc-b') }),
  obs('obs-b-vital', 'B', 'Patient/B', 'vital-signs'),
  // A's observation about B (focus is no compartment link), and B's about A.
  obs('obs-a-focus-b', 'A', 'Patient/A', 'laboratory', { focus: [ref('Patient/B')] }),
  obs('obs-b-focus-a', 'B', 'Patient/B', 'laboratory', { focus: [ref('Patient/A')] }),
  // Performer variations: A's observation performed by B; B's performed by A (then in A's
  // compartment too, by `performer`: shared); A's pointing at B's encounter (bad data, real life).
  obs('obs-a-perf-b', 'A', 'Patient/A', 'laboratory', { performer: [ref('Patient/B')] }),
  obs('obs-b-perf-a', 'shared', 'Patient/B', 'vital-signs', { performer: [ref('Patient/A')] }),
  obs('obs-a-enc-b', 'A', 'Patient/A', 'laboratory', { encounter: ref('Encounter/enc-b') }),
  // An observation with a contained copy of B's data (contained resources are checked too).
  obs('obs-b-contained', 'B', 'Patient/B', 'laboratory', { contained: [{ resourceType: 'Patient', id: 'pb', ...tag('B'), name: [{ family: 'Bauer' }] }] }),
  { resourceType: 'Condition', id: 'cond-a', ...tag('A'), subject: ref('Patient/A'), encounter: ref('Encounter/enc-a'), code: { text: 'asthma' }, evidence: [{ detail: [ref('Observation/obs-b-lab')] }] },
  { resourceType: 'Condition', id: 'cond-b', ...tag('B'), subject: ref('Patient/B'), encounter: ref('Encounter/enc-b'), code: { text: 'diabetes' }, asserter: ref('Patient/B') },
  { resourceType: 'Provenance', id: 'prov-a', ...tag('A'), target: [ref('Patient/A'), ref('Observation/obs-a-lab')], recorded: '2024-01-01T00:00:00Z', agent: [{ who: ref('Patient/A') }] },
  { resourceType: 'Provenance', id: 'prov-b', ...tag('B'), target: [ref('Patient/B'), ref('Observation/obs-b-lab')], recorded: '2024-01-01T00:00:00Z', agent: [{ who: ref('Patient/B') }] },
  // Provenance of A's observation whose agent is B (B's: it records what B did).
  { resourceType: 'Provenance', id: 'prov-b-on-a', ...tag('B'), target: [ref('Observation/obs-a-vital')], recorded: '2024-01-02T00:00:00Z', agent: [{ who: ref('Patient/B') }] },
  { resourceType: 'Group', id: 'grp-ab', ...tag('shared'), type: 'person', actual: true, member: [{ entity: ref('Patient/A') }, { entity: ref('Patient/B') }] },
];

/** Updates applied after loading, so that every level of `_history` has several versions. */
export const UPDATES = [
  { ...FIXTURES[0], telecom: [{ system: 'phone', value: '555-0100' }] },
  { ...FIXTURES[0], telecom: [{ system: 'phone', value: '555-0101' }] },
  { ...FIXTURES[1], telecom: [{ system: 'phone', value: '555-0200' }] },
  { ...FIXTURES[1], telecom: [{ system: 'phone', value: '555-0201' }] },
  { ...FIXTURES.find((r) => r.id === 'obs-b-lab'), valueQuantity: { value: 7.1, unit: 'mmol/L' } },
  { ...FIXTURES.find((r) => r.id === 'cond-b'), clinicalStatus: { text: 'active' } },
];

/** `Type/id` of every resource that is B's. */
export const B_RESOURCES = new Set(
  FIXTURES.filter((r) => r.meta.tag[0].code === 'B').flatMap((r) => [
    `${r.resourceType}/${r.id}`,
    ...(r.contained ?? []).map((c) => `${c.resourceType}/${c.id}`),
  ]),
);

/** SMART scopes of the tokens the suite uses; every token's `patient` is A. */
export const TOKEN_SCOPES = {
  full: 'launch/patient openid fhirUser patient/Patient.rs patient/Observation.rs patient/Encounter.rs patient/Condition.rs patient/Provenance.rs',
  lab: 'launch/patient patient/Patient.rs patient/Observation.rs?category=laboratory',
  write: 'launch/patient patient/Patient.rs patient/Observation.cruds patient/Condition.cruds patient/Encounter.rs',
};
export const PATIENT = 'A';

// --- The checker ---------------------------------------------------------------------------------

function isBTagged(o) {
  return Array.isArray(o?.meta?.tag) && o.meta.tag.some((t) => t?.system === TAG_SYSTEM && t?.code === 'B');
}

function walk(value, visit, depth = 0) {
  if (depth > 64 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) walk(v, visit, depth + 1);
    return;
  }
  visit(value);
  for (const v of Object.values(value)) walk(v, visit, depth + 1);
}

/** The JSON values in a body: one JSON document, or NDJSON lines; [] when neither. */
function jsonValues(text) {
  try {
    return [JSON.parse(text)];
  } catch {
    const out = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        // not JSON
      }
    }
    return out;
  }
}

const B_TAG_TEXT = new RegExp(`"system"\\s*:\\s*"${TAG_SYSTEM}"\\s*,\\s*"code"\\s*:\\s*"B"`);

/**
 * What in `bodyText` is patient B's (and, with `labOnly`, which Observations are not laboratory).
 * Returns a list of short descriptions; empty when nothing leaked.
 */
export function findLeaks(bodyText, { labOnly = false } = {}) {
  const found = new Set();
  const values = jsonValues(bodyText);
  for (const v of values) {
    walk(v, (o) => {
      const key = typeof o.resourceType === 'string' && typeof o.id === 'string' ? `${o.resourceType}/${o.id}` : null;
      if (isBTagged(o)) found.add(`B-tagged ${key ?? 'object'}`);
      else if (key && B_RESOURCES.has(key)) found.add(`B's ${key}`);
      if (labOnly && o.resourceType === 'Observation' && key) {
        const codes = (o.category ?? []).flatMap((c) => (c.coding ?? []).map((x) => x.code));
        if (!codes.includes('laboratory')) found.add(`non-laboratory ${key} (token grants laboratory only)`);
      }
    });
  }
  if (values.length === 0 && B_TAG_TEXT.test(bodyText)) found.add('B-tagged data in a non-JSON body');
  return [...found];
}

/** `Type/id` of every resource (with resourceType and id) found anywhere in the body. */
export function resourcesIn(bodyText) {
  const out = new Set();
  for (const v of jsonValues(bodyText)) {
    walk(v, (o) => {
      if (typeof o.resourceType === 'string' && typeof o.id === 'string') out.add(`${o.resourceType}/${o.id}`);
    });
  }
  return out;
}

// --- The requests ----------------------------------------------------------------------------------

const FORM = 'application/x-www-form-urlencoded';
const FHIR_JSON = 'application/fhir+json';

/**
 * The crafted requests. Each: { cls, name, method, target, headers?, body?, token: 'full' | 'lab'
 * | 'write' | null, write?: true (may change data: sent last) }. `base` is the gateway's origin
 * (for absolute references).
 */
export function attacks(base = 'http://127.0.0.1') {
  const out = [];
  const add = (cls, method, target, opts = {}) =>
    out.push({ cls, name: opts.name ?? `${method} ${target}`, method, target, token: 'full', ...opts });

  // 1. Path tricks: open routes then `..`, encodings, empty segments, path parameters.
  const targets = [
    'Patient/B', 'Observation/obs-b-lab', 'Observation?patient=B', 'Patient/B/Observation', 'Patient/B/_history',
  ];
  const prefixes = [
    (t) => `/health/../fhir/${t}`,
    (t) => `/health/%2e%2e/fhir/${t}`,
    (t) => `/health/%2E%2E/fhir/${t}`,
    (t) => `/health/..;/fhir/${t}`,
    (t) => `/health/..%2ffhir/${t}`,
    (t) => `/health%2f..%2ffhir/${t}`,
    (t) => `/health/..\\fhir/${t}`,
    (t) => `/.well-known/../fhir/${t}`,
    (t) => `/.well-known/smart-configuration/../../fhir/${t}`,
    (t) => `/.well-known/%2e%2e/fhir/${t}`,
    (t) => `//fhir/${t}`,
    (t) => `/fhir//${t}`,
    (t) => `/./fhir/${t}`,
    (t) => `/fhir/./${t}`,
    (t) => `/fhir;x/${t}`,
    (t) => `/%66hir/${t}`,
    (t) => `/fhir%2f${t}`,
    (t) => `/fhir/Patient/A/../../${t}`,
    (t) => `/fhir/Patient/A/%2e%2e/%2e%2e/${t}`,
    (t) => `/fhir/Patient/A/..;/..;/${t}`,
    (t) => `\\fhir\\${t.replaceAll('/', '\\')}`,
    (t) => `/FHIR/../fhir/${t}`,
  ];
  for (const p of prefixes) {
    for (const t of targets.slice(0, 3)) add('path-tricks', 'GET', p(t));
  }
  for (const t of targets.slice(3)) {
    add('path-tricks', 'GET', `/health/../fhir/${t}`);
    add('path-tricks', 'GET', `//fhir/${t}`);
  }
  // The same with no token at all: the open routes must not open the FHIR API.
  for (const p of prefixes.slice(0, 10)) add('path-tricks', 'GET', p('Patient/B'), { token: null, name: `no token: GET ${p('Patient/B')}` });
  add('path-tricks', 'GET', '/fhir/Patient/%42');
  add('path-tricks', 'GET', '/fhir/Patient/B%2f');
  add('path-tricks', 'GET', '/fhir/Patient/A%2f..%2fB');
  add('path-tricks', 'GET', '/fhir/Patient/A;B/../B');
  add('path-tricks', 'GET', '/fhir/Patient/B;x');
  add('path-tricks', 'GET', '/fhir/Patient/B/');
  add('path-tricks', 'GET', '/fhir/Patient/B/.');
  add('path-tricks', 'GET', '/fhir/Patient/A/../B');
  add('path-tricks', 'GET', '/fhir/Patient/%2e%2e/Patient/B');
  add('path-tricks', 'GET', '/fhir/Observation/obs-b-lab%3Fpatient=A');
  add('path-tricks', 'GET', '/fhir/Observation%3Fpatient=B');
  add('path-tricks', 'GET', `${base}/fhir/Patient/B`, { name: 'absolute-form target http://…/fhir/Patient/B' });
  add('path-tricks', 'GET', `http://evil.example/health/../fhir/Patient/B`, { name: 'absolute-form target with another host and ..' });

  // 2. _history at every level: patient=/_id= do not confine type or system history.
  for (const q of ['', '?patient=A', '?_id=A', '?subject=Patient/A', '?patient=A&_count=100']) {
    add('history', 'GET', `/fhir/Observation/_history${q}`);
  }
  for (const q of ['', '?_id=A', '?link=Patient/A']) add('history', 'GET', `/fhir/Patient/_history${q}`);
  for (const q of ['', '?patient=A', '?_type=Observation&patient=A']) add('history', 'GET', `/fhir/_history${q}`);
  add('history', 'GET', '/fhir/Condition/_history?patient=A');
  add('history', 'GET', '/fhir/Encounter/_history?patient=A');
  add('history', 'GET', '/fhir/Provenance/_history?patient=A');
  add('history', 'GET', '/fhir/Patient/B/_history');
  add('history', 'GET', '/fhir/Observation/obs-b-lab/_history');
  add('history', 'GET', '/fhir/Observation/obs-b-lab/_history?patient=A');
  add('history', 'GET', '/fhir/Patient/A/_history/../../B/_history');
  add('history', 'GET', '/fhir/Patient/A/Observation/_history');

  // 3. _include / _revinclude through references that leave A's compartment.
  const inc = [
    'Observation?patient=A&_include=Observation:focus',
    'Observation?patient=A&_include=Observation:performer',
    'Observation?patient=A&_include=Observation:encounter',
    'Observation?patient=A&_include=Observation:performer:Patient',
    'Observation?patient=A&_include=Observation:focus:Patient',
    'Observation?subject=Patient/A&_include=Observation:focus',
    'Observation?patient=A&_include:iterate=Observation:focus',
    'Observation?patient=A&_include=Observation:encounter&_include:iterate=Encounter:patient',
    'Observation?patient=A&_include=Observation:focus&_revinclude:iterate=Observation:subject',
    'Observation?patient=A&_include=*',
    'Observation?patient=A&_include=Observation:*',
    'Observation?patient=A&_revinclude=*',
    'Patient?_id=A&_include=Patient:link',
    'Patient?_id=A&_include:iterate=Patient:link',
    'Patient?_id=A&_revinclude=Observation:focus',
    'Patient?_id=A&_revinclude=Observation:performer',
    'Patient?_id=A&_revinclude=Group:member&_include:iterate=Group:member',
    'Patient?_id=A&_revinclude=Provenance:agent',
    'Patient?_id=A&_revinclude=Patient:link',
    'Patient?_id=A&_revinclude=Observation:subject&_include:iterate=Observation:focus',
    'Patient?_id=A&_revinclude=Observation:subject&_include:iterate=Observation:encounter',
    'Condition?patient=A&_include=Condition:evidence-detail',
    'Condition?patient=A&_include=Condition:encounter&_revinclude:iterate=Observation:encounter',
    'Encounter?patient=A&_revinclude=Observation:encounter',
    'Observation?patient=A&_revinclude=Provenance:target&_include:iterate=Provenance:agent',
    'Provenance?patient=A&_include=Provenance:target',
    'Group?member=Patient/A&_include=Group:member',
    'Group?member=A&_include=Group:member',
    'Observation?patient=A&_include=Observation:patient&_revinclude:iterate=Patient:link&_include:iterate=Patient:link',
    'Patient/A/Observation?_include=Observation:focus',
    'Patient/A/Observation?_include=Observation:performer',
    'Patient/A/Observation?_include=Observation:encounter',
  ];
  for (const q of inc) add('includes', 'GET', `/fhir/${q}`);

  // 4. POST _search: the form body carries the parameters.
  const post = [
    'patient=B',
    'subject=Patient/B',
    'patient=A&_include=Observation:focus',
    'patient=A&_include=Observation:performer',
    'patient=A&_include=*',
    '_id=obs-b-lab',
    'patient=B&category=laboratory',
    '_revinclude=Provenance:target&patient=B',
  ];
  for (const b of post) add('post-search', 'POST', '/fhir/Observation/_search', { headers: { 'content-type': FORM }, body: b });
  add('post-search', 'POST', '/fhir/Observation/_search?patient=A', { headers: { 'content-type': FORM }, body: 'patient=B', name: 'query patient=A, body patient=B' });
  add('post-search', 'POST', '/fhir/Patient/_search', { headers: { 'content-type': FORM }, body: '_id=B' });
  add('post-search', 'POST', '/fhir/Patient/_search?_id=A', { headers: { 'content-type': FORM }, body: '_id=B' });
  add('post-search', 'POST', '/fhir/Patient/_search', { headers: { 'content-type': FORM }, body: '_id=A&_include=Patient:link' });
  add('post-search', 'POST', '/fhir/Condition/_search', { headers: { 'content-type': FORM }, body: 'patient=B' });
  add('post-search', 'POST', '/fhir/Observation/_search', { headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: 'patient=B' });
  add('post-search', 'POST', '/fhir/Observation/_search', { headers: { 'content-type': 'Application/X-WWW-Form-Urlencoded' }, body: 'patient=B' });
  add('post-search', 'POST', '/fhir/Observation/_search?patient=A', { headers: { 'content-type': FORM }, body: 'patient=A&patient=B' });

  // 5. Repeated parameters: the guard must not read one copy and the server another.
  const rep = [
    'Observation?patient=A&patient=B',
    'Observation?patient=B&patient=A',
    'Observation?subject=Patient/A&subject=Patient/B',
    'Observation?patient=A&subject=Patient/B',
    'Observation?subject=Patient/A&patient=B',
    'Patient?_id=A&_id=B',
    'Patient?_id=B&_id=A',
    'Condition?patient=A&patient=B',
    'Encounter?patient=A&patient=B',
    'Observation?patient=A&Patient=B',
    'Observation?patient=A&patient%3D=B',
    'Observation?patient=A&%70atient=B',
  ];
  for (const q of rep) add('repeated-params', 'GET', `/fhir/${q}`);

  // 6. Parameters the guard may not understand: _filter, _query, _cascade, _has, chains, _type...
  const odd = [
    'Observation?patient=A&_filter=subject eq Patient/B'.replaceAll(' ', '%20'),
    'Observation?_filter=patient%20eq%20B',
    'Observation?_query=everything&patient=A',
    'Observation?patient=A&_cascade=delete',
    'Patient?_has:Observation:subject:_id=obs-b-lab',
    'Patient?_id=A&_has:Observation:focus:_id=obs-a-focus-b',
    'Observation?subject:Patient._id=B',
    'Observation?subject:Patient.name=Bauer',
    'Observation?patient.name=Bauer',
    'Observation?patient:Patient=B',
    'Observation?patient:not=A',
    'Observation?patient:missing=false',
    'Observation?patient:missing=true',
    'Observation?patient:above=A',
    'Observation?patient:identifier=B',
    'Observation?patient=A&_text=Bauer',
    'Observation?patient=A&_content=Bauer',
    'Observation?patient=A&_list=B',
    '?_type=Observation&patient=A',
    '?_type=Observation,Patient',
    '?_type=Patient&_id=B',
    'Observation?_id=obs-b-lab',
    'Observation?patient=A&_id=obs-b-lab',
    'Patient?link=Patient/B',
    'Patient?name=Bauer',
    'Group?member=Patient/B',
    'Observation?patient=A&_summary=count&_count=0&patient=B',
  ];
  for (const q of odd) add('unknown-params', 'GET', `/fhir/${q}`);

  // 7. Reference forms the guard may compare as strings.
  const refs = [
    `Observation?patient=${base}/fhir/Patient/B`,
    'Observation?patient=http://127.0.0.1/fhir/Patient/B',
    'Observation?patient=Patient/A,Patient/B',
    'Observation?patient=A,B',
    'Observation?patient=B,A',
    'Observation?patient=A%2CB',
    'Observation?subject=Patient/B',
    'Observation?subject=B',
    'Observation?patient=Patient/B',
    'Observation?patient=%42',
    'Observation?patient=Patient%2FB',
    'Observation?patient=Patient/A/../B',
    'Observation?patient=A%00B',
    'Observation?patient= B',
    'Observation?patient=B&category=laboratory',
    'Patient?_id=A,B',
    'Patient?_id=B',
    'Patient?_id:not=A',
    'Patient?_id:missing=false',
    'Observation?performer=Patient/A',
    'Observation?performer=Patient/B',
    'Provenance?target=Patient/B',
    'Provenance?agent=Patient/B',
    'Condition?asserter=Patient/B',
  ];
  for (const q of refs) add('reference-forms', 'GET', `/fhir/${q}`);

  // 8. Method override headers and Prefer: handling=lenient.
  for (const h of ['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override']) {
    add('method-override', 'POST', '/fhir/Patient/B', { headers: { [h]: 'GET', 'content-type': FHIR_JSON }, body: '{"resourceType":"Patient","id":"B"}', name: `POST Patient/B with ${h}: GET` });
    add('method-override', 'POST', '/fhir/Observation/_search?patient=A', { headers: { [h]: 'GET', 'content-type': FORM }, body: 'patient=B', name: `POST _search with ${h}: GET` });
  }
  add('method-override', 'POST', '/fhir/Observation?patient=B', { headers: { 'X-HTTP-Method-Override': 'GET', 'content-type': FHIR_JSON }, body: '{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/A"}}', name: 'POST Observation?patient=B with override GET' });
  add('method-override', 'POST', '/fhir/Patient/B?_method=GET', { headers: { 'content-type': FHIR_JSON }, body: '{}', name: 'POST Patient/B?_method=GET' });
  add('method-override', 'POST', '/fhir/Patient/_search', { headers: { 'content-type': FORM }, body: '_id=B&_method=GET', name: 'POST Patient/_search with _method in the body' });
  for (const q of ['Observation?patient=A&notaparam=B', 'Observation?patient=A&patient=B', 'Observation?patient=A&_include=Observation:focus']) {
    add('prefer-lenient', 'GET', `/fhir/${q}`, { headers: { Prefer: 'handling=lenient' } });
  }
  add('prefer-lenient', 'GET', '/fhir/Observation?patient=B', { headers: { Prefer: 'handling=lenient' } });
  add('prefer-lenient', 'GET', '/fhir/Patient/B', { headers: { Prefer: 'handling=lenient, return=representation' } });

  // 9. Operations.
  for (const t of ['Patient/B/$everything', 'Patient/A/$everything', 'Patient/$everything?patient=B', '$export', 'Patient/$export', 'Group/grp-ab/$export', 'Patient/A/$export', 'Observation/$lastn?patient=A', 'Patient/B/$everything?_since=2000-01-01', 'Patient/A/%24everything', 'Patient/A/$everything/../../B/$everything']) {
    add('operations', 'GET', `/fhir/${t}`);
  }
  add('operations', 'POST', '/fhir/Patient/B/$everything', { headers: { 'content-type': FHIR_JSON }, body: '{"resourceType":"Parameters"}' });
  add('operations', 'POST', '/fhir/Patient/A/$everything', { headers: { 'content-type': FHIR_JSON }, body: '{"resourceType":"Parameters"}' });
  add('operations', 'POST', '/fhir/$graphql', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ Patient(id: "B") { resourceType id meta { tag { system code } } name { family } } }' }), name: 'POST $graphql Patient(id: "B")' });
  add('operations', 'POST', '/fhir/$graphql', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ ObservationList(subject: "Patient/B") { resourceType id meta { tag { system code } } } }' }), name: 'POST $graphql ObservationList(subject: Patient/B)' });

  // 10. Framing: GET with a body, odd methods, HEAD/OPTIONS.
  add('framing', 'GET', '/fhir/Observation?patient=A', { headers: { 'content-type': FORM }, body: 'patient=B', name: 'GET Observation?patient=A with body patient=B' });
  add('framing', 'GET', '/fhir/Patient?_id=A', { headers: { 'content-type': FORM }, body: '_id=B', name: 'GET Patient?_id=A with body _id=B' });
  add('framing', 'GET', '/fhir/Observation?patient=A', { headers: { 'content-type': FORM }, body: '_include=Observation:focus', name: 'GET with body _include=Observation:focus' });
  add('framing', 'get', '/fhir/Patient/B');
  add('framing', 'gEt', '/fhir/Patient/B');
  add('framing', 'HEAD', '/fhir/Patient/B');
  add('framing', 'OPTIONS', '/fhir/Patient/B');
  add('framing', 'GET', '/fhir/Patient/B', { headers: { 'X-Original-URL': '/fhir/Patient/B' }, name: 'GET Patient/B with X-Original-URL' });
  add('framing', 'GET', '/fhir/Patient/A', { headers: { 'X-Original-URL': '/fhir/Patient/B', 'X-Rewrite-URL': '/fhir/Patient/B' }, name: 'GET Patient/A with X-Original-URL/X-Rewrite-URL: Patient/B' });
  add('framing', 'GET', '/fhir/Patient/B', { token: 'lab', name: 'lab token: GET Patient/B' });

  // 11. Direct access to B (the baseline every gateway must refuse).
  for (const t of ['Patient/B', 'Patient/B2', 'Observation/obs-b-lab', 'Observation/obs-b-lab/_history/1', 'Encounter/enc-b', 'Condition/cond-b', 'Provenance/prov-b', 'Patient/B/Observation', 'Patient/B/Condition', 'Patient/B/Encounter', 'Patient/B2/Observation', 'Observation?patient=B', 'Condition?patient=B', 'Encounter?patient=B', 'Encounter?subject=Patient/B', 'Provenance?patient=B', 'Group/grp-ab', 'Observation?encounter=Encounter/enc-b', 'Observation?focus=Patient/A', 'Observation?focus=Patient/B']) {
    add('direct', 'GET', `/fhir/${t}`);
  }

  // 12. The category-restricted token (patient/Observation.rs?category=laboratory).
  const lab = [
    'Observation?patient=A',
    'Observation?patient=A&category=laboratory&category=vital-signs',
    'Observation?patient=A&category=vital-signs&category=laboratory',
    'Observation?patient=A&category=laboratory,vital-signs',
    'Observation?patient=A&category:not=laboratory',
    'Observation?patient=A&category=laboratory&_include=Observation:focus',
    'Observation?patient=B&category=laboratory',
    'Observation/obs-a-vital',
    'Observation/obs-b-lab',
    'Patient/A/Observation',
    'Patient/A/Observation?category=laboratory&category=vital-signs',
    'Observation/_history?patient=A&category=laboratory',
  ];
  for (const q of lab) add('category-scope', 'GET', `/fhir/${q}`, { token: 'lab', name: `lab token: GET /fhir/${q}` });
  add('category-scope', 'POST', '/fhir/Observation/_search?patient=A&category=laboratory', { token: 'lab', headers: { 'content-type': FORM }, body: 'category=vital-signs', name: 'lab token: POST _search body category=vital-signs' });

  // 13. Writes (sent last): conditional create/update/delete and Bundles with entries for B.
  const bObs = (extra = {}) => JSON.stringify({ resourceType: 'Observation', ...tag('B'), status: 'final', code: { text: 'x' }, subject: ref('Patient/B'), ...extra });
  const aObs = (extra = {}) => JSON.stringify({ resourceType: 'Observation', ...tag('A'), status: 'final', code: { text: 'x' }, subject: ref('Patient/A'), ...extra });
  const w = (method, target, opts = {}) => add(opts.cls ?? 'conditional', method, target, { token: 'write', write: true, ...opts });
  w('POST', '/fhir/Observation', { headers: { 'content-type': FHIR_JSON, 'If-None-Exist': 'patient=B' }, body: aObs(), name: 'create with If-None-Exist: patient=B' });
  w('POST', '/fhir/Observation', { headers: { 'content-type': FHIR_JSON, 'If-None-Exist': '_id=obs-b-lab' }, body: aObs(), name: 'create with If-None-Exist: _id=obs-b-lab' });
  w('POST', '/fhir/Observation', { headers: { 'content-type': FHIR_JSON, 'If-None-Exist': 'subject=Patient/B&category=laboratory&code=2339-0&focus:missing=true&performer:missing=true&encounter=Encounter/enc-b' }, body: aObs(), name: 'create with If-None-Exist matching exactly one of B\'s' });
  w('PUT', '/fhir/Observation?patient=B&_id=obs-b-vital', { headers: { 'content-type': FHIR_JSON }, body: aObs({ id: 'obs-b-vital' }) });
  w('PUT', '/fhir/Observation?_id=obs-b-vital', { headers: { 'content-type': FHIR_JSON }, body: aObs({ id: 'obs-b-vital' }) });
  w('PUT', '/fhir/Observation/obs-b-vital', { headers: { 'content-type': FHIR_JSON }, body: aObs({ id: 'obs-b-vital' }) });
  w('PATCH', '/fhir/Observation?_id=obs-b-lab', { headers: { 'content-type': 'application/json-patch+json' }, body: '[{"op":"replace","path":"/status","value":"amended"}]' });
  w('PATCH', '/fhir/Observation/obs-b-lab', { headers: { 'content-type': 'application/json-patch+json' }, body: '[{"op":"replace","path":"/status","value":"amended"}]' });
  w('POST', '/fhir/Observation', { headers: { 'content-type': FHIR_JSON }, body: bObs(), name: 'create an Observation about B' });
  w('POST', '/fhir/Observation/_search?patient=A', { headers: { 'X-HTTP-Method-Override': 'PUT', 'content-type': FHIR_JSON }, body: aObs({ id: 'obs-b-vital' }), name: 'POST _search with X-HTTP-Method-Override: PUT' });
  w('DELETE', '/fhir/Observation?patient=B');
  w('DELETE', '/fhir/Observation?_id=obs-b-vital');
  w('DELETE', '/fhir/Observation?patient=A&patient=B');
  w('DELETE', '/fhir/Condition?_id=cond-b');
  w('DELETE', '/fhir/Observation/obs-b-focus-a');
  w('POST', '/fhir/Observation/obs-b-vital', { headers: { 'X-HTTP-Method-Override': 'DELETE' }, name: 'POST Observation/obs-b-vital with X-HTTP-Method-Override: DELETE' });
  const bundle = (type, entries) => JSON.stringify({ resourceType: 'Bundle', type, entry: entries });
  const get = (url) => ({ request: { method: 'GET', url } });
  for (const type of ['batch', 'transaction']) {
    const b = (entries, name) => w('POST', '/fhir', { cls: 'bundles', headers: { 'content-type': FHIR_JSON }, body: bundle(type, entries), name: `${type}: ${name}` });
    b([get('Patient/A'), get('Patient/B')], 'GET Patient/A + GET Patient/B');
    b([get('Observation?patient=B')], 'GET Observation?patient=B');
    b([get('Observation?patient=A&_include=Observation:focus')], 'GET Observation?patient=A&_include=Observation:focus');
    b([get('Observation/_history')], 'GET Observation/_history');
    b([get('Patient/B/$everything')], 'GET Patient/B/$everything');
    b([{ request: { method: 'DELETE', url: 'Observation?patient=B' } }], 'conditional DELETE Observation?patient=B');
    b([{ resource: JSON.parse(aObs({ id: 'obs-b-lab' })), request: { method: 'PUT', url: 'Observation/obs-b-lab' } }], 'PUT Observation/obs-b-lab');
    b([{ resource: JSON.parse(aObs()), request: { method: 'POST', url: 'Observation', ifNoneExist: 'patient=B' } }], 'create with ifNoneExist patient=B');
  }
  w('POST', '/fhir/', { cls: 'bundles', headers: { 'content-type': FHIR_JSON }, body: bundle('batch', [get('/fhir/Patient/B')]), name: 'batch at /fhir/ with entry url /fhir/Patient/B' });
  w('POST', '/fhir/Patient/A/../..', { cls: 'bundles', headers: { 'content-type': FHIR_JSON }, body: bundle('batch', [get('Patient/B')]), name: 'batch at /fhir/Patient/A/../.. with GET Patient/B' });
  w('POST', '/health/../fhir', { cls: 'bundles', headers: { 'content-type': FHIR_JSON }, body: bundle('batch', [get('Patient/B')]), name: 'batch through /health/.. with GET Patient/B' });
  return out;
}

/** Requests A's app must still be able to make: 200, A's data, nothing of B's. */
export function legitimate() {
  const out = [];
  const ok = (target, expect, opts = {}) =>
    out.push({ cls: 'legitimate', name: opts.name ?? `${opts.method ?? 'GET'} ${target}`, method: 'GET', target, token: 'full', expect, ...opts });
  ok('/fhir/Patient/A', ['Patient/A']);
  ok('/fhir/Patient?_id=A', ['Patient/A']);
  ok('/fhir/Patient/A/_history', ['Patient/A']);
  ok('/fhir/Observation?patient=A', ['Observation/obs-a-lab', 'Observation/obs-a-vital']);
  ok('/fhir/Observation?patient=Patient/A', ['Observation/obs-a-lab']);
  ok('/fhir/Observation?subject=Patient/A', ['Observation/obs-a-lab']);
  ok('/fhir/Observation?patient=A&category=laboratory', ['Observation/obs-a-lab']);
  ok('/fhir/Observation?patient=A&code=http://loinc.org|2339-0', ['Observation/obs-a-lab']);
  ok('/fhir/Observation?patient=A&_count=2', []);
  ok('/fhir/Observation?patient=A&_sort=-_lastUpdated', ['Observation/obs-a-lab']);
  ok('/fhir/Patient/A/Observation', ['Observation/obs-a-lab', 'Observation/obs-a-vital']);
  ok('/fhir/Patient/A/Observation?category=laboratory', ['Observation/obs-a-lab']);
  ok('/fhir/Patient/A/Condition', ['Condition/cond-a']);
  ok('/fhir/Patient/A/Encounter', ['Encounter/enc-a']);
  ok('/fhir/Observation?patient=A&_include=Observation:patient', ['Observation/obs-a-lab', 'Patient/A']);
  ok('/fhir/Observation?patient=A&_include=Observation:subject', ['Observation/obs-a-lab', 'Patient/A']);
  ok('/fhir/Patient?_id=A&_revinclude=Observation:subject', ['Patient/A', 'Observation/obs-a-lab']);
  ok('/fhir/Patient?_id=A&_revinclude=Observation:patient', ['Patient/A', 'Observation/obs-a-vital']);
  ok('/fhir/Condition?patient=A', ['Condition/cond-a']);
  ok('/fhir/Encounter?patient=A', ['Encounter/enc-a']);
  ok('/fhir/Provenance?patient=A', ['Provenance/prov-a']);
  ok('/fhir/Observation/obs-a-lab', ['Observation/obs-a-lab'], { name: 'GET Observation/obs-a-lab (read by id: refused by today\'s rules unless the guard can check it)', optional: true });
  out.push({ cls: 'legitimate', name: 'POST Observation/_search body patient=A', method: 'POST', target: '/fhir/Observation/_search', token: 'full', headers: { 'content-type': FORM }, body: 'patient=A', expect: ['Observation/obs-a-lab'] });
  out.push({ cls: 'legitimate', name: 'POST Patient/_search body _id=A', method: 'POST', target: '/fhir/Patient/_search', token: 'full', headers: { 'content-type': FORM }, body: '_id=A', expect: ['Patient/A'] });
  ok('/fhir/Observation?patient=A&category=laboratory', ['Observation/obs-a-lab'], { token: 'lab', name: 'lab token: GET Observation?patient=A&category=laboratory' });
  ok('/fhir/.well-known/smart-configuration', [], { token: null, name: 'no token: GET /.well-known/smart-configuration', target: '/.well-known/smart-configuration' });
  ok('/health', [], { token: null, name: 'no token: GET /health' });
  return out;
}

/** The vread of A's first version; the version id is only known once the server runs. */
export function vreadOfA(versionId) {
  return { cls: 'legitimate', name: 'vread Patient/A/_history/<first version>', method: 'GET', target: `/fhir/Patient/A/_history/${versionId}`, token: 'full', expect: ['Patient/A'] };
}

// --- Sending ---------------------------------------------------------------------------------------

/** One raw HTTP/1.1 request on a fresh connection; resolves { status, headers, body } or { error }. */
export function sendRaw({ host = '127.0.0.1', port }, { method, target, headers = {}, body }, { timeoutMs = 15000 } = {}) {
  return new Promise((resolve) => {
    const payload = body === undefined ? null : Buffer.from(body);
    const lines = [`${method} ${target} HTTP/1.1`, `Host: ${host}:${port}`, 'Connection: close', 'Accept: application/fhir+json'];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    if (payload) lines.push(`Content-Length: ${payload.length}`);
    const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
    const chunks = [];
    const sock = net.connect({ host, port });
    let done = false;
    const finish = (v) => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => finish({ error: 'timeout', ...parseResponse(Buffer.concat(chunks), method) }));
    // write, not end: Envoy resets a stream whose client half-closes first; `Connection: close`
    // makes the server close after its answer.
    sock.on('connect', () => sock.write(payload ? Buffer.concat([head, payload]) : head));
    // Done as soon as the response is complete (Envoy waits up to its delayed_close_timeout for
    // the client to close first).
    sock.on('data', (c) => {
      chunks.push(c);
      if (complete(Buffer.concat(chunks), method)) finish(parseResponse(Buffer.concat(chunks), method));
    });
    sock.on('error', (e) => finish({ error: e.code ?? String(e), ...parseResponse(Buffer.concat(chunks), method) }));
    sock.on('end', () => finish(parseResponse(Buffer.concat(chunks), method)));
    sock.on('close', () => finish(parseResponse(Buffer.concat(chunks), method)));
  });
}

/** Whether `buf` holds a whole response (by Content-Length, or the last chunk). */
function complete(buf, method) {
  const sep = buf.indexOf('\r\n\r\n');
  if (sep < 0) return false;
  const head = buf.subarray(0, sep).toString('latin1');
  const status = Number(/^HTTP\/\d(?:\.\d)? (\d{3})/.exec(head)?.[1] ?? 0);
  if (method.toUpperCase() === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)) return true;
  const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (cl) return buf.length - sep - 4 >= Number(cl[1]);
  if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) return buf.subarray(sep + 4).includes('\r\n0\r\n\r\n') || buf.subarray(sep + 4).indexOf('0\r\n\r\n') === 0;
  return false;
}

function parseResponse(buf, method) {
  const sep = buf.indexOf('\r\n\r\n');
  if (sep < 0) return { status: 0, headers: {}, body: buf.toString('utf8') };
  const [statusLine, ...headerLines] = buf.subarray(0, sep).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/\d(?:\.\d)? (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers = {};
  for (const l of headerLines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let raw = buf.subarray(sep + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '') && method.toUpperCase() !== 'HEAD') raw = dechunk(raw);
  return { status, headers, body: raw.toString('utf8') };
}

function dechunk(buf) {
  const parts = [];
  let i = 0;
  while (i < buf.length) {
    const eol = buf.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = parseInt(buf.subarray(i, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** The state of B's records read straight from the FHIR server (not through a gateway). */
async function bState(upstream) {
  const state = {};
  for (const key of B_RESOURCES) {
    if (key === 'Patient/pb') continue; // contained
    const r = await sendRaw(upstream, { method: 'GET', target: `/fhir/${key}` });
    let version = null;
    try {
      version = JSON.parse(r.body)?.meta?.versionId ?? null;
    } catch {
      // not JSON
    }
    state[key] = r.status === 200 ? version : `status ${r.status}`;
  }
  for (const type of ['Observation', 'Condition', 'Encounter']) {
    const r = await sendRaw(upstream, { method: 'GET', target: `/fhir/${type}?_tag=${encodeURIComponent(`${TAG_SYSTEM}|B`)}&_count=1000` });
    try {
      state[`count ${type}`] = JSON.parse(r.body).total;
    } catch {
      state[`count ${type}`] = `status ${r.status}`;
    }
  }
  return state;
}

function diff(before, after) {
  return Object.keys(before).filter((k) => before[k] !== after[k]).map((k) => `${k}: ${before[k]} -> ${after[k]}`);
}

/**
 * Runs every request through the gateway. `gateway` and `upstream` are { host, port }; `tokens`
 * maps 'full' | 'lab' | 'write' to a token. Reads go first, writes last; after each write, B's
 * records are re-read from the FHIR server directly and any change counts as a leak.
 * Returns { results, summary, byClass }.
 */
export async function runSuite({ gateway, upstream, tokens, concurrency = 4 }) {
  const withAuth = (req) => ({
    ...req,
    headers: { ...(req.token ? { Authorization: `Bearer ${tokens[req.token]}` } : {}), ...(req.headers ?? {}) },
  });
  const first = await sendRaw(upstream, { method: 'GET', target: '/fhir/Patient/A/_history' });
  const versions = JSON.parse(first.body).entry.map((e) => e.resource.meta.versionId);
  const legit = [...legitimate(), vreadOfA(versions.at(-1))];
  const all = attacks(`http://${gateway.host ?? '127.0.0.1'}:${gateway.port}`);
  const reads = all.filter((r) => !r.write);
  const writes = all.filter((r) => r.write);
  const results = [];
  const check = (req, res, extra = []) => {
    const leaks = [...findLeaks(res.body ?? '', { labOnly: req.token === 'lab' }), ...extra];
    const r = { cls: req.cls, name: req.name, status: res.status, error: res.error, leaks };
    if (req.expect) {
      const got = resourcesIn(res.body ?? '');
      const missing = req.expect.filter((k) => !got.has(k));
      r.legitOk = res.status === 200 && missing.length === 0 && leaks.length === 0;
      r.missing = missing;
      r.optional = Boolean(req.optional);
    }
    return r;
  };
  // Reads (attacks and legitimate ones) in parallel batches.
  const queue = [...legit, ...reads];
  let next = 0;
  const worker = async () => {
    while (next < queue.length) {
      const req = queue[next++];
      const t0 = Date.now();
      const res = await sendRaw(gateway, withAuth(req));
      results.push({ ...check(req, res), ms: Date.now() - t0 });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  // Writes one by one, each followed by a direct look at B's records.
  let state = await bState(upstream);
  for (const req of writes) {
    const t0 = Date.now();
    const res = await sendRaw(gateway, withAuth(req));
    const ms = Date.now() - t0;
    const now = await bState(upstream);
    const changed = diff(state, now).map((d) => `changed B's data: ${d}`);
    state = now;
    results.push({ ...check(req, res, changed), ms });
  }
  const byClass = {};
  for (const r of results) {
    const c = (byClass[r.cls] ??= { requests: 0, leaked: 0, legitFailed: 0 });
    c.requests += 1;
    if (r.leaks.length) c.leaked += 1;
    if (r.legitOk === false && !r.optional) c.legitFailed += 1;
  }
  const attacksSent = results.filter((r) => r.cls !== 'legitimate').length;
  const leaked = results.filter((r) => r.cls !== 'legitimate' && r.leaks.length).length;
  const legitRes = results.filter((r) => r.cls === 'legitimate');
  const legitFailed = legitRes.filter((r) => r.legitOk === false && !r.optional).length;
  const summary = `leak suite: ${attacksSent} crafted requests, ${leaked} leaked patient B's data; ${legitRes.length} legitimate requests, ${legitFailed} failed; by class: ${Object.entries(byClass).map(([k, v]) => `${k} ${v.leaked}/${v.requests}${v.legitFailed ? ` (${v.legitFailed} legit failed)` : ''}`).join(', ')}`;
  return { results, byClass, summary, attacksSent, leaked, legitFailed };
}

/** The classes, for tests named after them. */
export const CLASSES = [
  'path-tricks', 'history', 'includes', 'post-search', 'repeated-params', 'unknown-params', 'reference-forms',
  'method-override', 'prefer-lenient', 'operations', 'framing', 'direct', 'category-scope', 'conditional', 'bundles',
];
