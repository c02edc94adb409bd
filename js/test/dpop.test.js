// Sender-constrained tokens through decide(): DPoP proofs (RFC 9449) and certificate-bound
// tokens (RFC 8705). The rules are the core's; these attacks check the shim passes the request's
// origin, headers and client certificate through faithfully and that each one is refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { init, decide, createVerifier } from '../index.js';
import { NOW, sign, keyFor, jwkOf, jwkThumbprint, dpopProof } from './helpers.js';

await init();

const issuerKey = keyFor('ES256');
const clientKey = keyFor('ES256');
const ISS = 'https://as.example';
const AUD = 'https://fhir.example';
const URL_ = 'https://api.example/fhir/Patient/1';
const token = (claims = {}) => sign('ES256', issuerKey, {}, { iss: ISS, aud: AUD, sub: 'u1', exp: NOW + 60, ...claims });
const bound = token({ cnf: { jkt: jwkThumbprint(jwkOf(clientKey)) } });
const options = { algorithms: ['ES256'], issuer: ISS, audience: AUD, keys: jwkOf(issuerKey), now: NOW, token: { realm: 'fhir' } };
const body = (d) => JSON.parse(d.body);

function request(proofs, { auth = `DPoP ${bound}`, method = 'GET', url = URL_ } = {}) {
  const headers = new Headers({ authorization: auth });
  for (const p of proofs) headers.append('dpop', p);
  return new Request(url, { method, headers });
}

function refused(d, rule, code) {
  assert.equal(d.allow, false, rule);
  assert.equal(d.status, 401, rule);
  assert.equal(d.log.rule, rule);
  assert.equal(body(d).errors[0].code, code);
  assert.equal(body(d).rule, rule);
}

test('a good proof is accepted once; its replay is refused with a DPoP challenge', async () => {
  const proof = dpopProof(clientKey, { url: URL_, token: bound });
  const ok = await decide(request([proof]), options);
  assert.equal(ok.allow, true, ok.body);
  assert.ok(ok.remove_headers.includes('dpop'));
  const again = await decide(request([proof]), options);
  refused(again, 'dpop.replay', 'dpop_proof_invalid');
  assert.match(again.www_authenticate, /^DPoP realm="fhir", error="invalid_dpop_proof", error_description="[^"]+", algs="[A-Za-z0-9 ]+"$/);
  assert.equal(body(again).error, 'invalid_dpop_proof');
});

test('proofs for another URL or method, stale, future or for another token are refused', async () => {
  const cases = [
    [{ url: 'https://api.example/fhir/Patient/2' }, 'dpop.htu'],
    [{ url: 'https://evil.example/fhir/Patient/1' }, 'dpop.htu'],
    [{ url: URL_, method: 'POST' }, 'dpop.htm'],
    [{ url: URL_, iat: NOW - 3600 }, 'dpop.iat-stale'],
    [{ url: URL_, iat: NOW + 3600 }, 'dpop.iat-future'],
    [{ url: URL_, claims: { ath: crypto.createHash('sha256').update('other').digest('base64url') } }, 'dpop.ath'],
  ];
  for (const [spec, rule] of cases) {
    refused(await decide(request([dpopProof(clientKey, { token: bound, ...spec })]), options), rule, 'dpop_proof_invalid');
  }
});

test('proofs signed by another key, with a private key, or with HMAC are refused', async () => {
  const stranger = keyFor('ES256');
  const otherSigner = sign('ES256', stranger, { typ: 'dpop+jwt', jwk: jwkOf(clientKey) },
    { htm: 'GET', htu: URL_, iat: NOW, jti: 'x1', ath: crypto.createHash('sha256').update(bound).digest('base64url') });
  refused(await decide(request([otherSigner]), options), 'dpop.signature', 'dpop_proof_invalid');
  const privateJwk = { ...clientKey.privateKey.export({ format: 'jwk' }) };
  const leaked = dpopProof(clientKey, { url: URL_, token: bound, header: { jwk: privateJwk } });
  refused(await decide(request([leaked]), options), 'dpop.jwk-private', 'dpop_proof_invalid');
  const secret = keyFor('HS256');
  const hmac = dpopProof(secret, { url: URL_, token: bound, alg: 'HS256' });
  refused(await decide(request([hmac]), options), 'dpop.alg', 'dpop_proof_invalid');
});

