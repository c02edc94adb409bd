// inspect(): the core's inspection report through the JS API, sync, for any input.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, inspect, OptionsError } from '../index.js';
import { NOW, sign, keyFor, jwkOf, spkiPem } from './helpers.js';

await init();

const key = keyFor('ES256');
const claims = {
  iss: 'https://as.example', sub: 'u1', aud: 'https://fhir.example', exp: NOW + 60, iat: NOW,
  jti: 'j', client_id: 'app', scope: 'patient/Observation.rs', patient: 'p1',
};
const token = sign('ES256', key, { kid: 'k', typ: 'at+jwt' }, claims);

test('a report without keys: kind, decoded parts, explained claims, matching profiles', () => {
  const r = inspect(token, { now: NOW });
  assert.equal(r.kind, 'jws');
  assert.match(r.summary, /signed JWT \(ES256\) from https:\/\/as\.example/);
  assert.equal(r.header.kid, 'k');
  assert.equal(r.payload.patient, 'p1');
  const exp = r.claims.find((c) => c.name === 'exp');
  assert.equal(exp.relative, 'expires in 60 s');
  assert.ok(exp.meaning.length > 0);
  assert.equal(r.profiles.find((p) => p.name === 'smart').matches, true);
  assert.equal(r.verification, null);
  assert.equal(r.introspection, null);
  // `now` is honoured: later, the same token has expired.
  assert.match(inspect(token, { now: NOW + 3600 }).claims.find((c) => c.name === 'exp').relative, /expired/);
});

test('with keys: verified (signature and times) and shown as an RFC 7662 response', () => {
  for (const keys of [jwkOf(key, { kid: 'k' }), spkiPem(key), [spkiPem(keyFor('EdDSA')), jwkOf(key, { kid: 'k' })]]) {
    const r = inspect(token, { now: NOW, keys });
    assert.equal(r.verification.valid, true);
    assert.equal(r.introspection.active, true);
    assert.equal(r.introspection.scope, 'patient/Observation.rs');
  }
  const stranger = inspect(token, { now: NOW, keys: jwkOf(keyFor('ES256'), { kid: 'k' }) });
  assert.equal(stranger.verification.valid, false);
  assert.deepEqual(stranger.verification.errors.map((e) => e.code), ['signature_invalid']);
  assert.equal(stranger.introspection, null);
});

test('with a policy: verified under it', () => {
  const policy = { algorithms: ['ES256'], issuer: 'https://as.example', audience: 'https://other.example', keys: jwkOf(key) };
  const r = inspect(token, { now: NOW, ...policy });
  assert.equal(r.kind, 'jws');
  assert.deepEqual(r.verification.errors.map((e) => e.code), ['audience_mismatch']);
  const ok = inspect(token, { now: NOW, ...policy, audience: 'https://fhir.example', profile: 'smart' });
  assert.deepEqual(ok.verification.errors, []);
  assert.equal(ok.verification.profile, 'smart');
});

test('never throws on any input; a report for each', () => {
  const inputs = [
    undefined, null, 7, '', '   ', 'Bearer abc', 'a.b', 'a.b.c', 'a.b.c.d.e', '\ud800', 'x'.repeat(1 << 20),
    `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`,
    Buffer.from('<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"/>').toString('base64'),
  ];
  for (const input of inputs) {
    const r = inspect(input, { now: NOW });
    assert.ok(['jws', 'jwe', 'saml', 'opaque', 'empty'].includes(r.kind), String(input).slice(0, 30));
    assert.equal(typeof r.summary, 'string');
    assert.ok(Array.isArray(r.findings));
  }
  const jwe = `${Buffer.from('{"alg":"RSA-OAEP","enc":"A256GCM"}').toString('base64url')}.AA.AA.AA.AA`;
  assert.equal(inspect(jwe, { now: NOW }).kind, 'jwe');
  assert.equal(inspect('', { now: NOW }).kind, 'empty');
  assert.equal(inspect('Bearer abc').findings[0].code, 'scheme_removed');
});

test('bad options throw', () => {
  assert.throws(() => inspect(token, null), OptionsError);
  assert.throws(() => inspect(token, { now: 'soon' }), OptionsError);
  assert.throws(() => inspect(token, { keys: 'not a key' }), OptionsError);
  assert.throws(() => inspect(token, { algorithms: ['ES256'], typo: true }), OptionsError);
});
