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
