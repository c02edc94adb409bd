// Faults and floods (issue 19) against the JS shim, with real key servers on 127.0.0.1: a
// hanging server answers within max_wait_ms, a key published after a fetch is used on its first
// use, an outage does not lock out a new key, two Authorization headers are an invalid request,
// and memory is given back (verifiers freed on eviction, oversized tokens never copied into wasm).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, verify, decide, inspect, createVerifier, MemoryStore, OptionsError } from '../index.js';
import { initSync } from '../pkg/azlens.js';
import { NOW, sign, keyFor, jwkOf, startServer, json, sleep } from './helpers.js';

await init();

const keyA = keyFor('ES256');
const keyB = keyFor('ES256');
const jwks = (...pairs) => ({ keys: pairs.map(([kid, key]) => jwkOf(key, { kid, alg: 'ES256', use: 'sig' })) });
const AUD = 'https://fhir.example';
const codes = (r) => r.errors.map((e) => e.code);
const wasmBytes = () => initSync().memory.buffer.byteLength;

function tokenFor(iss, kid, key) {
  return sign('ES256', key, { kid }, { iss, aud: AUD, iat: NOW, exp: NOW + 600 });
}

function verifierFor(srv, keyCache = {}) {
  return createVerifier({
    algorithms: ['ES256'],
    issuer: srv.base,
    jwksUri: srv.url('/jwks'),
    audience: AUD,
    keyCache: { allowLoopbackHttp: true, ...keyCache },
    keyStore: new MemoryStore(),
  });
}

test('a hanging key server: the answer comes within max_wait_ms, not twice that', async (t) => {
  const srv = await startServer({ '/jwks': () => new Promise(() => {}) });
  t.after(srv.close);
  const v = verifierFor(srv, { maxWaitMs: 1000, fetchTimeoutMs: 10_000 });
  const started = Date.now();
  const r = await v.verify(tokenFor(srv.base, 'A', keyA), { now: NOW });
  const took = Date.now() - started;
  assert.deepEqual(codes(r), ['key_set_unavailable']);
  // The first fetch and the unknown-kid refetch share one deadline (was ~2000 ms).
  assert.ok(took < 1500, `answered after ${took} ms`);
});

test('a trickling key server: every answer comes within max_wait_ms', async (t) => {
  const timers = new Set();
  const srv = await startServer({
    '/jwks': (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 100);
      timers.add(timer);
      res.on('close', () => clearInterval(timer));
    },
  });
  t.after(() => {
    for (const timer of timers) clearInterval(timer);
    return srv.close();
  });
  const v = verifierFor(srv, { maxWaitMs: 500, fetchTimeoutMs: 1500 });
  const started = Date.now();
  const r = await v.verify(tokenFor(srv.base, 'A', keyA), { now: NOW });
  assert.ok(Date.now() - started < 1000, `answered after ${Date.now() - started} ms`);
  assert.deepEqual(codes(r), ['key_set_unavailable']);
  // After the fetch timed out, a later request starts another and is bounded the same way.
  await sleep(1700);
  const again = Date.now();
  assert.deepEqual(codes(await v.verify(tokenFor(srv.base, 'A', keyA), { now: NOW })), ['key_set_unavailable']);
  assert.ok(Date.now() - again < 1000, `answered after ${Date.now() - again} ms`);
});

test('a kid published right after the first fetch is used on its first use', async (t) => {
  let published = false;
  const srv = await startServer({
    '/jwks': (req, res) => json(res, published ? jwks(['A', keyA], ['B', keyB]) : jwks(['A', keyA])),
  });
  t.after(srv.close);
  const v = verifierFor(srv); // the default refetch_cooldown: 30 s
  assert.equal((await v.verify(tokenFor(srv.base, 'A', keyA), { now: NOW })).valid, true);
  published = true;
  const r = await v.verify(tokenFor(srv.base, 'B', keyB), { now: NOW });
  assert.deepEqual(r.errors, []);
  assert.equal(srv.hits('/jwks'), 2);
});

