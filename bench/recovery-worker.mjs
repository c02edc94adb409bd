// Recovery times of the edge worker's key cache in workerd (issue 19), for `make bench-recovery`.
// The scenarios of bench/recovery-node.mjs, through js/worker.js started as the worker suite
// starts it (tests/hosts/worker/harness.mjs: Miniflare's workerd, on 127.0.0.1): a real key
// server, a client sending a token signed with the new key every 50 ms, and the time from the
// event to the first 200. A fresh worker, Cache API directory and key server per run.
//
//   node bench/recovery-worker.mjs RESULT.json

import http from 'node:http';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import os from 'node:os';
import {
  ISSUER, AUDIENCE, signingKey, sign, claims, upstreamServer, startWorker, tempDir, sleep,
} from '../tests/hosts/worker/harness.mjs';
import { setting, stats } from './lib/measure.mjs';

const RUNS = setting('BENCH_RECOVERY_RUNS', 7);
const STEP_MS = 50;
const OUTAGE_MS = 2000;
const out = process.argv[2];

async function keyServer(first) {
  const state = { keys: [first], status: 200 };
  const server = http.createServer((req, res) => {
    if (state.status !== 200) return res.writeHead(state.status).end();
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
    res.end(JSON.stringify({ keys: state.keys.map((k) => k.jwk) }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${server.address().port}/jwks`;
  state.close = () => new Promise((r) => { server.closeAllConnections(); server.close(r); });
  return state;
}

// The defaults of the key cache, as the JS shim's run uses them; loopback HTTP allowed.
const policy = (url) => ({
  algorithms: ['ES256'],
  issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwks_uri: url }],
  key_cache: { allow_loopback_http: true },
});

async function status(worker, token) {
  const r = await worker.fetch('/api', { headers: { authorization: `Bearer ${token}` } });
  await r.arrayBuffer();
  return r.status;
}

async function untilAccepted(worker, token) {
  const t0 = performance.now();
  let refused = 0;
  for (;;) {
    if ((await status(worker, token)) === 200) return { ms: performance.now() - t0, refused };
    refused += 1;
    if (performance.now() - t0 > 60_000) throw new Error('no recovery within 60 s');
    await sleep(STEP_MS);
  }
}

async function run(scenario, upstream) {
  const a = signingKey('A');
  const b = signingKey('B');
  const ks = await keyServer(a);
  const cache = tempDir();
  const worker = await startWorker({ policy: policy(ks.url), upstream: upstream.url, cacheDir: cache.dir });
  try {
    const started = performance.now();
    while ((await status(worker, sign(a, claims()))) !== 200) {
      if (performance.now() - started > 10_000) throw new Error('key A never accepted');
      await sleep(STEP_MS);
    }
    const tokenB = sign(b, claims());
    if (scenario === 'new key') {
      ks.keys = [a, b];
    } else {
      ks.status = 503;
      ks.keys = [a, b];
      const end = performance.now() + OUTAGE_MS;
      while (performance.now() < end) {
        await status(worker, tokenB);
        await sleep(STEP_MS);
      }
      ks.status = 200;
    }
    return await untilAccepted(worker, tokenB);
  } finally {
    await worker.dispose();
    await ks.close();
    cache.remove();
  }
}

const loadStart = os.loadavg()[0];
const upstream = await upstreamServer();
const rows = [];
try {
  for (const scenario of ['new key', 'outage']) {
    const ms = [];
    const refused = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await run(scenario, upstream);
      ms.push(r.ms);
      refused.push(r.refused);
    }
    rows.push({ scenario, ms: stats(ms), refused: stats(refused) });
    console.log(scenario, JSON.stringify(stats(ms)));
  }
} finally {
  await upstream.close();
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ bench: 'recovery-worker', host: 'edge worker (workerd)', load: { start: loadStart, end: os.loadavg()[0] }, rows }, null, 2)}\n`);
console.log(`wrote ${out}`);
