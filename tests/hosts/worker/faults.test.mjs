// Key-server faults and hostile requests against js/worker.js in workerd (issue 19): a hanging
// key server is answered within max_wait_ms, a key published during an outage is used once the
// server is back (not a cooldown later), two Authorization headers are 400, and a crit flood
// gets a short refusal. Loopback only; every wait is bounded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import * as h from './harness.mjs';

const bearer = (token) => ({ authorization: `Bearer ${token}` });

/** A key-set server whose faults the test switches: `hang`, `status`, `keys`. */
async function faultyKeyServer(keys) {
  const state = { keys, hang: false, status: 200, requests: 0 };
  const server = http.createServer((req, res) => {
    state.requests += 1;
    if (state.hang) return; // never answers
    if (state.status !== 200) {
      res.writeHead(state.status).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
    res.end(JSON.stringify({ keys: state.keys.map((k) => k.jwk) }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${server.address().port}/jwks`;
  state.close = () => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  };
  return state;
}

async function bench(t, keyCache = {}) {
  const key = h.signingKey('k1');
  const keys = await faultyKeyServer([key]);
  const upstream = await h.upstreamServer();
  const tmp = h.tempDir();
  const p = h.policy(keys.url);
  p.key_cache = { ...p.key_cache, ...keyCache };
  const worker = await h.startWorker({ policy: p, upstream: upstream.url, cacheDir: tmp.dir });
  t.after(async () => {
    await worker.dispose();
    await keys.close();
    await upstream.close();
    tmp.remove();
  });
  return { key, keys, worker };
}

test('a hanging key server: the worker answers within max_wait_ms', async (t) => {
  const { key, keys, worker } = await bench(t, { max_wait_ms: 1000, fetch_timeout_ms: 20000 });
  keys.hang = true;
  const started = Date.now();
  const r = await worker.fetch('/fhir/Patient/A', { headers: bearer(h.sign(key, h.claims())) });
  const took = Date.now() - started;
  assert.equal(r.status, 401);
  assert.equal((await r.json()).errors[0].code, 'key_set_unavailable');
  assert.ok(took < 1700, `answered after ${took} ms for a 1000 ms bound`);
});

test('a key published during an outage is used once the server is back', async (t) => {
  const { key, keys, worker } = await bench(t, { refetch_cooldown: 30 });
  assert.equal((await worker.fetch('/fhir/Patient/A', { headers: bearer(h.sign(key, h.claims())) })).status, 200);
  const next = h.signingKey('k2');
  keys.status = 503;
  const during = await worker.fetch('/fhir/Patient/A', { headers: bearer(h.sign(next, h.claims())) });
  assert.equal(during.status, 401);
  assert.equal(keys.requests, 2, 'the refetch failed');
  keys.status = 200;
  keys.keys = [key, next];
  await h.sleep(1100); // the back-off after one failure: 1 s (on main: the 30 s cooldown)
  const after = await worker.fetch('/fhir/Patient/A', { headers: bearer(h.sign(next, h.claims())) });
  assert.equal(after.status, 200);
  assert.equal(keys.requests, 3);
});

test('two Authorization headers are an invalid request', async (t) => {
  const { key, worker } = await bench(t);
  const token = h.sign(key, h.claims());
  const r = await worker.fetch('/fhir/Patient/A', {
    headers: [['authorization', `Bearer ${token}`], ['authorization', `Bearer ${token}`]],
  });
  assert.equal(r.status, 400);
  assert.match(r.headers.get('www-authenticate'), /error="invalid_request"/);
});

test('a request over max_token_bytes + 64 KiB is refused from its length (400), upstream untouched', async (t) => {
  const { worker } = await bench(t);
  const r = await worker.fetch('/fhir/Patient/A', { headers: { ...bearer('a'.repeat(90_000)) } });
  assert.equal(r.status, 400);
  assert.match(r.headers.get('www-authenticate'), /error="invalid_request"/);
  assert.match((await r.json()).error_description, /the limit is 81920 bytes/);
});

test('a crit flood gets a short refusal and a short log line', async (t) => {
  const { worker } = await bench(t);
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const crit = Array.from({ length: 1500 }, (_, i) => `e${i}`);
  const token = `${b64({ alg: 'none', crit })}.${b64(h.claims())}.`;
  assert.ok(token.length > 14000 && token.length < 16384, `${token.length}`);
  const r = await worker.fetch('/fhir/Patient/A', { headers: bearer(token) });
  assert.equal(r.status, 401);
  const body = await r.text();
  assert.ok(body.length < 2048, `${body.length} bytes of body`);
  const line = JSON.stringify(worker.decisions().at(-1));
  assert.ok(line.length < 1500, `${line.length} bytes of log line`);
});

test('load through a rotation and an outage: no wrong allow, no 5xx, new keys served within 3 s', async (t) => {
  const { key: k1, keys, worker } = await bench(t, { refetch_cooldown: 5, max_wait_ms: 1000, min_max_age: 1 });
  const k2 = h.signingKey('k2');
  const k3 = h.signingKey('k3');
  const signers = { k1, k2, k3 };
  const forgers = { k1: h.signingKey('k1'), k2: h.signingKey('k2'), k3: h.signingKey('k3') };
  const published = { k1: Date.now() };
  const results = [];
  const stop = Date.now() + 8000;
  const client = async (n) => {
    for (let i = 0; Date.now() < stop; i++) {
      const kid = ['k1', 'k2', 'k3'][i % 3];
      const kind = ['good', 'forged', 'tampered'][(Math.floor(i / 3) + n) % 3];
      let token = h.sign((kind === 'forged' ? forgers : signers)[kid], h.claims());
      if (kind === 'tampered') {
        const [head, body, sig] = token.split('.');
        token = `${head}.${body.slice(0, -2)}${body.at(-2) === 'A' ? 'B' : 'A'}${body.at(-1)}.${sig}`;
      }
      const r = await worker.fetch('/fhir/Patient/A', { headers: bearer(token) });
      await r.arrayBuffer();
      results.push({ kind, kid, status: r.status, at: Date.now() });
    }
  };
  const clients = [0, 1, 2, 3].map(client);
  await h.sleep(1000);
  keys.keys = [k1, k2]; // rotation
  published.k2 = Date.now();
  await h.sleep(1500);
  keys.status = 503; // outage
  await h.sleep(1000);
  keys.keys = [k2, k3]; // back, k1 retired, k3 published
  keys.status = 200;
  published.k3 = Date.now();
  await Promise.all(clients);

  assert.ok(results.length > 100, `${results.length} requests`);
  const wrong = results.filter((r) => r.kind !== 'good' && r.status === 200);
  assert.deepEqual(wrong, [], 'no forged or tampered token is allowed');
  const errors = results.filter((r) => r.status >= 500);
  assert.deepEqual(errors, [], 'no 5xx');
  for (const kid of ['k2', 'k3']) {
    const late = results.filter((r) => r.kind === 'good' && r.kid === kid && r.at > published[kid] + 3000);
    assert.ok(late.length > 0 && late.every((r) => r.status === 200), `${kid}: ${JSON.stringify(late.filter((r) => r.status !== 200).slice(0, 3))}`);
    const first = results.find((r) => r.kind === 'good' && r.kid === kid && r.status === 200 && r.at > published[kid]);
    t.diagnostic(`${kid}: first allowed ${first ? first.at - published[kid] : 'never'} ms after publication`);
  }
});
