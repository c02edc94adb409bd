// Remote key sets in the worker: kept in module scope, persisted through the Cache API, a
// rotation picked up after the refetch cooldown.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';

const bearer = (token) => ({ authorization: `Bearer ${token}` });

test('key rotation: a new kid is fetched on its first use, and verdicts from the old set are not reused', async (t) => {
  const k1 = h.signingKey('k1');
  const k2 = h.signingKey('k2');
  const k3 = h.signingKey('k3');
  const keys = await h.keyServer([k1]);
  const upstream = await h.upstreamServer();
  const tmp = h.tempDir();
  const worker = await h.startWorker({ policy: h.policy(keys.url), upstream: upstream.url, cacheDir: tmp.dir });
  t.after(async () => {
    await worker.dispose();
    await keys.close();
    await upstream.close();
    tmp.remove();
  });

  const old = h.sign(k1, h.claims());
  assert.equal((await worker.fetch('/fhir/Patient/A', { headers: bearer(old) })).status, 200);
  assert.equal((await worker.fetch('/fhir/Patient/A', { headers: bearer(old) })).status, 200);
  assert.equal(keys.requests, 1, 'the key set is fetched once and kept');

  // The unknown-kid cooldown counts from unknown-kid refetches only, never from the first fetch.
  keys.serve([k2]);
  const rotated = h.sign(k2, h.claims());
  assert.equal((await worker.fetch('/fhir/Patient/A', { headers: bearer(rotated) })).status, 200);
  assert.equal(keys.requests, 2);
  assert.equal((await worker.fetch('/fhir/Patient/A', { headers: bearer(rotated) })).status, 200);
  assert.equal(keys.requests, 2);

  // Another unknown kid right after: no refetch (the core's schedule: 1 s after the last).
  const unknown = await worker.fetch('/fhir/Patient/A', { headers: bearer(h.sign(k3, h.claims())) });
  assert.equal(unknown.status, 401);
  assert.match(unknown.headers.get('www-authenticate'), /error="invalid_token"/);
  assert.equal(keys.requests, 2);

  // The token verified (and cached) under the old key set no longer passes: k1 is gone.
  const stale = await worker.fetch('/fhir/Patient/A', { headers: bearer(old) });
  assert.equal(stale.status, 401);
  assert.equal((await stale.json()).errors[0].code, 'key_not_found');
});

test('a fresh isolate reads the persisted key set instead of refetching', async (t) => {
  const k1 = h.signingKey('k1');
  const keys = await h.keyServer([k1]);
  const upstream = await h.upstreamServer();
  const shared = h.tempDir();
  const other = h.tempDir();
  t.after(async () => {
    await keys.close();
    await upstream.close();
    shared.remove();
    other.remove();
  });
  const p = h.policy(keys.url);

  const first = await h.startWorker({ policy: p, upstream: upstream.url, cacheDir: shared.dir });
  assert.equal((await first.fetch('/fhir/Patient/A', { headers: bearer(h.sign(k1, h.claims())) })).status, 200);
  await first.dispose();
  assert.equal(keys.requests, 1);

  // A new workerd process: nothing in module scope, only the Cache API's persisted entries.
  const second = await h.startWorker({ policy: p, upstream: upstream.url, cacheDir: shared.dir });
  const res = await second.fetch('/fhir/Patient/A', { headers: bearer(h.sign(k1, h.claims())) });
  await second.dispose();
  assert.equal(res.status, 200);
  assert.equal(keys.requests, 1, 'the fresh isolate did not hit the key server');

  // Control: an isolate with an empty cache does fetch.
  const cold = await h.startWorker({ policy: p, upstream: upstream.url, cacheDir: other.dir });
  assert.equal((await cold.fetch('/fhir/Patient/A', { headers: bearer(h.sign(k1, h.claims())) })).status, 200);
  await cold.dispose();
  assert.equal(keys.requests, 2);
});

test('an unreachable key server: the token is refused and the log line says why', async (t) => {
  const k1 = h.signingKey('k1');
  const keys = await h.keyServer([k1]);
  const url = keys.url;
  await keys.close();
  const upstream = await h.upstreamServer();
  const tmp = h.tempDir();
  const worker = await h.startWorker({ policy: h.policy(url), upstream: upstream.url, cacheDir: tmp.dir });
  t.after(async () => {
    await worker.dispose();
    await upstream.close();
    tmp.remove();
  });
  const res = await worker.fetch('/fhir/Patient/A', { headers: bearer(h.sign(k1, h.claims())) });
  assert.equal(res.status, 401);
  assert.equal(upstream.seen.length, 0);
  for (let i = 0; i < 50 && worker.decisions().length === 0; i++) await h.sleep(20);
  const [line] = worker.decisions();
  assert.equal(line.decision, 'deny');
  assert.deepEqual(line.codes, ['key_set_unavailable']);
  assert.ok(line.key_warnings.some((w) => w.includes(url)), JSON.stringify(line));
});
