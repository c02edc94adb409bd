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
  assert.equal((await r.json()).errors[0].code, 'key_not_found');
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
