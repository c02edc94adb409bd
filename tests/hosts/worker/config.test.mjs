// Configuring the worker: `guard({ policy, upstream })` in one's own entry module, a service
// binding as the upstream, and configuration errors that fail closed and say what to fix.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import * as h from './harness.mjs';

const bearer = (token) => ({ authorization: `Bearer ${token}` });

/** A worker whose entry module is `code` (importing js/worker.js), with these options. */
async function entry(code, options) {
  const logs = [];
  const mf = new Miniflare({
    modules: true,
    script: code,
    scriptPath: join(h.ROOT, 'entry.js'),
    modulesRoot: h.ROOT,
    modulesRules: h.MODULES_RULES,
    compatibilityDate: h.COMPATIBILITY_DATE,
    cf: false,
    telemetry: { enabled: false },
    handleStructuredLogs: ({ message }) => {
      logs.push(message);
    },
    ...options,
  });
  await mf.ready;
  return { mf, logs, fetch: (path, init) => mf.dispatchFetch(`http://gate.test${path}`, init) };
}

test('guard({ policy, upstream }) with a policy object and a service binding as the upstream', async (t) => {
  const key = h.signingKey('k1');
  const keys = await h.keyServer([key]);
  const seen = [];
  const w = await entry(
    `import { guard } from './js/worker.js';
     const policy = ${JSON.stringify(h.policy(keys.url))};
     let inner;
     export default { fetch: (req, env, ctx) => (inner ??= guard({ policy, upstream: env.API })).fetch(req, env, ctx) };`,
    {
      bindings: { INTROSPECTION_SECRET: h.INTROSPECTION_SECRET },
      serviceBindings: {
        API: async (req) => {
          seen.push({ url: req.url, sub: req.headers.get('x-auth-sub'), auth: req.headers.get('authorization') });
          return new Response('from the service', { headers: { 'x-service': '1' } });
        },
      },
    },
  );
  t.after(async () => {
    await w.mf.dispose();
    await keys.close();
  });
  const res = await w.fetch('/fhir/Patient/A?_format=json', { headers: bearer(h.sign(key, h.claims())) });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'from the service');
  assert.equal(seen.length, 1);
  assert.equal(new URL(seen[0].url).pathname + new URL(seen[0].url).search, '/fhir/Patient/A?_format=json');
  assert.equal(seen[0].sub, 'dr-who');
  assert.equal(seen[0].auth, null);
  assert.equal((await w.fetch('/fhir/Patient/A')).status, 401);
  assert.equal(seen.length, 1);
});

test('an upstream base path is kept in front of the request path', async (t) => {
  const key = h.signingKey('k1');
  const keys = await h.keyServer([key]);
  const upstream = await h.upstreamServer();
  const tmp = h.tempDir();
  const w = await h.startWorker({ policy: h.policy(keys.url), upstream: `${upstream.url}/base/r4/`, cacheDir: tmp.dir });
  t.after(async () => {
    await w.dispose();
    await keys.close();
    await upstream.close();
    tmp.remove();
  });
  const res = await w.fetch('/fhir/Patient/A', { headers: bearer(h.sign(key, h.claims())) });
  assert.equal(res.status, 200);
  assert.equal(upstream.seen.at(-1).url, '/base/r4/fhir/Patient/A');
});

test('configuration errors fail closed with a 500 and a log line that names the fix', async (t) => {
  const keys = await h.keyServer([h.signingKey('k1')]);
  const upstream = await h.upstreamServer();
  const tmp = h.tempDir();
  t.after(async () => {
    await keys.close();
    await upstream.close();
    tmp.remove();
  });
  const cases = [
    // The env: reference has no binding.
    { bindings: { INTROSPECTION_SECRET: undefined }, policy: h.policy(keys.url), words: /env:INTROSPECTION_SECRET.*no secret or text variable INTROSPECTION_SECRET/ },
    // A misspelt policy field is an error, never a silently weaker check.
    { policy: { ...h.policy(keys.url), audiance: 'x' }, words: /unknown field `audiance`/ },
    // The secret arrives but is too short for the core.
    { bindings: { INTROSPECTION_SECRET: 'short' }, policy: h.policy(keys.url), words: /shorter than 16 characters/ },
  ];
  for (const c of cases) {
    const w = await h.startWorker({ policy: c.policy, upstream: upstream.url, cacheDir: tmp.dir, bindings: c.bindings ?? {} });
    const before = upstream.seen.length;
    const res = await w.fetch('/public/anything');
    assert.equal(res.status, 500);
    assert.equal((await res.json()).error, 'server_error');
    for (let i = 0; i < 50 && w.decisions().length === 0; i++) await h.sleep(20);
    const [line] = w.decisions();
    await w.dispose();
    assert.equal(line.decision, 'error');
    assert.match(line.reason, c.words);
    assert.ok(!line.reason.includes(h.INTROSPECTION_SECRET));
    assert.equal(upstream.seen.length, before, 'nothing is forwarded by a misconfigured gate');
  }
});

test('a policy that allows query-string tokens: accepted, and removed from the upstream query', async (t) => {
  const key = h.signingKey('k1');
  const keys = await h.keyServer([key]);
  const upstream = await h.upstreamServer();
  const tmp = h.tempDir();
  const p = h.policy(keys.url);
  p.token = { ...p.token, allow_query: true };
  const w = await h.startWorker({ policy: p, upstream: upstream.url, cacheDir: tmp.dir });
  t.after(async () => {
    await w.dispose();
    await keys.close();
    await upstream.close();
    tmp.remove();
  });
  const token = h.sign(key, h.claims());
  const res = await w.fetch(`/fhir/Observation?patient=A&access_token=${token}&category=vital-signs`);
  assert.equal(res.status, 200);
  assert.equal(upstream.seen.at(-1).url, '/fhir/Observation?patient=A&category=vital-signs');
  assert.equal(upstream.seen.at(-1).headers['x-auth-patient'], 'A');
});
