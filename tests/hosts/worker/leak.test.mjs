// The leak test through the edge worker: js/worker.js in workerd (Miniflare, listening on a real
// 127.0.0.1 port so raw request targets reach workerd byte for byte) in front of a real FHIR
// engine (Medplum's fhir-router, tests/hosts/fhir/server.mjs) holding patients A and B. Patient
// A's app sends the crafted requests of tests/hosts/fhir/leak-suite.mjs; no response may carry
// B's data, and A's legitimate requests must still get A's data.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Miniflare } from 'miniflare';
import * as h from './harness.mjs';
import { startFhirServer } from '../fhir/server.mjs';
import { runSuite, findLeaks, CLASSES, TOKEN_SCOPES, PATIENT, TAG_SYSTEM } from '../fhir/leak-suite.mjs';

const bench = {};

before(async () => {
  bench.key = h.signingKey('k1');
  bench.keys = await h.keyServer([bench.key]);
  bench.fhir = await startFhirServer();
  bench.tmp = h.tempDir();
  const policy = h.policy(bench.keys.url, {
    routes: [
      { path_prefix: '/fhir', fhir: true },
      { path_prefix: '/health', open: true },
      { path_prefix: '/.well-known', open: true },
    ],
  });
  bench.mf = new Miniflare({
    modules: true,
    scriptPath: h.WORKER,
    modulesRoot: h.ROOT,
    modulesRules: h.MODULES_RULES,
    compatibilityDate: h.COMPATIBILITY_DATE,
    bindings: {
      AZLENS_POLICY: JSON.stringify(policy),
      UPSTREAM: `http://127.0.0.1:${bench.fhir.port}`,
      INTROSPECTION_SECRET: h.INTROSPECTION_SECRET,
    },
    cachePersist: bench.tmp.dir,
    cf: false,
    telemetry: { enabled: false },
    host: '127.0.0.1',
    port: 0,
    handleStructuredLogs: () => {},
  });
  const url = await bench.mf.ready;
  const tokens = Object.fromEntries(
    Object.entries(TOKEN_SCOPES).map(([k, scope]) => [k, h.sign(bench.key, h.claims({ scope, patient: PATIENT }))]),
  );
  bench.run = await runSuite({
    gateway: { host: '127.0.0.1', port: Number(url.port) },
    upstream: { host: '127.0.0.1', port: bench.fhir.port },
    tokens,
  });
  console.log(`workerd: ${bench.run.summary}`);
});

after(async () => {
  await bench.mf?.dispose();
  await bench.fhir?.close();
  await bench.keys?.close();
  bench.tmp?.remove();
});

const describe = (r) => `${r.name} → ${r.status}${r.error ? ` (${r.error})` : ''}: ${r.leaks.join('; ')}`;

for (const cls of CLASSES) {
  test(`leak through the worker, ${cls}: no response carries patient B's data`, () => {
    const mine = bench.run.results.filter((r) => r.cls === cls);
    assert.ok(mine.length > 0, `the suite has requests of class ${cls}`);
    const leaked = mine.filter((r) => r.leaks.length > 0);
    assert.deepEqual(leaked.map(describe), [], `${leaked.length} of ${mine.length} ${cls} requests leaked`);
  });
}

test('leak through the worker: patient A still gets A\'s data (legitimate requests)', () => {
  const legit = bench.run.results.filter((r) => r.cls === 'legitimate' && !r.optional);
  assert.ok(legit.length >= 20);
  const failed = legit.filter((r) => !r.legitOk);
  assert.deepEqual(
    failed.map((r) => `${r.name} → ${r.status}${r.missing?.length ? `, missing ${r.missing.join(', ')}` : ''}${r.leaks.length ? `, leaked ${r.leaks.join('; ')}` : ''}`),
    [],
  );
});

test('leak through the worker: the suite is big enough', () => {
  assert.ok(bench.run.attacksSent >= 200, `${bench.run.attacksSent} crafted requests`);
});

test('leak checker: finds B\'s data in entries, contained resources, NDJSON and GraphQL answers', () => {
  const b = { resourceType: 'Observation', id: 'x', meta: { tag: [{ system: TAG_SYSTEM, code: 'B' }] } };
  const a = { resourceType: 'Observation', id: 'y', meta: { tag: [{ system: TAG_SYSTEM, code: 'A' }] }, category: [{ coding: [{ code: 'laboratory' }] }] };
  assert.deepEqual(findLeaks(JSON.stringify({ resourceType: 'Bundle', entry: [{ resource: a }] })), []);
  assert.deepEqual(findLeaks(JSON.stringify({ resourceType: 'Bundle', entry: [{ resource: a }, { resource: b }] })), ['B-tagged Observation/x']);
  assert.deepEqual(findLeaks(JSON.stringify({ ...a, contained: [b] })), ['B-tagged Observation/x']);
  assert.deepEqual(findLeaks(`${JSON.stringify(a)}\n${JSON.stringify(b)}\n`), ['B-tagged Observation/x']);
  assert.deepEqual(findLeaks(JSON.stringify({ data: { Patient: { resourceType: 'Patient', id: 'B' } } })), ["B's Patient/B"]);
  assert.deepEqual(findLeaks(JSON.stringify({ ...a, category: [] }), { labOnly: true }), ['non-laboratory Observation/y (token grants laboratory only)']);
});

test('leak control: with no gateway in front, the FHIR server hands out B\'s data (the suite can see a leak)', async () => {
  const fhir = await startFhirServer();
  try {
    const up = { host: '127.0.0.1', port: fhir.port };
    const run = await runSuite({ gateway: up, upstream: up, tokens: { full: 'none', lab: 'none', write: 'none' } });
    assert.ok(run.leaked >= 200, run.summary);
    for (const cls of CLASSES) assert.ok(run.byClass[cls].leaked > 0, `class ${cls} shows a leak without a gateway: ${run.summary}`);
    assert.equal(run.legitFailed, 0, run.summary);
  } finally {
    await fhir.close();
  }
});
