// Remote key sets against real HTTP servers on 127.0.0.1: caching, rotation, cooldown,
// Cache-Control bounds, timeouts, size caps, errors, stale serving, discovery and jku.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, createVerifier, MemoryStore } from '../index.js';
import { checkUrl } from '../http.js';
import { Verifier as CoreVerifier } from '../pkg/azlens.js';
import { NOW, sign, keyFor, jwkOf, startServer, json, sleep } from './helpers.js';

await init();

const keyA = keyFor('ES256');
const keyB = keyFor('ES256');
const keyC = keyFor('ES256');
const jwks = (...pairs) => ({ keys: pairs.map(([kid, key]) => jwkOf(key, { kid, alg: 'ES256', use: 'sig' })) });
const AUD = 'https://fhir.example';

function tokenFor(iss, kid, key = { A: keyA, B: keyB, C: keyC }[kid], header = {}) {
  return sign('ES256', key, { kid, ...header }, { iss, aud: AUD, iat: NOW, exp: NOW + 600 });
}

/** A verifier for `srv` (issuer = server base) with its own store and loopback http allowed. */
function verifierFor(srv, { keyCache = {}, ...extra } = {}) {
  return createVerifier({
    algorithms: ['ES256'],
    issuer: srv.base,
    jwksUri: srv.url('/jwks'),
    audience: AUD,
    keyCache: { allowLoopbackHttp: true, ...keyCache },
    keyStore: new MemoryStore(),
    ...extra,
  });
}

const codes = (r) => r.errors.map((e) => e.code);
const warningCodes = (r) => r.warnings.map((w) => w.code);

test('a jwks_uri is fetched once and the parsed set reused', async (t) => {
  const srv = await startServer({ '/jwks': (req, res) => json(res, jwks(['A', keyA])) });
  t.after(srv.close);
  const v = verifierFor(srv);
  for (let i = 0; i < 5; i++) {
    const r = await v.verify(tokenFor(srv.base, 'A'), { now: NOW });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, []);
  }
  assert.equal(srv.hits('/jwks'), 1);
});

test("rotation: a new kid refetches, on the core's unknown-kid schedule", async (t) => {
  let rotated = false;
  const srv = await startServer({
    '/jwks': (req, res) => json(res, rotated ? jwks(['A', keyA], ['B', keyB]) : jwks(['A', keyA])),
  });
  t.after(srv.close);
  const v = verifierFor(srv, { keyCache: { refetchCooldown: 1 } });
  assert.equal((await v.verify(tokenFor(srv.base, 'A'), { now: NOW })).valid, true);
  rotated = true;
  // The cooldown counts from unknown-kid refetches only: B is fetched on its first use.
  const r = await v.verify(tokenFor(srv.base, 'B'), { now: NOW });
  assert.deepEqual(r.errors, []);
  assert.equal(srv.hits('/jwks'), 2);
  // Another unknown kid right after: the cooldown holds, however many tokens ask.
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(codes(await v.verify(tokenFor(srv.base, 'C'), { now: NOW })), ['key_not_found']);
  }
  assert.equal(srv.hits('/jwks'), 2);
  await sleep(1100);
  assert.deepEqual(codes(await v.verify(tokenFor(srv.base, 'C'), { now: NOW })), ['key_not_found']);
  assert.equal(srv.hits('/jwks'), 3);
});

test('the default cooldown is 30 s: a flood of unknown kids costs one refetch', async (t) => {
  const srv = await startServer({ '/jwks': (req, res) => json(res, jwks(['A', keyA])) });
  t.after(srv.close);
  const v = verifierFor(srv);
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => v.verify(tokenFor(srv.base, 'C', keyC, { kid: `x${i}` }), { now: NOW })));
  for (const r of results) assert.deepEqual(codes(r), ['key_not_found']);
  assert.equal(srv.hits('/jwks'), 2, 'the first fetch and one refetch');
  const again = await Promise.all(Array.from({ length: 50 }, (_, i) => v.verify(tokenFor(srv.base, 'C', keyC, { kid: `y${i}` }), { now: NOW })));
  for (const r of again) assert.deepEqual(codes(r), ['key_not_found']);
  assert.equal(srv.hits('/jwks'), 2);
});

