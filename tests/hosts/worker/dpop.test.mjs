// Sender-constrained tokens in workerd: DPoP proofs checked against the URL the worker was
// called at, a replay memory per isolate, and certificate-bound tokens against Cloudflare's
// verified client certificate (request.cf.tlsClientAuth). Every attack of issue 16 is refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import * as h from './harness.mjs';
import { keyFor, jwkOf, jwkThumbprint, dpopProof, sign } from '../../../js/test/helpers.js';

const api = h.guardedApi();
const client = keyFor('ES256');
const PATH = '/fhir/Patient/A';
const URL_ = `http://gate.test${PATH}`;
const now = () => Math.floor(Date.now() / 1000);
const bound = () => h.sign(api.key, h.claims({ cnf: { jkt: jwkThumbprint(jwkOf(client)) } }));
const proof = (token, spec = {}) => dpopProof(client, { url: URL_, token, iat: now(), ...spec });

function call(token, proofs, { scheme = 'DPoP', method = 'GET', cf } = {}) {
  const headers = new Headers({ authorization: `${scheme} ${token}` });
  for (const p of proofs) headers.append('dpop', p);
  return api.worker.fetch(PATH, { method, headers, ...(cf ? { cf } : {}) });
}

async function refused(res, rule, code) {
  const body = await res.json();
  assert.equal(res.status, 401, `${rule}: ${JSON.stringify(body)}`);
  assert.equal(body.rule, rule);
  assert.equal(body.errors[0].code, code);
  return res.headers.get('www-authenticate');
}

test('a good proof reaches the upstream without its DPoP header; its replay is refused', async () => {
  const token = bound();
  const p = proof(token);
  const ok = await call(token, [p]);
  assert.equal(ok.status, 200, await ok.clone().text());
  const seen = api.upstream.seen.at(-1);
  assert.equal(seen.headers.dpop, undefined);
  assert.equal(seen.headers.authorization, undefined);
  const challenge = await refused(await call(token, [p]), 'dpop.replay', 'dpop_proof_invalid');
  assert.match(challenge, /^DPoP realm="fhir", error="invalid_dpop_proof", .*algs="/);
});

test('every attack on the proof is refused', async () => {
  const token = bound();
  const ath = (t) => crypto.createHash('sha256').update(t).digest('base64url');
  const stranger = keyFor('ES256');
  const cases = [
    [proof(token, { url: 'http://gate.test/fhir/Patient/B' }), 'dpop.htu'],
    [proof(token, { url: `https://gate.test${PATH}` }), 'dpop.htu'],
    [proof(token, { method: 'POST' }), 'dpop.htm'],
    [proof(token, { iat: now() - 3600 }), 'dpop.iat-stale'],
    [proof(token, { iat: now() + 3600 }), 'dpop.iat-future'],
    [proof(token, { claims: { ath: ath('another token') } }), 'dpop.ath'],
    [sign('ES256', stranger, { typ: 'dpop+jwt', jwk: jwkOf(client) }, { htm: 'GET', htu: URL_, iat: now(), jti: 'x', ath: ath(token) }), 'dpop.signature'],
    [proof(token, { header: { jwk: client.privateKey.export({ format: 'jwk' }) } }), 'dpop.jwk-private'],
    [dpopProof(keyFor('HS256'), { url: URL_, token, iat: now(), alg: 'HS256' }), 'dpop.alg'],
    [proof(token) + 'A'.repeat(9000), 'dpop.too-large'],
  ];
  for (const [p, rule] of cases) await refused(await call(token, [p]), rule, 'dpop_proof_invalid');
  await refused(await call(token, [proof(token), proof(token)]), 'dpop.header-count', 'dpop_proof_invalid');
});

test('a token bound to another key, or sent as Bearer, is refused', async () => {
  const elsewhere = h.sign(api.key, h.claims({ cnf: { jkt: jwkThumbprint(jwkOf(keyFor('ES256'))) } }));
  await refused(await call(elsewhere, [proof(elsewhere)]), 'dpop.jkt', 'token_binding_mismatch');
  const token = bound();
  const challenge = await refused(await call(token, [], { scheme: 'Bearer' }), 'dpop.bearer-downgrade', 'token_binding_mismatch');
  assert.match(challenge, /^DPoP .*error="invalid_token"/);
});

test('a certificate-bound token passes only with the certificate Cloudflare verified', async () => {
  const cert = crypto.createHash('sha256').update('client certificate').digest();
  const token = h.sign(api.key, h.claims({ cnf: { 'x5t#S256': cert.toString('base64url') } }));
  const tls = (fingerprint, certVerified = 'SUCCESS') => ({ tlsClientAuth: { certPresented: '1', certVerified, certFingerprintSHA256: fingerprint } });
  await refused(await call(token, [], { scheme: 'Bearer' }), 'mtls.no-certificate', 'token_binding_mismatch');
  await refused(await call(token, [], { scheme: 'Bearer', cf: tls('ab'.repeat(32)) }), 'mtls.x5t', 'token_binding_mismatch');
  await refused(await call(token, [], { scheme: 'Bearer', cf: tls(cert.toString('hex'), 'FAILED:self signed certificate') }), 'mtls.no-certificate', 'token_binding_mismatch');
  const ok = await call(token, [], { scheme: 'Bearer', cf: tls(cert.toString('hex')) });
  assert.equal(ok.status, 200, await ok.clone().text());
});

test('with a nonce secret (an env binding), proofs need the server nonce from DPoP-Nonce', async () => {
  const tmp = h.tempDir();
  const worker = await h.startWorker({
    policy: h.policy(api.keys.url, { token: { realm: 'fhir', dpop_nonce_secret: 'env:DPOP_NONCE_SECRET' } }),
    upstream: api.upstream.url,
    cacheDir: tmp.dir,
    bindings: { DPOP_NONCE_SECRET: crypto.randomBytes(32).toString('base64url') },
  });
  try {
    const token = bound();
    const send = (p) => worker.fetch(PATH, { headers: { authorization: `DPoP ${token}`, dpop: p } });
    const first = await send(proof(token));
    const challenge = await refused(first, 'dpop.nonce', 'dpop_proof_invalid');
    assert.match(challenge, /error="use_dpop_nonce"/);
    const nonce = first.headers.get('dpop-nonce');
    assert.ok(nonce);
    const ok = await send(proof(token, { claims: { nonce } }));
    assert.equal(ok.status, 200, await ok.clone().text());
  } finally {
    await worker.dispose();
    tmp.remove();
  }
});
