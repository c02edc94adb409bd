// Every algorithm, signed by node:crypto and verified by the WASM core, and every key format the
// `keys` option takes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { init, verify, createVerifier } from '../index.js';
import {
  NOW, sign, keyFor, jwkOf, spkiPem, pkcs1Pem, selfSignedCertificate, certificatePem, opensshLine,
} from './helpers.js';

await init();

const claims = { iss: 'https://as.example', aud: 'https://fhir.example', iat: NOW, exp: NOW + 60 };
const base = { issuer: 'https://as.example', audience: 'https://fhir.example', now: NOW };
const tamper = (t) => {
  const [h, , s] = t.split('.');
  return `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'x' })).toString('base64url')}.${s}`;
};

const ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'HS256', 'HS384', 'HS512'];

for (const alg of ALGS) {
  test(`${alg}: signed by node:crypto, verified by the core; a changed payload is not`, async () => {
    const key = keyFor(alg);
    const token = sign(alg, key, { kid: 'k' }, claims);
    const opts = { ...base, algorithms: [alg], keys: { keys: [jwkOf(key, { kid: 'k' })] } };
    const ok = await verify(token, opts);
    assert.deepEqual(ok.errors, []);
    assert.equal(ok.valid, true);
    assert.equal(ok.key.alg, alg);
    const bad = await verify(tamper(token), opts);
    assert.equal(bad.valid, false);
    assert.deepEqual(bad.errors.map((e) => e.code), ['signature_invalid']);
  });
}

test('the token never chooses the algorithm: an allow-list without it refuses it', async () => {
  const key = keyFor('RS256');
  const r = await verify(sign('RS256', key, {}, claims), { ...base, algorithms: ['PS256'], keys: spkiPem(key) });
  assert.deepEqual(r.errors.map((e) => e.code), ['alg_not_allowed']);
});

const rsa = keyFor('RS256');
const ec = keyFor('ES256');
const ed = keyFor('EdDSA');
const cert = selfSignedCertificate(rsa);

const FORMATS = {
  'a JWK Set object': [rsa, 'RS256', { keys: [jwkOf(rsa, { kid: 'k' })] }],
  'a single JWK': [ec, 'ES256', jwkOf(ec, { kid: 'k' })],
  'JWK Set JSON text': [ed, 'EdDSA', JSON.stringify({ keys: [jwkOf(ed, { kid: 'k' })] })],
  'PEM SPKI (RSA)': [rsa, 'RS256', spkiPem(rsa)],
  'PEM SPKI (EC)': [ec, 'ES256', spkiPem(ec)],
  'PEM SPKI (Ed25519)': [ed, 'EdDSA', spkiPem(ed)],
  'PEM PKCS#1': [rsa, 'RS256', pkcs1Pem(rsa)],
  'a PEM certificate': [rsa, 'RS256', certificatePem(cert)],
  'a DER certificate (bytes)': [rsa, 'RS256', new Uint8Array(cert)],
  'DER SPKI (ArrayBuffer)': [ec, 'ES256', new Uint8Array(ec.publicKey.export({ type: 'spki', format: 'der' })).buffer],
  'an OpenSSH line (ssh-rsa)': [rsa, 'RS256', opensshLine(rsa)],
  'an OpenSSH line (ecdsa)': [ec, 'ES256', opensshLine(ec)],
  'an OpenSSH line (ssh-ed25519)': [ed, 'EdDSA', opensshLine(ed)],
  'an array of JWKs': [ec, 'ES256', [jwkOf(rsa, { kid: 'r' }), jwkOf(ec, { kid: 'k' })]],
  'a mixed array (PEM, JWK, OpenSSH, DER)': [ed, 'EdDSA', [spkiPem(rsa), jwkOf(ec, { kid: 'e' }), opensshLine(ed), new Uint8Array(cert)]],
};

test('the test certificate is a real X.509 certificate', () => {
  const x = new X509Certificate(cert);
  assert.ok(x.verify(rsa.publicKey));
  assert.equal(x.subject, 'CN=azlens test');
});

for (const [name, [key, alg, keys]] of Object.entries(FORMATS)) {
  test(`keys as ${name}`, async () => {
    const opts = { ...base, algorithms: [alg], keys };
    const r = await verify(sign(alg, key, { kid: 'k' }, claims), opts);
    assert.deepEqual(r.errors, []);
    assert.equal(r.valid, true);
    // The same keys do not verify a token signed by a stranger.
    const other = await verify(sign(alg, keyFor(alg), { kid: 'k' }, claims), opts);
    assert.equal(other.valid, false);
  });
}

test('unusable keys in the options are an options error', async () => {
  for (const keys of ['not a key', { kty: 'RSA' }, new Uint8Array([1, 2, 3]), opensshLine(rsa).replace('AAAA', 'ZZZZ')]) {
    await assert.rejects(verify('a.b.c', { ...base, algorithms: ['RS256'], keys }), { name: 'OptionsError' }, String(keys));
  }
});

test('issuer-specific keys through the issuers list (camelCase inside)', async () => {
  const v = createVerifier({
    algorithms: ['RS256', 'ES256'],
    issuers: [
      { issuer: 'https://a.example', audience: 'https://fhir.example', algorithms: ['RS256'], keys: spkiPem(rsa) },
      { issuer: 'https://b.example', audience: 'https://fhir.example', keys: jwkOf(ec) },
    ],
    maxTokenAge: 600,
  });
  const a = await v.verify(sign('RS256', rsa, {}, { ...claims, iss: 'https://a.example' }), { now: NOW });
  assert.deepEqual(a.errors, []);
  const b = await v.verify(sign('ES256', ec, {}, { ...claims, iss: 'https://b.example' }), { now: NOW });
  assert.deepEqual(b.errors, []);
  // a.example may not use ES256, even with a key that would verify.
  const c = await v.verify(sign('ES256', ec, {}, { ...claims, iss: 'https://a.example' }), { now: NOW });
  assert.ok(c.errors.some((e) => e.code === 'alg_not_allowed'));
});
