// The edge worker under load: requests/s and p50/p99 through workerd (miniflare's, pinned by
// bench/package-lock.json) on 127.0.0.1, with a valid bearer token from the fixtures, for the
// same module worker written with azlens (bench/worker/azlens.js) and with jose
// (bench/worker/jose.js), and a worker that verifies nothing (bench/worker/plain.js) as the
// baseline. Each worker runs in its own workerd; wrk loads one at a time, interleaved by round.

import { Miniflare } from 'miniflare';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, setting, stats, writeResult, loadAverage, ROOT } from './lib/measure.mjs';
import { wrk, wrkVersion } from './lib/wrk.mjs';

process.env.WRANGLER_SEND_METRICS = 'false';
const ROUNDS = setting('BENCH_WORKER_ROUNDS', 3);
const SECONDS = setting('BENCH_WORKER_SECONDS', 4);
const CONNECTIONS = setting('BENCH_WORKER_CONNECTIONS', 4);
const ALGS = (process.env.BENCH_WORKER_ALGS ?? 'RS256,ES256').split(',');
const startLoad = loadAverage();
const fx = fixtures();

// Started as the JS package's own workerd suite starts workerd (js/test/workerd): modules found by
// following the imports from the worker's file, .js as ES modules and .wasm compiled.
const WORKERS = {
  'azlens': 'bench/worker/azlens.js',
  'jose': 'bench/worker/jose.js',
  'no verification': 'bench/worker/plain.js',
};

async function start(script, alg) {
  const f = fx.algorithms[alg];
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(ROOT, script),
    modulesRoot: ROOT,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: '2026-04-01',
    host: '127.0.0.1',
    port: 0,
    bindings: { JWKS: JSON.stringify(f.jwks), ALG: alg, ISSUER: fx.issuer, AUDIENCE: fx.audience, NOW: String(fx.now) },
  });
  return { mf, url: (await mf.ready).href };
}

/** The token with one character of its claims changed: its signature no longer matches. */
function tampered(token) {
  const [h, p, s] = token.split('.');
  const i = p.length >> 1;
  return `${h}.${p.slice(0, i)}${p[i] === 'A' ? 'B' : 'A'}${p.slice(i + 1)}.${s}`;
}

const algorithms = {};
for (const alg of ALGS) {
  const token = fx.algorithms[alg].token;
  const running = {};
  try {
    for (const [name, script] of Object.entries(WORKERS)) running[name] = await start(script, alg);
    // Each verifying worker must accept the token and refuse a tampered one before it is loaded.
    for (const [name, { url }] of Object.entries(running)) {
      const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      if (ok.status !== 200) throw new Error(`${name} worker: ${ok.status} ${await ok.text()} for the valid ${alg} token`);
      if (name === 'no verification') continue;
      const bad = await fetch(url, { headers: { authorization: `Bearer ${tampered(token)}` } });
      if (bad.status !== 401) throw new Error(`${name} worker: ${bad.status} for a tampered ${alg} token`);
      await bad.text();
    }
    const load = { connections: CONNECTIONS, headers: { authorization: `Bearer ${token}` } };
    for (const { url } of Object.values(running)) await wrk(url, { ...load, seconds: 1 }); // warm-up
    const names = Object.keys(running);
    const rounds = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + r) % names.length];
        rounds[name].push(await wrk(running[name].url, { ...load, seconds: SECONDS }));
      }
    }
    const contenders = {};
    for (const n of names) {
      const rs = rounds[n];
      contenders[n] = {
        rps: stats(rs.map((x) => x.rps)),
        p50_ms: stats(rs.map((x) => x.p50_ms)),
        p99_ms: stats(rs.map((x) => x.p99_ms)),
        errors: rs.reduce((a, x) => a + x.errors, 0),
        requests: rs.reduce((a, x) => a + x.requests, 0),
      };
    }
    const ratio = (a, b) => stats(rounds[a].map((x, i) => x.rps / rounds[b][i].rps));
    algorithms[alg] = { contenders, ratios: { 'azlens ÷ jose': ratio('azlens', 'jose') } };
    console.log(`worker ${alg}: ${names.map((n) => `${n} ${Math.round(contenders[n].rps.median)} req/s p50 ${contenders[n].p50_ms.median.toFixed(2)} ms`).join(', ')}`);
  } finally {
    for (const { mf } of Object.values(running)) await mf.dispose();
  }
}

const pkg = (p) => JSON.parse(readFileSync(join(ROOT, 'bench/node_modules', p, 'package.json'), 'utf8')).version;
writeResult(
  'worker',
  {
    description:
      'The same module worker three ways: azlens (`createVerifier` once per isolate, `verify` per request, keys inline), jose (`importJWK` once, `jwtVerify` per request), and one that verifies nothing. Each answers 200 for the valid token (and 401 for a tampered one, checked before the load).',
    connections: CONNECTIONS,
    duration_s: SECONDS,
    rounds: ROUNDS,
    versions: { workerd: `${pkg('workerd')} (miniflare ${pkg('miniflare')})`, wrk: await wrkVersion() },
    algorithms,
  },
  startLoad,
);