test('concurrent misses share one request, first fetch and refetch alike', async (t) => {
  let rotated = false;
  const srv = await startServer({
    '/jwks': async (req, res) => {
      await sleep(300);
      json(res, rotated ? jwks(['B', keyB]) : jwks(['A', keyA]));
    },
  });
  t.after(srv.close);
  const v = verifierFor(srv, { keyCache: { refetchCooldown: 1 } });
  const first = await Promise.all(Array.from({ length: 20 }, () => v.verify(tokenFor(srv.base, 'A'), { now: NOW })));
  for (const r of first) assert.deepEqual(r.errors, []);
  assert.equal(srv.hits('/jwks'), 1);
  rotated = true;
  await sleep(1100);
  const second = await Promise.all(Array.from({ length: 20 }, () => v.verify(tokenFor(srv.base, 'B'), { now: NOW })));
  for (const r of second) assert.deepEqual(r.errors, []);
  assert.equal(srv.hits('/jwks'), 2);
});

test('Cache-Control max-age is honoured within the policy bounds', async (t) => {
  const srv = await startServer({
    '/short': (req, res) => json(res, jwks(['A', keyA]), { 'cache-control': 'public, max-age=1' }),
    '/long': (req, res) => json(res, jwks(['A', keyA]), { 'cache-control': 'max-age=3600' }),
    '/capped': (req, res) => json(res, jwks(['A', keyA]), { 'cache-control': 'max-age=3600' }),
    '/floored': (req, res) => json(res, jwks(['A', keyA]), { 'cache-control': 'no-cache' }),
    '/aged': (req, res) => json(res, jwks(['A', keyA]), { 'cache-control': 'max-age=100', age: '99' }),
    '/none': (req, res) => json(res, jwks(['A', keyA])),
  });
  t.after(srv.close);
  const cases = {
    '/short': [{ minMaxAge: 1 }, 2],
    '/long': [{ minMaxAge: 1 }, 1],
    '/capped': [{ maxMaxAge: 1 }, 2],
    '/floored': [{}, 1], // no-cache counts as 0, raised to the 30 s floor
    '/aged': [{ minMaxAge: 1 }, 2], // 100 s less an Age of 99 s
    '/none': [{ defaultMaxAge: 1, minMaxAge: 1 }, 2],
  };
  const verifiers = Object.fromEntries(
    Object.entries(cases).map(([path, [keyCache]]) => [path, verifierFor(srv, { jwksUri: srv.url(path), keyCache })]),
  );
  for (const v of Object.values(verifiers)) assert.equal((await v.verify(tokenFor(srv.base, 'A'), { now: NOW })).valid, true);
  await sleep(1100);
  for (const v of Object.values(verifiers)) assert.equal((await v.verify(tokenFor(srv.base, 'A'), { now: NOW })).valid, true);
  for (const [path, [, hits]] of Object.entries(cases)) assert.equal(srv.hits(path), hits, path);
});

test("freshness is the core's rule: defaults are 10 min, floor 30 s, cap 24 h", () => {
  const core = new CoreVerifier(JSON.stringify({ algorithms: ['ES256'], key_cache: { max_max_age: 7200 } }));
  assert.equal(core.keySetLifetime(undefined, undefined), 600);
  assert.equal(core.keySetLifetime('max-age=5', undefined), 30);
  assert.equal(core.keySetLifetime('max-age=999999', undefined), 7200, "the policy's cap");
  assert.equal(core.keySetLifetime('private, max-age=1200, must-revalidate', undefined), 1200);
  assert.equal(core.keySetLifetime('max-age=1200', '200'), 1000, 'less the Age');
  assert.equal(core.keySetLifetime('no-store', undefined), 30);
  assert.equal(core.keySetLifetime('max-age=12abc', undefined), 600, 'malformed: the default');
  assert.deepEqual([0, 1, 2, 3, 6, 7].map((f) => core.keySetRetryAfter(f)), [0, 1000, 2000, 4000, 30000, 30000]);
});

