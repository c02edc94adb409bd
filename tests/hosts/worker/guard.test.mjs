// The guard in workerd: forwarding, RFC 6750 refusals, the FHIR/SMART decision, log lines.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';

const api = h.guardedApi();

const bearer = (token) => ({ authorization: `Bearer ${token}` });

/** The last request the upstream saw. */
const lastUpstream = () => api.upstream.seen.at(-1);

async function refused(res) {
  const body = await res.json();
  assert.equal(res.headers.get('content-type'), 'application/json');
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body };
}

test('a valid token reaches the upstream with the forwarded identity and without spoofed copies', async () => {
  const token = h.sign(api.key, h.claims());
  const before = api.upstream.seen.length;
  const res = await api.worker.fetch('/fhir/Observation?patient=A&category=laboratory', {
    headers: {
      ...bearer(token),
      'X-Auth-Sub': 'mallory',
      'x-auth-patient': 'B',
      'x-auth-user': 'forged',
      'x-other': 'kept',
    },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-upstream'), 'yes');
  assert.equal(api.upstream.seen.length, before + 1);
  const seen = lastUpstream();
  assert.equal(seen.url, '/fhir/Observation?patient=A&category=laboratory');
  assert.equal(seen.headers['x-auth-sub'], 'dr-who');
  assert.equal(seen.headers['x-auth-patient'], 'A');
  assert.equal(seen.headers['x-auth-client-id'], 'growth-chart');
  assert.equal(seen.headers['x-auth-scope'], 'launch openid fhirUser patient/Observation.rs patient/Patient.r');
  assert.equal(seen.headers['x-auth-user'], `${h.AUDIENCE}<dr-who@${h.ISSUER}>`);
  assert.equal(seen.headers['x-other'], 'kept');
  assert.equal(seen.headers.authorization, undefined, 'the token is stripped');
  assert.ok(!JSON.stringify(seen.headers).includes('mallory') && !JSON.stringify(seen.headers).includes('forged'));
});

test('a request body and method reach the upstream unchanged', async () => {
  const token = h.sign(api.key, h.claims({ scope: 'user/Observation.c' }));
  const res = await api.worker.fetch('/fhir/Observation', {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': 'application/fhir+json' },
    body: '{"resourceType":"Observation"}',
  });
  assert.equal(res.status, 200);
  const seen = lastUpstream();
  assert.equal(seen.method, 'POST');
  assert.equal(seen.body, '{"resourceType":"Observation"}');
});

test('no token: 401 with a bare Bearer challenge', async () => {
  const before = api.upstream.seen.length;
  const r = await refused(await api.worker.fetch('/fhir/Patient/A'));
  assert.equal(r.status, 401);
  assert.equal(r.challenge, 'Bearer realm="fhir"');
  assert.equal(api.upstream.seen.length, before, 'nothing was forwarded');
});

test('expired, wrong audience and unknown kid: 401 invalid_token with the reason', async () => {
  const now = Math.floor(Date.now() / 1000);
  const stranger = h.signingKey('not-published');
  const cases = [
    { token: h.sign(api.key, h.claims({ iat: now - 7200, exp: now - 3600 })), code: 'expired', words: /expired/i },
    { token: h.sign(api.key, h.claims({ aud: 'https://elsewhere.example' })), code: 'audience_mismatch', words: /elsewhere\.example/ },
    { token: h.sign(stranger, h.claims()), code: 'key_not_found', words: /not-published/ },
  ];
  const before = api.upstream.seen.length;
  for (const c of cases) {
    const r = await refused(await api.worker.fetch('/fhir/Patient/A', { headers: bearer(c.token) }));
    assert.equal(r.status, 401, c.code);
    assert.match(r.challenge, /^Bearer realm="fhir", error="invalid_token", error_description="[^"]+"$/, c.code);
    assert.match(r.challenge, c.words, c.code);
    assert.equal(r.body.error, 'invalid_token');
    assert.equal(r.body.errors[0].code, c.code);
    assert.ok(!JSON.stringify(r.body).includes(c.token), 'the token is never echoed');
  }
  assert.equal(api.upstream.seen.length, before);
});

test('query-string tokens are refused (the policy does not allow them)', async () => {
  const token = h.sign(api.key, h.claims());
  const r = await refused(await api.worker.fetch(`/fhir/Patient/A?access_token=${token}`));
  assert.equal(r.status, 400);
  assert.match(r.challenge, /error="invalid_request"/);
  assert.ok(!JSON.stringify(r.body).includes(token));
});

test('the legacy IHE-JWT scheme is accepted and reported as deprecated; the scheme is case-insensitive', async () => {
  const token = h.sign(api.key, h.claims());
  const legacy = await api.worker.fetch('/fhir/Patient/A', { headers: { authorization: `IHE-JWT ${token}` } });
  assert.equal(legacy.status, 200);
  assert.match(legacy.headers.get('x-azlens-deprecated'), /IHE-JWT/);
  assert.equal(lastUpstream().headers.authorization, undefined);
  const lower = await api.worker.fetch('/fhir/Patient/A', { headers: { authorization: `bearer ${token}` } });
  assert.equal(lower.status, 200);
  assert.equal(lower.headers.get('x-azlens-deprecated'), null);
});

test('FHIR routes: a patient/ scope reaches only the token\'s patient', async () => {
  const token = h.sign(api.key, h.claims());
  assert.equal((await api.worker.fetch('/fhir/Patient/A', { headers: bearer(token) })).status, 200);
  const r = await refused(await api.worker.fetch('/fhir/Patient/B', { headers: bearer(token) }));
  assert.equal(r.status, 403);
  assert.match(r.challenge, /^Bearer realm="fhir", error="insufficient_scope", error_description="[^"]*patient B[^"]*", scope="user\/Patient\.r"$/);
  assert.equal(r.body.error, 'insufficient_scope');
  assert.equal(r.body.scope, 'user/Patient.r');

  const search = await api.worker.fetch('/fhir/Observation?patient=B&category=laboratory', { headers: bearer(token) });
  assert.equal(search.status, 403);
  const create = await api.worker.fetch('/fhir/Observation', { method: 'POST', headers: bearer(token), body: '{}' });
  assert.equal(create.status, 403, 'patient/Observation.rs does not grant create');
  assert.match(create.headers.get('www-authenticate'), /scope="[^"]*Observation\.c"/);
});

test('open routes need no token and still drop client-sent identity headers', async () => {
  const res = await api.worker.fetch('/public/logo.svg', { headers: { 'x-auth-sub': 'mallory' } });
  assert.equal(res.status, 200);
  assert.equal(lastUpstream().url, '/public/logo.svg');
  assert.equal(lastUpstream().headers['x-auth-sub'], undefined);
});

test('one structured log line per decision, never the token', async () => {
  const token = h.sign(api.key, h.claims());
  const before = api.worker.decisions().length;
  await api.worker.fetch('/fhir/Patient/A', { headers: bearer(token) });
  await api.worker.fetch('/fhir/Patient/B', { headers: bearer(token) });
  await api.worker.fetch('/fhir/Patient/A');
  // Logs arrive through workerd's stdout: wait for them briefly.
  for (let i = 0; i < 50 && api.worker.decisions().length < before + 3; i++) await h.sleep(20);
  const lines = api.worker.decisions().slice(before);
  assert.equal(lines.length, 3);
  assert.deepEqual(lines.map((l) => [l.decision, l.status, l.path]), [
    ['allow', 200, '/fhir/Patient/A'],
    ['deny', 403, '/fhir/Patient/B'],
    ['deny', 401, '/fhir/Patient/A'],
  ]);
  assert.equal(lines[0].sub, 'dr-who');
  assert.equal(lines[0].kid, 'k1');
  assert.deepEqual(lines[1].codes, ['insufficient_scope']);
  const all = api.worker.logs.map((l) => l.message).join('\n');
  assert.ok(!all.includes(token) && !all.includes(token.split('.')[2]), 'no token in the log');
  assert.ok(!all.includes(h.INTROSPECTION_SECRET), 'no secret in the log');
});