test('tokens naming a kid before it is published delay it by seconds, not a cooldown', async (t) => {
  let published = false;
  const srv = await startServer({
    '/jwks': (req, res) => json(res, published ? jwks(['A', keyA], ['B', keyB]) : jwks(['A', keyA])),
  });
  t.after(srv.close);
  const v = verifierFor(srv); // refetch_cooldown 30 s
  const early = tokenFor(srv.base, 'B', keyB);
  assert.deepEqual(codes(await v.verify(early, { now: NOW })), ['key_not_found']);
  assert.equal(srv.hits('/jwks'), 2, 'the first fetch and one refetch');
  // More tokens right after: no refetch (the core's schedule: 1 s after the last one).
  for (let i = 0; i < 5; i++) assert.deepEqual(codes(await v.verify(early, { now: NOW })), ['key_not_found']);
  assert.equal(srv.hits('/jwks'), 2);
  published = true;
  await sleep(1100);
  assert.deepEqual((await v.verify(early, { now: NOW })).errors, []);
  assert.equal(srv.hits('/jwks'), 3);
});

test('an outage does not lock out a key published during it', async (t) => {
  let down = false;
  let published = false;
  const srv = await startServer({
    '/jwks': (req, res) => {
      if (down) {
        res.writeHead(503);
        res.end();
        return;
      }
      json(res, published ? jwks(['A', keyA], ['B', keyB]) : jwks(['A', keyA]));
    },
  });
  t.after(srv.close);
  const v = verifierFor(srv); // refetch_cooldown 30 s
  assert.equal((await v.verify(tokenFor(srv.base, 'A', keyA), { now: NOW })).valid, true);
  down = true;
  const r = await v.verify(tokenFor(srv.base, 'B', keyB), { now: NOW });
  assert.deepEqual(codes(r), ['key_not_found']);
  assert.equal(srv.hits('/jwks'), 2, 'the refetch failed');
  down = false;
  published = true;
  await sleep(1100); // the back-off after one failure: 1 s
  assert.deepEqual((await v.verify(tokenFor(srv.base, 'B', keyB), { now: NOW })).errors, []);
  assert.equal(srv.hits('/jwks'), 3);
});

test('concurrent calls with distinct options share one fetch per URL', async (t) => {
  const srv = await startServer({
    '/jwks': async (req, res) => {
      await sleep(200);
      json(res, jwks(['A', keyA]));
    },
  });
  t.after(srv.close);
  const keyStore = new MemoryStore();
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      verify(tokenFor(srv.base, 'A', keyA), {
        algorithms: ['ES256'],
        issuer: srv.base,
        jwksUri: srv.url('/jwks'),
        audience: [AUD, `https://other.example/${i}`],
        keyCache: { allowLoopbackHttp: true },
        keyStore,
        now: NOW,
      }),
    ),
  );
  for (const r of results) assert.deepEqual(r.errors, []);
  assert.equal(srv.hits('/jwks'), 1);
});

test('two Authorization headers are an invalid request, not a JWE', async () => {
  const token = tokenFor('https://as.example', 'A', keyA);
  const request = new Request('https://api.example/x', { headers: [['authorization', `Bearer ${token}`], ['authorization', `Bearer ${token}`]] });
  const d = await decide(request, { algorithms: ['ES256'], keys: jwks(['A', keyA]), now: NOW });
  assert.equal(d.status, 400);
  assert.match(d.www_authenticate, /invalid_request/);
});

test('verify() with ever new options frees the verifiers it evicts', async () => {
  const keys = jwks(['A', keyA]);
  const token = tokenFor('https://as.example', 'A', keyA);
  const run = async (from, to) => {
    for (let i = from; i < to; i++) {
      const r = await verify(token, { algorithms: ['ES256'], keys, audience: [AUD, `https://x.example/${i}`], now: NOW });
      assert.equal(r.valid, true);
    }
  };
  await run(0, 200); // the cache full, wasm memory at its working size
  const before = wasmBytes();
  await run(200, 3200);
  const grown = wasmBytes() - before;
  assert.ok(grown < (2 << 20), `wasm memory grew by ${grown} bytes over 3000 verifiers`);
});

test('an oversized token is refused without being copied into WebAssembly memory', async () => {
  const options = { algorithms: ['ES256'], keys: jwks(['A', keyA]), now: NOW };
  await verify(tokenFor('https://as.example', 'A', keyA), options);
  const before = wasmBytes();
  const huge = 'a'.repeat(64 << 20);
  const r = await verify(huge, options);
  assert.deepEqual(codes(r), ['malformed']);
  assert.match(r.errors[0].message, /67108864 bytes long; the limit is 16384 bytes/);
  assert.ok(wasmBytes() - before < (1 << 20), `wasm memory grew by ${wasmBytes() - before} bytes`);
});