test('a server that does not answer times out', async (t) => {
  const srv = await startServer({ '/jwks': () => new Promise(() => {}) });
  t.after(srv.close);
  const v = verifierFor(srv, { keyCache: { fetchTimeoutMs: 300 } });
  const started = Date.now();
  const r = await v.verify(tokenFor(srv.base, 'A'), { now: NOW });
  assert.ok(Date.now() - started < 2000);
  assert.deepEqual(codes(r), ['key_set_unavailable']);
  assert.deepEqual(warningCodes(r), ['key_set_unavailable']);
  assert.match(r.warnings[0].message, /did not answer within 300 ms/);
});

test('a slow first fetch: the request waits at most max_wait_ms, the fetch goes on', async (t) => {
  const srv = await startServer({
    '/jwks': async (req, res) => {
      await sleep(800);
      json(res, jwks(['A', keyA]));
    },
  });
  t.after(srv.close);
  const v = verifierFor(srv, { keyCache: { maxWaitMs: 100 } });
  const r = await v.verify(tokenFor(srv.base, 'A'), { now: NOW });
  assert.deepEqual(codes(r), ['key_set_unavailable']);
  assert.match(r.warnings[0].message, /no answer within key_cache.max_wait_ms \(100 ms\)/);
  await sleep(1000);
  assert.deepEqual((await v.verify(tokenFor(srv.base, 'A'), { now: NOW })).errors, []);
  assert.equal(srv.hits('/jwks'), 1);
});

test('oversize key sets are refused, declared or streamed', async (t) => {
  const big = JSON.stringify({ keys: [jwkOf(keyA, { kid: 'A' })], pad: 'x'.repeat(70 * 1024) });
  const srv = await startServer({
    '/declared': (req, res) => json(res, big),
    '/streamed': (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < big.length; i += 4096) res.write(big.slice(i, i + 4096));
      res.end();
    },
    '/small-limit': (req, res) => json(res, jwks(['A', keyA])),
  });
  t.after(srv.close);
  for (const path of ['/declared', '/streamed']) {
    const r = await verifierFor(srv, { jwksUri: srv.url(path) }).verify(tokenFor(srv.base, 'A'), { now: NOW });
    assert.deepEqual(codes(r), ['key_set_unavailable'], path);
    assert.match(r.warnings[0].message, /65536 bytes/, path);
  }
  // The cap is the policy's limits.max_key_set_bytes.
  const tight = verifierFor(srv, { jwksUri: srv.url('/small-limit'), limits: { maxKeySetBytes: 100 } });
  const r = await tight.verify(tokenFor(srv.base, 'A'), { now: NOW });
  assert.match(r.warnings[0].message, /limit is 100 bytes/);
});

test('HTTP errors, redirects and non-key-set bodies are reported, not thrown', async (t) => {
  const srv = await startServer({
    '/500': (req, res) => res.writeHead(500).end('oops'),
    '/302': (req, res) => res.writeHead(302, { location: '/jwks' }).end(),
    '/html': (req, res) => json(res, '<html>login</html>'),
    '/jwks': (req, res) => json(res, jwks(['A', keyA])),
  });
  t.after(srv.close);
  const expect = { '/500': /HTTP 500/, '/302': /HTTP 302 \(redirects are not followed\)/, '/html': /no usable key set/, '/missing': /HTTP 404/ };
  for (const [path, message] of Object.entries(expect)) {
    const r = await verifierFor(srv, { jwksUri: srv.url(path) }).verify(tokenFor(srv.base, 'A'), { now: NOW });
    assert.deepEqual(codes(r), ['key_set_unavailable'], path);
    assert.deepEqual(warningCodes(r), ['key_set_unavailable'], path);
    assert.match(r.warnings[0].message, message, path);
  }
  assert.equal(srv.hits('/jwks'), 0);
});