test('two proofs, an oversized proof, a token bound elsewhere, and a bound token as Bearer', async () => {
  const a = dpopProof(clientKey, { url: URL_, token: bound });
  const b = dpopProof(clientKey, { url: URL_, token: bound });
  refused(await decide(request([a, b]), options), 'dpop.header-count', 'dpop_proof_invalid');
  refused(await decide(request([a + 'A'.repeat(9000)]), options), 'dpop.too-large', 'dpop_proof_invalid');
  const elsewhere = token({ cnf: { jkt: jwkThumbprint(jwkOf(keyFor('ES256'))) } });
  const p = dpopProof(clientKey, { url: URL_, token: elsewhere });
  refused(await decide(request([p], { auth: `DPoP ${elsewhere}` }), options), 'dpop.jkt', 'token_binding_mismatch');
  const downgrade = await decide(request([], { auth: `Bearer ${bound}` }), options);
  refused(downgrade, 'dpop.bearer-downgrade', 'token_binding_mismatch');
  assert.match(downgrade.www_authenticate, /^DPoP .*error="invalid_token"/);
});

test('the origin comes from an absolute url, a description, or the policy', async () => {
  const fresh = () => dpopProof(clientKey, { url: URL_, token: bound });
  const headers = (p) => [['authorization', `DPoP ${bound}`], ['dpop', p]];
  const described = await decide({ method: 'GET', url: URL_, headers: headers(fresh()) }, options);
  assert.equal(described.allow, true, described.body);
  const withOrigin = await decide({ method: 'GET', path: '/fhir/Patient/1', origin: 'https://api.example', headers: headers(fresh()) }, options);
  assert.equal(withOrigin.allow, true, withOrigin.body);
  const blind = await decide({ method: 'GET', path: '/fhir/Patient/1', headers: headers(fresh()) }, options);
  refused(blind, 'dpop.origin-unknown', 'dpop_proof_invalid');
  const pinned = await decide({ method: 'GET', path: '/fhir/Patient/1', headers: headers(fresh()) },
    { ...options, token: { ...options.token, publicOrigin: 'https://api.example' } });
  assert.equal(pinned.allow, true, pinned.body);
});

test('required mode refuses bearer tokens; off mode does not read the DPoP scheme', async () => {
  const plain = token();
  const req = () => new Request(URL_, { headers: { authorization: `Bearer ${plain}` } });
  assert.equal((await decide(req(), options)).allow, true);
  refused(await decide(req(), { ...options, token: { dpop: 'required' } }), 'dpop.required', 'dpop_proof_invalid');
  const off = await decide(request([dpopProof(clientKey, { url: URL_, token: bound })]), { ...options, token: { dpop: 'off' } });
  assert.equal(off.status, 401);
  assert.equal(off.www_authenticate, 'Bearer realm="azlens"');
});

test('certificate-bound tokens pass only with that client certificate', async () => {
  const certHash = crypto.createHash('sha256').update('a client certificate').digest();
  const t = token({ cnf: { 'x5t#S256': certHash.toString('base64url') } });
  const req = () => new Request(URL_, { headers: { authorization: `Bearer ${t}` } });
  refused(await decide(req(), options), 'mtls.no-certificate', 'token_binding_mismatch');
  refused(await decide(req(), { ...options, clientCertSha256: 'ab'.repeat(32) }), 'mtls.x5t', 'token_binding_mismatch');
  assert.equal((await decide(req(), { ...options, clientCertSha256: certHash.toString('hex') })).allow, true);
  const v = createVerifier(options);
  assert.equal((await v.decide(req(), { clientCertSha256: certHash.toString('hex') })).allow, true);
  assert.equal((await v.decide({ method: 'GET', path: '/x', headers: { authorization: `Bearer ${t}` }, clientCertSha256: certHash.toString('hex') })).allow, true);
  v.free();
});

test('server nonces: use_dpop_nonce with a DPoP-Nonce header, then the proof with it passes', async () => {
  const opts = { ...options, token: { realm: 'fhir', dpopNonceSecret: 'a nonce secret of at least thirty-two bytes' } };
  const first = await decide(request([dpopProof(clientKey, { url: URL_, token: bound })]), opts);
  refused(first, 'dpop.nonce', 'dpop_proof_invalid');
  assert.match(first.www_authenticate, /^DPoP realm="fhir", error="use_dpop_nonce"/);
  const [, nonce] = first.response_headers.find(([n]) => n === 'dpop-nonce');
  const ok = await decide(request([dpopProof(clientKey, { url: URL_, token: bound, claims: { nonce } })]), opts);
  assert.equal(ok.allow, true, ok.body);
});

test('an expired token sent with the DPoP scheme gets a DPoP challenge; no token where DPoP is required too', async () => {
  const expired = token({ exp: NOW - 3600, cnf: { jkt: jwkThumbprint(jwkOf(clientKey)) } });
  const d = await decide(request([dpopProof(clientKey, { url: URL_, token: expired })], { auth: `DPoP ${expired}` }), options);
  assert.equal(d.status, 401);
  assert.match(d.www_authenticate, /^DPoP realm="fhir", error="invalid_token", .*algs="[A-Za-z0-9 ]+"$/);
  const none = await decide(new Request(URL_), { ...options, token: { realm: 'fhir', dpop: 'required' } });
  assert.match(none.www_authenticate, /^DPoP realm="fhir", algs="/);
});
