// POST /introspect (RFC 7662) in the worker: client credentials from the policy (the secret
// from a binding through `env:`), the SMART launch context of a verified token, nothing about
// one that does not verify.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';

const api = h.guardedApi();

const FORM = 'application/x-www-form-urlencoded';
const basic = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

function introspect(token, { auth = basic('rs-1', h.INTROSPECTION_SECRET), body, method = 'POST' } = {}) {
  const headers = { 'content-type': FORM };
  if (auth) headers.authorization = auth;
  return api.worker.fetch('/introspect', {
    method,
    headers,
    body: method === 'GET' ? undefined : (body ?? new URLSearchParams({ token, token_type_hint: 'access_token' }).toString()),
  });
}

test('a verified token is active, with its SMART launch context', async () => {
  const token = h.sign(api.key, h.claims());
  const before = api.upstream.seen.length;
  const res = await introspect(token);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const v = await res.json();
  assert.equal(v.active, true);
  assert.equal(v.patient, 'A');
  assert.equal(v.encounter, 'enc-7');
  assert.equal(v.fhirUser, 'Practitioner/p-1');
  assert.equal(v.sub, 'dr-who');
  assert.equal(v.client_id, 'growth-chart');
  assert.equal(v.scope, 'launch openid fhirUser patient/Observation.rs patient/Patient.r');
  assert.equal(v.iss, h.ISSUER);
  assert.equal(v.token_type, 'Bearer');
  assert.equal(api.upstream.seen.length, before, 'the worker answers introspection itself');
});

test('client_secret_post authenticates too', async () => {
  const token = h.sign(api.key, h.claims());
  const body = new URLSearchParams({ token, client_id: 'rs-1', client_secret: h.INTROSPECTION_SECRET }).toString();
  const res = await introspect(token, { auth: null, body });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).patient, 'A');
});

test('a token that does not verify is {"active": false} and nothing more', async () => {
  const now = Math.floor(Date.now() / 1000);
  for (const token of [
    h.sign(api.key, h.claims({ iat: now - 7200, exp: now - 3600 })),
    h.sign(api.key, h.claims({ aud: 'https://elsewhere.example' })),
    h.sign(h.signingKey('k1'), h.claims()),
    'an-opaque-token',
  ]) {
    const res = await introspect(token);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { active: false });
  }
});

test('callers without valid client credentials are refused without an answer about the token', async () => {
  const token = h.sign(api.key, h.claims());
  for (const auth of [null, basic('rs-1', 'wrong-secret-wrong-secret'), basic('nobody', h.INTROSPECTION_SECRET), `Bearer ${token}`]) {
    const res = await introspect(token, { auth });
    assert.equal(res.status, 401, String(auth));
    assert.equal(res.headers.get('www-authenticate'), 'Basic realm="fhir", charset="UTF-8"');
    const body = await res.json();
    assert.equal(body.error, 'invalid_client');
    assert.equal(body.active, undefined);
    assert.ok(!JSON.stringify(body).includes(token));
  }
  const get = await introspect(token, { method: 'GET' });
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  const huge = await introspect(token, { body: `token=${'a'.repeat(40_000)}` });
  assert.equal(huge.status, 413);
});