test('after a failed refresh the last good set is served for the stale window only', async (t) => {
  let failing = false;
  const srv = await startServer({
    '/jwks': (req, res) => (failing ? res.writeHead(500).end() : json(res, jwks(['A', keyA]), { 'cache-control': 'max-age=1' })),
  });
  t.after(srv.close);
  const v = verifierFor(srv, { keyCache: { minMaxAge: 1, staleFor: 2 } });
  assert.deepEqual((await v.verify(tokenFor(srv.base, 'A'), { now: NOW })).errors, []);
  failing = true;
  await sleep(1100);
  const stale = await v.verify(tokenFor(srv.base, 'A'), { now: NOW });
  assert.equal(stale.valid, true);
  assert.deepEqual(warningCodes(stale), ['key_set_stale']);
  assert.match(stale.warnings[0].message, /HTTP 500/);
  assert.equal(srv.hits('/jwks'), 2);
  // While stale, a failing server is not retried on every request: after one failure it waits
  // the core's back-off (1 s).
  assert.equal((await v.verify(tokenFor(srv.base, 'A'), { now: NOW })).valid, true);
  assert.equal(srv.hits('/jwks'), 2);
  await sleep(2000); // past max-age (1 s) + stale_for (2 s), and past the 1 s back-off
  const gone = await v.verify(tokenFor(srv.base, 'A'), { now: NOW });
  assert.deepEqual(codes(gone), ['key_set_unavailable']);
  assert.deepEqual(warningCodes(gone), ['key_set_unavailable']);
  assert.match(gone.warnings[0].message, /HTTP 500/);
  assert.equal(srv.hits('/jwks'), 3); // retried once, failed again
  // Two failures in a row: the next wait is 2 s, so requests now cost no fetch.
  assert.deepEqual(codes(await v.verify(tokenFor(srv.base, 'A'), { now: NOW })), ['key_set_unavailable']);
  await sleep(1100);
  assert.deepEqual(codes(await v.verify(tokenFor(srv.base, 'A'), { now: NOW })), ['key_set_unavailable']);
  assert.equal(srv.hits('/jwks'), 3);
});

test('a failing server is retried after the back-off, then recovers', async (t) => {
  let failing = true;
  const srv = await startServer({ '/jwks': (req, res) => (failing ? res.writeHead(503).end() : json(res, jwks(['A', keyA]))) });
  t.after(srv.close);
  const v = verifierFor(srv, { keyCache: { refetchCooldown: 1 } });
  for (let i = 0; i < 3; i++) {
    const r = await v.verify(tokenFor(srv.base, 'A'), { now: NOW });
    assert.deepEqual(codes(r), ['key_set_unavailable']);
    assert.deepEqual(warningCodes(r), ['key_set_unavailable']);
    assert.match(r.warnings[0].message, /HTTP 503/);
  }
  assert.equal(srv.hits('/jwks'), 1);
  failing = false;
  await sleep(1100);
  assert.deepEqual((await v.verify(tokenFor(srv.base, 'A'), { now: NOW })).errors, []);
  assert.equal(srv.hits('/jwks'), 2);
});

test('discovery: OpenID configuration, SMART configuration, and an issuer mismatch', async (t) => {
  let base;
  const srv = await startServer({
    '/oidc/.well-known/openid-configuration': (req, res) => json(res, { issuer: `${base}/oidc`, jwks_uri: `${base}/oidc/jwks` }),
    '/oidc/jwks': (req, res) => json(res, jwks(['A', keyA])),
    '/smart/.well-known/smart-configuration': (req, res) => json(res, { issuer: `${base}/smart`, jwks_uri: `${base}/smart/jwks` }),
    '/smart/jwks': (req, res) => json(res, jwks(['B', keyB])),
    '/evil/.well-known/openid-configuration': (req, res) => json(res, { issuer: 'https://evil.example', jwks_uri: `${base}/evil/jwks` }),
    '/evil/jwks': (req, res) => json(res, jwks(['A', keyA])),
  });
  t.after(srv.close);
  base = srv.base;
  const discovering = (iss) => createVerifier({
    algorithms: ['ES256'], issuer: iss, discovery: true, audience: AUD,
    keyCache: { allowLoopbackHttp: true }, keyStore: new MemoryStore(),
  });

  const oidc = discovering(`${base}/oidc`);
  assert.deepEqual((await oidc.verify(tokenFor(`${base}/oidc`, 'A'), { now: NOW })).errors, []);
  assert.deepEqual((await oidc.verify(tokenFor(`${base}/oidc`, 'A'), { now: NOW })).errors, []);
  assert.equal(srv.hits('/oidc/.well-known/openid-configuration'), 1);
  assert.equal(srv.hits('/oidc/jwks'), 1);

  const smart = discovering(`${base}/smart`);
  assert.deepEqual((await smart.verify(tokenFor(`${base}/smart`, 'B'), { now: NOW })).errors, []);
  assert.equal(srv.hits('/smart/.well-known/openid-configuration'), 1); // tried first, 404

  const evil = discovering(`${base}/evil`);
  const r = await evil.verify(tokenFor(`${base}/evil`, 'A'), { now: NOW });
  assert.deepEqual(codes(r), ['key_set_unavailable']);
  assert.deepEqual(warningCodes(r), ['discovery_failed']);
  assert.match(r.warnings[0].message, /names the issuer "https:\/\/evil.example"/);
  assert.equal(srv.hits('/evil/jwks'), 0);
  // The refused document is not fetched again for every token.
  await evil.verify(tokenFor(`${base}/evil`, 'A'), { now: NOW });
  assert.equal(srv.hits('/evil/.well-known/openid-configuration'), 1);
});

