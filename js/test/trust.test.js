// x5c chains to trust anchors through the JS shim: verify(token, { trustAnchors, … }) uses the
// leaf's key only when the chain builds to an anchor, reports the chain, and never throws on
// what the token carries. Certificates: tests/fixtures/x509 (made by its regenerate.sh).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { init, verify, errorCodes, createVerifier, MemoryStore } from '../index.js';
import { NOW, sign, startServer } from './helpers.js';

const dir = new URL('../../tests/fixtures/x509/', import.meta.url);
const pem = (name) => readFileSync(new URL(name, dir), 'utf8');
const der = (name) => pem(`${name}.pem`).replace(/-----[^-]+-----|\s/g, '');
const CLIENT = 'https://client.example/udap';

const options = {
  trustAnchors: [pem('root.pem')],
  crls: [pem('crl-root.pem'), pem('crl-int.pem')],
  algorithms: ['ES256'],
  issuer: CLIENT,
  audience: 'https://as.example/token',
  now: NOW,
};

function token(keyName, chain, claims = {}) {
  const privateKey = crypto.createPrivateKey(pem(`${keyName}.key.pem`));
  return sign('ES256', { privateKey }, { typ: 'JWT', x5c: chain.map(der) }, {
    iss: CLIENT, sub: CLIENT, aud: 'https://as.example/token',
    iat: NOW - 10, exp: NOW + 240, jti: 'j-1', ...claims,
  });
}

test('a chain to a trust anchor verifies with the leaf key and is reported', async () => {
  await init();
  const r = await verify(token('leaf', ['leaf', 'int']), { ...options, profile: 'udap' });
  assert.deepEqual(r.errors, []);
  assert.equal(r.valid, true);
  assert.deepEqual(r.chain.certificates.map((c) => c.role), ['leaf', 'intermediate', 'anchor']);
  assert.deepEqual(r.chain.certificates[0].san_uris, [CLIENT]);
  assert.equal(r.chain.revocation, 'checked');
  assert.ok(errorCodes().includes('chain_invalid'));
});

test('broken chains are refused with chain_invalid and a sentence', async () => {
  const cases = [
    [token('leaf-expired', ['leaf-expired', 'int']), /expired at 2021-01-01/],
    [token('leaf', ['leaf']), /no trust anchor or x5c certificate is named CN=Test Intermediate CA/],
    [token('leaf-other', ['leaf-other', 'other-root']), /not one of the policy's trust anchors/],
    [token('leaf-revoked', ['leaf-revoked', 'int']), /was revoked/],
    [token('leaf-loop', ['leaf-loop', 'loop-a2', 'loop-b']), /the chain loops/],
  ];
  for (const [t, why] of cases) {
    const r = await verify(t, options);
    assert.equal(r.valid, false);
    const e = r.errors.find((x) => x.code === 'chain_invalid');
    assert.ok(e, JSON.stringify(r.errors));
    assert.match(e.message, why);
  }
});

test('the udap profile ties iss to the leaf certificate', async () => {
  const other = 'https://someone-else.example';
  const r = await verify(token('leaf', ['leaf', 'int'], { iss: other, sub: other }), {
    ...options, issuer: other, profile: 'udap',
  });
  assert.equal(r.valid, false);
  assert.match(r.errors.map((e) => e.message).join('\n'), /udap\.iss-san/);
});

test('verify never throws on what x5c holds', async () => {
  const privateKey = crypto.createPrivateKey(pem('leaf.key.pem'));
  for (const x5c of [[], ['AAAA'], ['!!'], [der('leaf').repeat(2)], Array(50).fill(der('int')), [42], 'x', {}]) {
    const t = sign('ES256', { privateKey }, { x5c }, { iss: CLIENT, aud: 'https://as.example/token', exp: NOW + 60 });
    const r = await verify(t, options);
    assert.equal(r.valid, false, JSON.stringify(x5c).slice(0, 40));
    assert.ok(r.errors.length > 0);
  }
});

test('CRLs named by crlUrls are fetched like key sets for tokens with x5c, and count', async (t) => {
  const served = { '/int.crl': pem('crl-int.pem') };
  const srv = await startServer({
    '/int.crl': (req, res) => {
      if (!served['/int.crl']) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/pkix-crl', 'cache-control': 'max-age=1' }).end(served['/int.crl']);
    },
  });
  t.after(srv.close);
  const fetching = () => createVerifier({
    ...options,
    crls: [pem('crl-root.pem')],
    crlUrls: [srv.url('/int.crl')],
    keyCache: { allowLoopbackHttp: true },
    keyStore: new MemoryStore(),
  });
  const good = await fetching().verify(token('leaf', ['leaf', 'int']), { now: NOW });
  assert.deepEqual(good.errors, []);
  assert.equal(good.chain.revocation, 'checked');
  assert.equal(srv.hits('/int.crl'), 1);
  const revoked = await fetching().verify(token('leaf-revoked', ['leaf-revoked', 'int']), { now: NOW });
  assert.match(revoked.errors.find((e) => e.code === 'chain_invalid')?.message ?? '', /was revoked/);
  // A token without x5c fetches no CRL.
  const hits = srv.hits('/int.crl');
  await fetching().verify(sign('ES256', { privateKey: crypto.createPrivateKey(pem('leaf.key.pem')) }, {}, { iss: CLIENT }), { now: NOW });
  assert.equal(srv.hits('/int.crl'), hits);
  // The CRL cannot be fetched: the status is unknown, so the chain is refused (never skipped).
  served['/int.crl'] = null;
  const unknown = await fetching().verify(token('leaf', ['leaf', 'int']), { now: NOW });
  assert.equal(unknown.valid, false);
  assert.match(unknown.errors.find((e) => e.code === 'chain_invalid')?.message ?? '', /revocation status .* is unknown/);
  assert.ok(unknown.warnings.some((w) => w.code === 'key_set_unavailable'), JSON.stringify(unknown.warnings));
});
