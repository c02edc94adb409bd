// Recovery times of the JS shim's key cache (issue 19), written into BENCHMARKS.md between the
// `recovery` markers (`make bench-recovery`, also run by `make bench`). Real HTTP key servers on
// 127.0.0.1; a client verifies a token signed with a new key every 50 ms and the time from the
// event to its first acceptance is measured, RUNS times each, fresh verifier and server per run:
//
// - new key: the issuer publishes key B next to A after the verifier fetched {A};
// - outage: the key server answers 503 for 2 s while B-tokens arrive (the server publishes B
//   during it), then answers again.
//
// Both follow the core's unknown-kid schedule (js/keys.js, freshness::KidRefetches): 1 s, 2 s,
// 4 s … after the last answered unknown-kid refetch, a failed refetch backing off the same way.

import http from 'node:http';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { init, createVerifier, MemoryStore } from '../js/index.js';
import { sign, keyFor, jwkOf } from '../js/test/helpers.js';
import { ROOT, setting, stats } from './lib/measure.mjs';

const RUNS = setting('BENCH_RECOVERY_RUNS', 7);
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

const fmt = (n) => (n >= 100 ? Math.round(n).toString() : n.toFixed(1));
const target = join(ROOT, 'BENCHMARKS.md');
const doc = existsSync(target) ? readFileSync(target, 'utf8') : '';
const re = /<!-- recovery:begin[\s\S]*?<!-- recovery:end -->/;
// The previous run's medians stay beside this run's: the spread between runs, not only within.
const previous = new Map([...(doc.match(re)?.[0] ?? '').matchAll(/^\| (new key|outage) \| ([\d.]+) \|/gm)].map((m) => [m[1], m[2]]));
const text = [
  '<!-- recovery:begin (written by `make bench-recovery`) -->',
  '## Recovery of the key cache (JS shim)',
  '',
  `\`bench/recovery-node.mjs\`, ${new Date().toISOString().slice(0, 16)}Z: a real key server on 127.0.0.1, a client verifying a token signed with the new key every ${STEP_MS} ms; time from the event to the first acceptance, ${RUNS} runs each (fresh verifier and server per run), median with min–max. *New key*: key B published next to A after the verifier fetched {A}. *Outage*: the server answers 503 for 2 s while B-tokens arrive (B is published meanwhile), then answers again. The edge worker uses the same js/keys.js cache; Envoy's recovery in real Envoy is checked by tests/hosts/envoy/test_faults.py (a new key within 3 s), not benchmarked here.`,
  '',
  `Load average ${loadStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end (two cores, shared).`,
  '',
  '| scenario | until accepted, ms (this run) | min–max | refusals before (median) | previous run, ms |',
  '|---|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.scenario} | ${fmt(r.ms.median)} | ${fmt(r.ms.min)}–${fmt(r.ms.max)} | ${r.refused.median} | ${previous.get(r.scenario) ?? '–'} |`),
  '<!-- recovery:end -->',
].join('\n');

writeFileSync(target, re.test(doc) ? doc.replace(re, text) : `${doc.trimEnd()}\n\n${text}\n`);
console.log(`wrote the recovery block of ${target}`);