test('discovery: the core checks the document it found and its problems are warnings, never refusals', async (t) => {
  let base;
  const smartDoc = () => ({
    issuer: `${base}/smart`, jwks_uri: `${base}/smart/jwks`,
    token_endpoint: `${base}/smart/token`, grant_types_supported: ['authorization_code'],
    capabilities: ['launch-standalone'], authorization_endpoint: `${base}/smart/authorize`,
    code_challenge_methods_supported: ['S256', 'plain'],
  });
  const srv = await startServer({
    '/smart/.well-known/smart-configuration': (req, res) => json(res, smartDoc()),
    '/smart/jwks': (req, res) => json(res, jwks(['A', keyA])),
    // An IUA authorization server's metadata (ITI-103) without its token endpoint.
    '/iua/.well-known/openid-configuration': (req, res) => json(res, {
      issuer: `${base}/iua`, jwks_uri: `${base}/iua/jwks`, authorization_endpoint: `${base}/iua/authorize`,
      response_types_supported: ['code'], grant_types_supported: ['client_credentials', 'authorization_code'],
    }),
    '/iua/jwks': (req, res) => json(res, jwks(['A', keyA])),
  });
  t.after(srv.close);
  base = srv.base;
  const discovering = (iss, extra = {}) => createVerifier({
    algorithms: ['ES256'], issuer: iss, discovery: true, audience: AUD,
    keyCache: { allowLoopbackHttp: true }, keyStore: new MemoryStore(), ...extra,
  });

  const smart = discovering(`${base}/smart`);
  for (let i = 0; i < 2; i++) {
    const r = await smart.verify(tokenFor(`${base}/smart`, 'A'), { now: NOW });
    assert.deepEqual(r.errors, []);
    assert.equal(r.valid, true);
    const w = r.warnings.filter((x) => x.code === 'smart_configuration_pkce');
    assert.equal(w.length, 1, JSON.stringify(r.warnings));
    assert.match(w[0].message, /"plain"/);
    assert.equal(w[0].claim, 'smart-configuration.code_challenge_methods_supported');
  }
  assert.equal(srv.hits('/smart/.well-known/smart-configuration'), 1);

  // The metadata rules apply under the iua profile only.
  const iss = `${base}/iua`;
  const plain = await discovering(iss).verify(tokenFor(iss, 'A'), { now: NOW });
  assert.deepEqual(plain.errors, []);
  assert.deepEqual(warningCodes(plain), []);
  const iua = await discovering(iss, { profile: 'iua' }).verify(tokenFor(iss, 'A'), { now: NOW });
  const missing = iua.warnings.filter((x) => x.code === 'iua_metadata_missing').map((x) => x.claim);
  assert.deepEqual(missing, ['metadata.token_endpoint']);
});