test('decide() and inspect() refuse oversized input before copying it into WebAssembly memory', async () => {
  const options = { algorithms: ['ES256'], keys: jwks(['A', keyA]), now: NOW };
  const v = createVerifier(options);
  const request = (token) => ({ method: 'GET', path: '/fhir/Patient', headers: { authorization: `Bearer ${token}` } });
  const good = tokenFor('https://as.example', 'A', keyA);
  await v.decide(request(good), { now: NOW });
  await decide(request(good), options);
  v.inspect(good);
  inspect(good);
  const before = wasmBytes();
  const huge = 'a'.repeat(64 << 20);
  for (const d of [await v.decide(request(huge), { now: NOW }), await decide(request(huge), options)]) {
    assert.equal(d.status, 400);
    assert.match(d.www_authenticate, /error="invalid_request"/);
    assert.match(JSON.parse(d.body).error_description, /take 67108\d\d\d bytes; the limit is 81920 bytes/);
    assert.equal(d.log.path, '/fhir/Patient');
  }
  for (const r of [v.inspect(huge), inspect(huge), inspect(` ${huge} `, { keys: jwks(['A', keyA]) })]) {
    assert.equal(r.findings[0].code, 'too_large');
    assert.match(r.findings[0].message, /6710\d\d\d\d bytes long, over the 33792-byte limit/);
  }
  assert.ok(wasmBytes() - before < (1 << 20), `wasm memory grew by ${wasmBytes() - before} bytes`);
  // Within the bound, a long token is still read by the core and refused as before.
  assert.equal((await v.decide(request('a'.repeat(20_000)), { now: NOW })).status, 401);
  assert.equal(v.inspect('a'.repeat(20_000)).findings.some((f) => f.code === 'too_large'), true);
});

test('a policy may not raise a limit past its ceiling (one token could grow wasm memory by ~35x its size)', () => {
  assert.throws(
    () => createVerifier({ algorithms: ['ES256'], limits: { maxTokenBytes: 4 << 20 } }),
    (e) => e instanceof OptionsError && /"limits\.maxTokenBytes" is 4194304; it may be at most 262144/.test(e.message),
  );
  // At the ceiling, inspecting and verifying the largest token costs a bounded amount.
  const v = createVerifier({ algorithms: ['ES256'], limits: { maxTokenBytes: 256 << 10 }, keys: jwks(['A', keyA]) });
  const claims = { iss: 'https://as.example', aud: AUD, iat: NOW, exp: NOW + 600 };
  for (let i = 0; JSON.stringify(claims).length < 180_000; i++) claims[`c${i}`] = i;
  const big = sign('ES256', keyA, { kid: 'A' }, claims);
  v.inspect(big, { now: NOW });
  const before = wasmBytes();
  for (let i = 0; i < 3; i++) v.inspect(big, { now: NOW });
  assert.ok(wasmBytes() - before < (16 << 20), `wasm memory grew by ${wasmBytes() - before} bytes`);
});

test('an unreachable key set is key_set_unavailable, with the URL and the cause, in verify() and decide()', async (t) => {
  const srv = await startServer({ '/jwks': (req, res) => res.writeHead(503).end() });
  t.after(srv.close);
  const v = verifierFor(srv);
  const r = await v.verify(tokenFor(srv.base, 'A', keyA), { now: NOW });
  assert.deepEqual(codes(r), ['key_set_unavailable']);
  assert.match(r.errors[0].message, new RegExp(`${srv.url('/jwks')}.*503.*the key "A" could not be looked up`));
  assert.doesNotMatch(r.errors[0].message, /no keys were given/);
  const d = await v.decide({ method: 'GET', path: '/x', headers: { authorization: `Bearer ${tokenFor(srv.base, 'A', keyA)}` } }, { now: NOW });
  assert.equal(d.status, 401);
  assert.deepEqual(JSON.parse(d.body).errors.map((e) => e.code), ['key_set_unavailable']);
  // Another issuer's token: the issuer is the cause, named first.
  const other = await v.verify(tokenFor('https://other.example', 'A', keyA), { now: NOW });
  assert.equal(codes(other)[0], 'issuer_mismatch');
});
