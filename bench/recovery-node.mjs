// Recovery times of the JS shim's key cache (issue 19), for `make bench-recovery`, which runs the
// same scenarios in workerd and Envoy (bench/recovery-worker.mjs, bench/recovery-envoy.py) and
// writes the three into BENCHMARKS.md (bench/recovery-report.mjs). Real HTTP key servers on
// 127.0.0.1; a client verifies a token signed with a new key every 50 ms and the time from the
// event to its first acceptance is measured, RUNS times each, fresh verifier and server per run:
//
// - new key: the issuer publishes key B next to A after the verifier fetched {A};
// - outage: the key server answers 503 for 2 s while B-tokens arrive (the server publishes B
//   during it), then answers again.
//
// Both follow the core's unknown-kid schedule (js/keys.js, freshness::KidRefetches): 1 s, 2 s,
// 4 s … after the last answered unknown-kid refetch, a failed refetch backing off the same way.
//
//   node bench/recovery-node.mjs RESULT.json

import http from 'node:http';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import os from 'node:os';
import { init, createVerifier, MemoryStore } from '../js/index.js';
import { sign, keyFor, jwkOf } from '../js/test/helpers.js';
import { setting, stats } from './lib/measure.mjs';

const RUNS = setting('BENCH_RECOVERY_RUNS', 7);
const out = process.argv[2];
const STEP_MS = 50;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

await init();
const keyA = keyFor('ES256');
const keyB = keyFor('ES256');
const AUD = 'https://fhir.example';

async function keyServer() {
  const state = { keys: [['A', keyA]], status: 200 };
  const server = http.createServer((req, res) => {
    if (state.status !== 200) return res.writeHead(state.status).end();
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
    res.end(JSON.stringify({ keys: state.keys.map(([kid, k]) => jwkOf(k, { kid, alg: 'ES256', use: 'sig' })) }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  state.base = base;
  state.close = () => new Promise((r) => { server.closeAllConnections(); server.close(r); });
  return state;
}

/** Milliseconds from now until a B-token is accepted, and how many were refused meanwhile. */
async function untilAccepted(v, token) {
  const t0 = performance.now();
  let refused = 0;
  for (;;) {
    const r = await v.verify(token);
    if (r.valid) return { ms: performance.now() - t0, refused };
    refused += 1;
    if (performance.now() - t0 > 60_000) throw new Error('no recovery within 60 s');
    await sleep(STEP_MS);
  }
}

async function run(scenario) {
  const srv = await keyServer();
  try {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: srv.base, aud: AUD, iat: now, exp: now + 3600 };
    const v = createVerifier({
      algorithms: ['ES256'], issuer: srv.base, jwksUri: `${srv.base}/jwks`, audience: AUD,
      keyCache: { allowLoopbackHttp: true }, keyStore: new MemoryStore(),
    });
    const a = await v.verify(sign('ES256', keyA, { kid: 'A' }, claims));
    if (!a.valid) throw new Error(JSON.stringify(a.errors));
    const tokenB = sign('ES256', keyB, { kid: 'B' }, claims);
    if (scenario === 'new key') {
      srv.keys = [['A', keyA], ['B', keyB]];
    } else {
      srv.status = 503;
      srv.keys = [['A', keyA], ['B', keyB]];
      const end = performance.now() + 2000;
      while (performance.now() < end) {
        await v.verify(tokenB);
        await sleep(STEP_MS);
      }
      srv.status = 200;
    }
    const got = await untilAccepted(v, tokenB);
    v.free();
    return got;
  } finally {
    await srv.close();
  }
}

const loadStart = os.loadavg()[0];
const rows = [];
for (const scenario of ['new key', 'outage']) {
  const ms = [];
  const refused = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await run(scenario);
    ms.push(r.ms);
    refused.push(r.refused);
  }
  const s = stats(ms);
  rows.push({ scenario, ms: s, refused: stats(refused) });
  console.log(scenario, JSON.stringify(s));
}

mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ bench: 'recovery-node', host: 'JS shim (Node)', load: { start: loadStart, end: os.loadavg()[0] }, rows }, null, 2)}\n`);
console.log(`wrote ${out}`);
