// decide(): the core's guard for HTTP requests (token sources, routes, scopes, FHIR/SMART,
// forwarding), with remote key sets fetched by the shim.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, decide, createVerifier, MemoryStore, OptionsError } from '../index.js';
import { NOW, sign, keyFor, jwkOf, startServer, json } from './helpers.js';

await init();

const key = keyFor('ES256');
const ISS = 'https://as.example';
const AUD = 'https://fhir.example';
const token = (claims = {}, header = {}) => sign('ES256', key, header, { iss: ISS, aud: AUD, sub: 'u1', exp: NOW + 60, ...claims });
const bearer = (t) => ({ authorization: `Bearer ${t}` });
const options = {
  algorithms: ['ES256'], issuer: ISS, audience: AUD, keys: jwkOf(key), now: NOW, profile: 'smart',
  routes: [
    { pathPrefix: '/public', open: true },
    { pathPrefix: '/admin', anyScope: ['admin'] },
    { pathPrefix: '/fhir', fhir: true },
  ],
  forward: { headers: { 'x-user': 'sub' } },
};
const errorsOf = (d) => JSON.parse(d.body).errors.map((e) => e.code);

test('open routes need no token; others answer 401 with a Bearer challenge', async () => {
  const open = await decide({ method: 'GET', path: '/public/logo.png' }, options);
  assert.equal(open.allow, true);
  const none = await decide({ method: 'GET', path: '/admin' }, options);
  assert.equal(none.status, 401);
  assert.equal(none.www_authenticate, 'Bearer realm="azlens"');
});

test('route scopes: 403 insufficient_scope, or allowed with the forwarded facts', async () => {
  const user = await decide({ method: 'GET', path: '/admin', headers: bearer(token({ scope: 'user' })) }, options);
  assert.equal(user.status, 403);
  assert.match(user.www_authenticate, /error="insufficient_scope"/);
  assert.deepEqual(errorsOf(user), ['insufficient_scope']);
  const admin = await decide({ method: 'GET', path: '/admin', headers: bearer(token({ scope: 'admin' })) }, options);
  assert.equal(admin.allow, true);
  assert.deepEqual(admin.set_headers, [['x-user', 'u1']]);
  assert.ok(admin.remove_headers.includes('authorization'));
  assert.ok(admin.remove_headers.includes('x-user'));
});

test('FHIR routes: the SMART scopes must grant the interaction', async () => {
  const t = (scope) => token({ scope, patient: 'p1' });
  const ok = await decide({ method: 'GET', path: '/fhir/Observation?patient=p1', headers: bearer(t('patient/Observation.rs')) }, options);
  assert.equal(ok.allow, true);
  const no = await decide({ method: 'GET', path: '/fhir/Observation?patient=p1', headers: bearer(t('patient/Patient.rs')) }, options);
  assert.equal(no.status, 403);
  assert.deepEqual(errorsOf(no), ['insufficient_scope']);
  const write = await decide({ method: 'DELETE', path: '/fhir/Observation/1', headers: bearer(t('patient/Observation.rs')) }, options);
  assert.equal(write.status, 403);
});

test('a Fetch API Request is accepted as it is', async () => {
  const req = new Request('https://api.example/admin?x=1', { headers: bearer(token({ scope: 'admin' })) });
  const d = await decide(req, options);
  assert.equal(d.allow, true);
  assert.equal(d.log.path, '/admin');
});

test('invalid tokens are refused with the core\'s codes, never thrown', async () => {
  const cases = [
    [bearer('garbage'), 401],
    [bearer(token({ exp: NOW - 3600 })), 401],
    [{ authorization: 'Bearer a', 'x-other': 'b' }, 401],
    [{ authorization: 'Basic dXNlcjpwYXNz' }, 401],
    [{ authorization: `Bearer ${'x'.repeat(50_000)}` }, 401],
    // Past max_token_bytes + 64 KiB the request itself is refused, before the core reads it.
    [{ authorization: `Bearer ${'x'.repeat(100_000)}` }, 400],
  ];
  for (const [headers, status] of cases) {
    const d = await decide({ method: 'GET', path: '/admin', headers }, options);
    assert.equal(d.allow, false);
    assert.equal(d.status, status);
  }
  const expired = await decide({ method: 'GET', path: '/admin', headers: bearer(token({ exp: NOW - 3600, scope: 'admin' })) }, options);
  assert.deepEqual(errorsOf(expired), ['expired']);
  // A query-string token is refused (RFC 6750 §2.3 is off by default).
  const query = await decide({ method: 'GET', path: `/admin?access_token=${token({ scope: 'admin' })}` }, options);
  assert.equal(query.allow, false);
});