test('jku is fetched only when it exactly matches the issuer\'s allow-list', async (t) => {
  const srv = await startServer({
    '/cds-jwks': (req, res) => json(res, jwks(['A', keyA])),
    '/evil-jwks': (req, res) => json(res, jwks(['A', keyA])),
    '/x5u': (req, res) => json(res, {}),
  });
  t.after(srv.close);
  const v = createVerifier({
    algorithms: ['ES256'],
    issuers: [{ issuer: srv.base, audience: AUD, jku: [srv.url('/cds-jwks')] }],
    keyCache: { allowLoopbackHttp: true },
    keyStore: new MemoryStore(),
  });
  const allowed = await v.verify(tokenFor(srv.base, 'A', keyA, { jku: srv.url('/cds-jwks') }), { now: NOW });
  assert.deepEqual(allowed.errors, []);
  assert.equal(srv.hits('/cds-jwks'), 1);

  for (const jku of [srv.url('/evil-jwks'), `${srv.url('/cds-jwks')}?`, srv.url('/cds-jwks/'), srv.url('/CDS-jwks')]) {
    const r = await v.verify(tokenFor(srv.base, 'A', keyA, { jku }), { now: NOW });
    assert.ok(codes(r).includes('key_source_not_allowed'), jku);
    assert.equal(r.valid, false);
  }
  const x5u = await v.verify(tokenFor(srv.base, 'A', keyA, { x5u: srv.url('/x5u') }), { now: NOW });
  assert.ok(codes(x5u).includes('key_source_not_allowed'));
  const embedded = await v.verify(tokenFor(srv.base, 'A', keyA, { jwk: jwkOf(keyA) }), { now: NOW });
  assert.ok(codes(embedded).includes('key_source_not_allowed'));
  // A token from an issuer that is not configured names nothing to fetch.
  const stranger = await v.verify(tokenFor(`${srv.base}/other`, 'A', keyA, { jku: srv.url('/evil-jwks') }), { now: NOW });
  assert.ok(codes(stranger).includes('key_source_not_allowed'));
  assert.equal(srv.hits('/evil-jwks'), 0);
  assert.equal(srv.hits('/x5u'), 0);
  assert.equal(srv.hits('/cds-jwks'), 1);
});

test('https only; plain http just for loopback and only when allowed', async (t) => {
  const srv = await startServer({ '/jwks': (req, res) => json(res, jwks(['A', keyA])) });
  t.after(srv.close);
  // The core's URL rule runs when the policy loads (Policy::validate): a plain-http key-set
  // URL without the opt-in is a policy error with a stable code, and nothing is fetched.
  assert.throws(() => verifierFor(srv, { keyCache: { allowLoopbackHttp: false } }), /plain http.*key_set_url_plain_http/s);
  assert.equal(srv.hits('/jwks'), 0);
  // URL checks alone (nothing is fetched here).
  assert.throws(() => checkUrl('http://example.com/jwks', { allowLoopbackHttp: true }), /https/);
  assert.throws(() => checkUrl('ftp://127.0.0.1/jwks', { allowLoopbackHttp: true }), /https/);
  assert.throws(() => checkUrl('not a url'), /not a URL/);
  assert.ok(checkUrl('http://127.0.0.2:8/x', { allowLoopbackHttp: true }));
  assert.ok(checkUrl('http://[::1]:8/x', { allowLoopbackHttp: true }));
  assert.ok(checkUrl('https://as.example/jwks'));
});

test('a pluggable store carries key sets across verifiers (as across isolates)', async (t) => {
  const srv = await startServer({ '/jwks': (req, res) => json(res, jwks(['A', keyA]), { 'cache-control': 'max-age=300' }) });
  t.after(srv.close);
  // A store that keeps only serialised text, as the Cache API or a KV store would.
  class SerialisingStore {
    data = new Map();
    async get(k) {
      const s = this.data.get(k);
      return s === undefined ? undefined : JSON.parse(s);
    }
    async set(k, entry, ttl) {
      assert.ok(ttl >= 300);
      this.data.set(k, JSON.stringify(entry));
    }
    async delete(k) {
      this.data.delete(k);
    }
  }
  const store = new SerialisingStore();
  const options = { algorithms: ['ES256'], issuer: srv.base, jwksUri: srv.url('/jwks'), audience: AUD, keyCache: { allowLoopbackHttp: true }, keyStore: store };
  assert.deepEqual((await createVerifier(options).verify(tokenFor(srv.base, 'A'), { now: NOW })).errors, []);
  assert.equal(store.data.size, 1);
  // A second verifier (a new isolate) finds the set in the store and does not fetch.
  assert.deepEqual((await createVerifier(options).verify(tokenFor(srv.base, 'A'), { now: NOW })).errors, []);
  assert.equal(srv.hits('/jwks'), 1);
});
