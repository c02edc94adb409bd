// Every error code of the core is reachable through the JS API, with the claim it concerns.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, verify, decide, errorCodes } from '../index.js';
import { NOW, sign, keyFor, jwkOf } from './helpers.js';

await init();

const key = keyFor('ES256');
const ISS = 'https://as.example';
const AUD = 'https://fhir.example';
const claims = (extra = {}) => ({ iss: ISS, aud: AUD, sub: 'u1', iat: NOW - 10, exp: NOW + 300, jti: 'j1', ...extra });
const good = (header = {}, payload = claims()) => sign('ES256', key, { kid: 'k1', ...header }, payload);
const options = (extra = {}) => ({
  keys: { keys: [jwkOf(key, { kid: 'k1' }), jwkOf(keyFor('ES256'), { kid: 'enc', use: 'enc' })] },
  algorithms: ['ES256'],
  issuer: ISS,
  audience: AUD,
  now: NOW,
  ...extra,
});
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');

// code → [token, extra options, expected claim (or undefined)]
const CASES = {
  malformed: [() => 'only.two', {}, undefined],
  unsupported_token: [() => 'a.b.c.d.e', {}, undefined],
  alg_not_allowed: [() => `${b64({ alg: 'none' })}.${b64(claims())}.`, {}, 'header.alg'],
  crit_unsupported: [() => good({ crit: ['urn:x'], 'urn:x': 1 }), {}, 'header.crit'],
  key_not_found: [() => good({ kid: 'nobody' }), {}, 'header.kid'],
  key_invalid: [() => sign('ES256', key, { kid: 'enc' }, claims()), {}, 'header.kid'],
  signature_invalid: [() => good().replace(/\.[^.]+\./, `.${b64(claims({ sub: 'admin' }))}.`), {}, undefined],
  expired: [() => good({}, claims({ exp: NOW - 3600 })), {}, 'exp'],
  not_yet_valid: [() => good({}, claims({ nbf: NOW + 3600 })), {}, 'nbf'],
  issued_in_future: [() => good({}, claims({ iat: NOW + 3600 })), {}, 'iat'],
  token_too_old: [() => good({}, claims({ iat: NOW - 3600, exp: NOW + 60 })), { maxTokenAge: 600 }, 'iat'],
  issuer_mismatch: [() => good({}, claims({ iss: 'https://evil.example' })), {}, 'iss'],
  audience_mismatch: [() => good({}, claims({ aud: 'https://other.example' })), {}, 'aud'],
  typ_mismatch: [() => good({ typ: 'JWT' }), { typ: 'at+jwt' }, 'header.typ'],
  missing_claim: [() => good({}, claims({ jti: undefined })), { requiredClaims: ['jti'] }, 'jti'],
  claim_invalid: [() => good({}, claims({ exp: 'tomorrow' })), {}, 'exp'],
  key_source_not_allowed: [() => good({ jku: 'https://evil.example/jwks' }), {}, 'header.jku'],
  profile_violation: [() => good({}, claims({ nonce: 'replayed' })), { profile: 'oidc', profileOptions: { nonce: 'n-1' } }, 'nonce'],
  // Port 9 is one fetch() refuses outright: the set cannot be fetched, nothing leaves the host.
  key_set_unavailable: [() => good({ kid: 'nobody' }), { jwksUri: 'http://127.0.0.1:9/jwks', keyCache: { allowLoopbackHttp: true } }, 'header.kid'],
};
// Scopes are judged against a request (a route, a FHIR interaction): decide() reports it.
const BY_DECIDE = new Set(['insufficient_scope', 'request_refused']);
// Sender constraints are judged against a request's proof or connection: dpop.test.js.
const BY_DPOP = new Set(['dpop_proof_invalid', 'token_binding_mismatch']);
// x5c chains need certificate fixtures: trust.test.js reports chain_invalid.
const BY_TRUST = new Set(['chain_invalid']);

test('the code table comes from the core and has every documented code', () => {
  const codes = errorCodes();
  assert.equal(codes.length, 24);
  assert.deepEqual(new Set([...Object.keys(CASES), ...BY_DECIDE, ...BY_TRUST, ...BY_DPOP]), new Set(codes));
});

test('a good token is valid and reports its key', async () => {
  const r = await verify(good(), options());
  assert.deepEqual(r.errors, []);
  assert.equal(r.valid, true);
  assert.equal(r.payload.sub, 'u1');
  assert.equal(r.header.kid, 'k1');
  assert.deepEqual(r.key, { kid: 'k1', kty: 'EC', alg: 'ES256' });
});

for (const [code, [token, extra, claim]] of Object.entries(CASES)) {
  test(`${code} is reported`, async () => {
    const r = await verify(token(), options(extra));
    assert.equal(r.valid, false);
    const hit = r.errors.find((e) => e.code === code);
    assert.ok(hit, `expected ${code}, got ${JSON.stringify(r.errors)}`);
    assert.equal(typeof hit.message, 'string');
    assert.ok(hit.message.length > 10);
    if (claim) assert.equal(hit.claim, claim);
    for (const e of r.errors) assert.ok(errorCodes().includes(e.code));
  });
}

test('insufficient_scope is reported for a request the scopes do not grant', async () => {
  const routes = [{ pathPrefix: '/admin', anyScope: ['admin'] }];
  const d = await decide(
    { method: 'GET', path: '/admin', headers: { authorization: `Bearer ${good({}, claims({ scope: 'user' }))}` } },
    options({ routes }),
  );
  assert.equal(d.status, 403);
  const [hit] = JSON.parse(d.body).errors;
  assert.equal(hit.code, 'insufficient_scope');
  assert.equal(hit.claim, 'scope');
  assert.deepEqual(d.log.codes, ['insufficient_scope']);
});