test('keys come from the jwks_uri, refetched for a rotated kid', async (t) => {
  const next = keyFor('ES256');
  let rotated = false;
  const srv = await startServer({
    '/jwks': (req, res) => json(res, { keys: [jwkOf(rotated ? next : key, { kid: rotated ? 'k2' : 'k1' })] }),
  });
  t.after(srv.close);
  const v = createVerifier({
    algorithms: ['ES256'], issuer: srv.base, jwksUri: srv.url('/jwks'), audience: AUD,
    keyCache: { allowLoopbackHttp: true, refetchCooldown: 0 }, keyStore: new MemoryStore(),
  });
  const req = (k, kid) => ({
    method: 'GET', path: '/api', headers: bearer(sign('ES256', k, { kid }, { iss: srv.base, aud: AUD, exp: NOW + 60 })),
  });
  assert.equal((await v.decide(req(key, 'k1'), { now: NOW })).allow, true);
  rotated = true;
  const d = await v.decide(req(next, 'k2'), { now: NOW });
  assert.equal(d.allow, true);
  assert.equal(srv.hits('/jwks'), 2);
});

test('a request that is not a request description is an options error', async () => {
  for (const bad of [null, 'GET /', {}, { path: 3 }, { path: '/', headers: 5 }]) {
    await assert.rejects(decide(bad, options), OptionsError, JSON.stringify(bad));
  }
});

// Issue 13's classes, each in one line; the leak test (leak.test.js) runs 330 of them against a
// real FHIR server. Here: the decision and the rule, in JS decide().
const A = (scope = 'patient/Patient.rs patient/Observation.rs') => bearer(token({ scope, patient: 'A' }));
const refused = async (req, status, rule) => {
  const d = await decide(req, options);
  assert.equal(d.allow, false, `${req.method} ${req.path} was allowed`);
  assert.equal(d.status, status, `${req.method} ${req.path}: ${d.body}`);
  if (rule) assert.equal(d.log.rule, rule, `${req.method} ${req.path}`);
  return d;
};

test('path tricks: the route is chosen on the canonical path, and what is forwarded is that path', async () => {
  const d = await refused({ method: 'GET', path: '/public/../fhir/Patient/B' }, 401);
  assert.equal(d.log.path, '/fhir/Patient/B');
  await refused({ method: 'GET', path: '/public/%2e%2e/fhir/Patient/B' }, 400, 'path.encoded-separator');
  await refused({ method: 'GET', path: '/public/..;/fhir/Patient/B', headers: A() }, 400, 'path.parameter');
  await refused({ method: 'GET', path: '//fhir/Patient/B', headers: A() }, 400, 'path.empty-segment');
  await refused({ method: 'GET', path: '/fhir%2fPatient/B', headers: A() }, 400, 'path.encoded-separator');
  await refused({ method: 'GET', path: '/%66hir/Patient/B', headers: A() }, 403);
  await refused({ method: 'get', path: '/fhir/Patient/A', headers: A() }, 400, 'method.token');
  const ok = await decide({ method: 'GET', path: '/fhir/Patient/%41/./', headers: A() }, options);
  assert.equal(ok.allow, true);
  assert.equal(ok.upstream_path, '/fhir/Patient/A');
});

test('history: type- and system-level history is never confined to a patient', async () => {
  const d = await refused({ method: 'GET', path: '/fhir/Observation/_history?patient=A', headers: A() }, 403);
  assert.equal(d.log.interaction, 'history-type');
  await refused({ method: 'GET', path: '/fhir/_history?patient=A', headers: A() }, 403);
  assert.equal((await decide({ method: 'GET', path: '/fhir/Patient/A/_history', headers: A() }, options)).allow, true);
});

test('includes: only through the link that confined the search', async () => {
  await refused({ method: 'GET', path: '/fhir/Observation?patient=A&_include=Observation:focus', headers: A() }, 403);
  await refused({ method: 'GET', path: '/fhir/Observation?patient=A&_include=*', headers: A() }, 403);
  await refused({ method: 'GET', path: '/fhir/Patient?_id=A&_revinclude=Observation:focus', headers: A() }, 403);
  const ok = await decide({ method: 'GET', path: '/fhir/Observation?patient=A&_include=Observation:subject', headers: A() }, options);
  assert.equal(ok.allow, true, ok.body);
});

test('post-search: the form body is read like a query string', async () => {
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  await refused({ method: 'POST', path: '/fhir/Observation/_search', headers: { ...A(), ...form }, body: 'patient=B' }, 403);
  await refused({ method: 'POST', path: '/fhir/Observation/_search?patient=A', headers: { ...A(), ...form }, body: 'patient=B' }, 403);
  await refused({ method: 'POST', path: '/fhir/Observation/_search', headers: { ...A(), 'content-type': 'application/json' }, body: '{}' }, 400, 'fhir.search-body-type');
  const ok = await decide({ method: 'POST', path: '/fhir/Observation/_search', headers: { ...A(), ...form }, body: 'patient=A' }, options);
  assert.equal(ok.allow, true, ok.body);
  const req = new Request('https://api.example/fhir/Observation/_search', { method: 'POST', headers: { ...A(), ...form }, body: 'patient=B' });
  assert.equal((await decide(req, options)).status, 403);
  assert.equal(await req.text(), 'patient=B', 'decide() reads a clone: the caller can still forward the body');
});

test('repeated and unknown parameters: ambiguity is refused', async () => {
  await refused({ method: 'GET', path: '/fhir/Observation?patient=A&patient=B', headers: A() }, 403);
  await refused({ method: 'GET', path: '/fhir/Observation?patient=A&_filter=x', headers: A() }, 403);
  await refused({ method: 'GET', path: '/fhir/Observation?patient=A;patient=B', headers: A() }, 400, 'query.semicolon');
});

test('method-override and Prefer: handling=lenient headers are refused by default', async () => {
  await refused({ method: 'GET', path: '/fhir/Patient/A', headers: { ...A(), 'x-http-method-override': 'DELETE' } }, 400, 'header.override');
  await refused({ method: 'GET', path: '/fhir/Observation?patient=A', headers: { ...A(), prefer: 'handling=lenient' } }, 400, 'header.prefer-lenient');
  const removed = await decide({ method: 'GET', path: '/fhir/Patient/A', headers: { ...A(), 'x-http-method-override': 'DELETE' } }, { ...options, request: { overrideHeaders: 'remove' } });
  assert.equal(removed.allow, true, removed.body);
  assert.ok(removed.remove_headers.includes('x-http-method-override'));
});

test('conditional and bundles: the search a condition runs and every entry must be granted', async () => {
  const w = A('patient/Patient.rs patient/Observation.cruds');
  await refused({ method: 'DELETE', path: '/fhir/Observation?patient=B', headers: w }, 403);
  await refused({ method: 'POST', path: '/fhir/Observation', headers: { ...w, 'if-none-exist': 'patient=B' } }, 403);
  const bundle = (url) => JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Patient/A' } }, { request: { method: 'GET', url } }] });
  const ct = { 'content-type': 'application/fhir+json' };
  await refused({ method: 'POST', path: '/fhir', headers: { ...w, ...ct }, body: bundle('Patient/B') }, 403);
  const ok = await decide({ method: 'POST', path: '/fhir', headers: { ...w, ...ct }, body: bundle('Observation?patient=A') }, options);
  assert.equal(ok.allow, true, ok.body);
  assert.equal(ok.log.interaction, 'batch');
});

test('operations: refused unless the route allow-lists them', async () => {
  const d = await refused({ method: 'GET', path: '/fhir/Patient/A/$everything', headers: A() }, 403, 'fhir.operation-not-allowed');
  assert.match(JSON.parse(d.body).error_description, /allow-list/);
});
