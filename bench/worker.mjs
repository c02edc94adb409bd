// The edge worker under load: requests/s and p50/p99 through workerd (miniflare's, pinned by
// bench/package-lock.json) on 127.0.0.1, with a valid bearer token from the fixtures. Five
// workers, each in its own workerd and each sending what it lets through to the same origin
// worker (bench/worker/origin.js, bound as UPSTREAM):
//
//   azlens edge worker   js/worker.js, the project's guard, the policy with the key inline
//   …, audit log off     the same with `audit.log` false: what the AuditEvent log line costs
//   azlens verify()      bench/worker/azlens.js: the JS shim's createVerifier, then forward
//   jose                 bench/worker/jose.js: the same with jose's jwtVerify
//   no verification      bench/worker/plain.js: forward only
//
// Workers are started the way the worker suite starts js/worker.js (modules found from the
// script, the same module rules and compatibility date); wrk loads one at a time, interleaved
// by round. Besides requests/s, each round reads the CPU time of the workerd process that runs
// the worker (/proc: every thread of it, user and system) and divides it by the requests the
// round answered: a figure the other tenants of the machine move far less than throughput.

import { Miniflare } from 'miniflare';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fixtures, setting, stats, writeResult, loadAverage, ROOT, OUT } from './lib/measure.mjs';
import { wrk, wrkVersion } from './lib/wrk.mjs';

process.env.WRANGLER_SEND_METRICS = 'false';
const ROUNDS = setting('BENCH_WORKER_ROUNDS', 3);
const SECONDS = setting('BENCH_WORKER_SECONDS', 2);
const CONNECTIONS = setting('BENCH_WORKER_CONNECTIONS', 4);
const ALGS = (process.env.BENCH_WORKER_ALGS ?? 'RS256,ES256').split(',');
const startLoad = loadAverage();
const fx = fixtures();

// As the worker suite runs js/worker.js (tests/hosts/worker/harness.mjs), so the benchmark runs
// the worker that is tested. (Its harness is not imported: it resolves miniflare from the
// suite's own node_modules, which `make bench` does not install.)
const MODULES_RULES = [
  { type: 'ESModule', include: ['**/*.js'] },
  { type: 'CompiledWasm', include: ['**/*.wasm'] },
];
const COMPATIBILITY_DATE = '2026-04-01';

const WORKERS = {
  'azlens edge worker': 'js/worker.js',
  // The same guard with `audit.log` off: what its default AuditEvent log line costs.
  'azlens edge worker, audit log off': 'js/worker.js',
  'azlens verify()': 'bench/worker/azlens.js',
  'jose': 'bench/worker/jose.js',
  'no verification': 'bench/worker/plain.js',
};

/** /proc/PID/stat as its command name and the fields after it (fields[0] is the state). */
function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The name is in parentheses and may itself hold spaces or parentheses: cut at the last one.
  const close = stat.lastIndexOf(')');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
}

// CPU time of a process (all its threads, user and system), in microseconds.
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
function cpuMicros(pid) {
  const { fields } = procStat(pid);
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

/** The workerd processes this Node process started (Miniflare runs one per instance). */
function workerdChildren() {
  const pids = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const { comm, fields } = procStat(pid);
      if (comm.startsWith('workerd') && Number(fields[1]) === process.pid) pids.push(Number(pid));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

async function start(name, script, alg) {
  const f = fx.algorithms[alg];
  const policy = {
    algorithms: [alg],
    issuers: [{ issuer: fx.issuer, audience: fx.audience, keys: f.jwks }],
    forward: { headers: { 'x-auth-sub': 'sub' } },
    ...(name.endsWith('audit log off') ? { audit: { log: false } } : {}),
  };
  const before = new Set(workerdChildren());
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    cf: false,
    // The edge worker logs one line per decision; workerd still writes it, the bench drops it.
    handleStructuredLogs: () => {},
    workers: [
      {
        name: 'gate',
        modules: true,
        scriptPath: join(ROOT, script),
        modulesRoot: ROOT,
        modulesRules: MODULES_RULES,
        compatibilityDate: COMPATIBILITY_DATE,
        bindings: {
          AZLENS_POLICY: JSON.stringify(policy),
          JWKS: JSON.stringify(f.jwks),
          ALG: alg,
          ISSUER: fx.issuer,
          AUDIENCE: fx.audience,
          NOW: String(fx.now),
        },
        serviceBindings: { UPSTREAM: 'origin' },
      },
      { name: 'origin', modules: true, scriptPath: join(ROOT, 'bench/worker/origin.js'), compatibilityDate: COMPATIBILITY_DATE },
    ],
  });
  const url = (await mf.ready).href;
  const pids = workerdChildren().filter((pid) => !before.has(pid));
  if (pids.length !== 1) throw new Error(`${name}: expected one new workerd process, found ${pids.length}`);
  return { mf, url, pid: pids[0] };
}

/** The token with one character of its claims changed: its signature no longer matches. */
function tampered(token) {
  const [h, p, s] = token.split('.');
  const i = p.length >> 1;
  return `${h}.${p.slice(0, i)}${p[i] === 'A' ? 'B' : 'A'}${p.slice(i + 1)}.${s}`;
}

async function measure(running, load) {
  for (const { url } of Object.values(running)) await wrk(url, { ...load, seconds: 1 }); // warm-up
  const names = Object.keys(running);
  const rounds = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length];
      const cpu0 = cpuMicros(running[name].pid);
      const round = await wrk(running[name].url, { ...load, seconds: SECONDS });
      round.cpu_us = (cpuMicros(running[name].pid) - cpu0) / round.requests;
      rounds[name].push(round);
    }
  }
  const contenders = {};
  for (const n of names) {
    const rs = rounds[n];
    const failed = rs.reduce((a, x) => a + x.errors, 0);
    if (failed > 0) throw new Error(`${n}: ${failed} requests under load were not answered 200: a benchmark of failures is no benchmark`);
    contenders[n] = {
      rps: stats(rs.map((x) => x.rps)),
      p50_ms: stats(rs.map((x) => x.p50_ms)),
      p99_ms: stats(rs.map((x) => x.p99_ms)),
      cpu_us: stats(rs.map((x) => x.cpu_us)),
      errors: rs.reduce((a, x) => a + x.errors, 0),
      requests: rs.reduce((a, x) => a + x.requests, 0),
    };
  }
  const ratio = (a, b) => stats(rounds[a].map((x, i) => x.rps / rounds[b][i].rps));
  // By CPU: jose's workerd CPU per request ÷ the contender's, within a round (≥ 1: cheaper).
  const byCpu = (a, b) => stats(rounds[a].map((x, i) => rounds[b][i].cpu_us / x.cpu_us));
  // What a worker adds to the CPU per request of the one that only forwards.
  const added = Object.fromEntries(
    names.filter((n) => n !== 'no verification').map((n) => [n, stats(rounds[n].map((x, i) => x.cpu_us - rounds['no verification'][i].cpu_us))]),
  );
  return {
    contenders,
    ratios: { 'azlens edge worker ÷ jose': ratio('azlens edge worker', 'jose'), 'azlens verify() ÷ jose': ratio('azlens verify()', 'jose') },
    cpu_ratios: { 'azlens edge worker ÷ jose': byCpu('azlens edge worker', 'jose'), 'azlens verify() ÷ jose': byCpu('azlens verify()', 'jose') },
    added_cpu_us: added,
  };
}

const scenarios = {};
for (const alg of ALGS) {
  const token = fx.algorithms[alg].token;
  const pool = join(OUT, 'fixtures', `pool-${alg}.txt`);
  const running = {};
  try {
    for (const [name, script] of Object.entries(WORKERS)) running[name] = await start(name, script, alg);
    // Each verifying worker must accept the token and refuse a tampered one before it is loaded.
    for (const [name, { url }] of Object.entries(running)) {
      const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      if (ok.status !== 200) throw new Error(`${name} worker: ${ok.status} ${await ok.text()} for the valid ${alg} token`);
      await ok.text();
      if (name === 'no verification') continue;
      const bad = await fetch(url, { headers: { authorization: `Bearer ${tampered(token)}` } });
      if (bad.status !== 401) throw new Error(`${name} worker: ${bad.status} for a tampered ${alg} token`);
      await bad.text();
    }
    const load = { connections: CONNECTIONS, headers: { authorization: `Bearer ${token}` } };
    const kinds = { 'same token': load, ...(existsSync(pool) ? { 'new token': { ...load, tokens: pool } } : {}) };
    for (const [kind, how] of Object.entries(kinds)) {
      const key = `${alg}, ${kind}`;
      scenarios[key] = await measure(running, how);
      const c = scenarios[key].contenders;
      console.log(`worker ${key}: ${Object.keys(c).map((n) => `${n} ${Math.round(c[n].rps.median)} req/s p50 ${c[n].p50_ms.median.toFixed(2)} ms ${Math.round(c[n].cpu_us.median)} µs CPU`).join(', ')}`);
    }
  } finally {
    for (const { mf } of Object.values(running)) await mf.dispose();
  }
}

const pkg = (p) => JSON.parse(readFileSync(join(ROOT, 'bench/node_modules', p, 'package.json'), 'utf8')).version;
writeResult(
  'worker',
  {
    description:
      'Five workers, each forwarding what it lets through to the same origin worker (a service binding answering `ok`): **azlens edge worker** is the project\'s guard (`js/worker.js`) with the key inline in its policy; **azlens verify()** is a few lines over the JS shim (`createVerifier` once per isolate, `verify` per request); **jose** is the same few lines with `importJWK` once and `jwtVerify` per request; **azlens edge worker, audit log off** is the guard with `audit: { log: false }` (by default it logs an IHE BALP AuditEvent for every decision); **no verification** only forwards. Each answers 200 for the valid token, and the verifying ones 401 for a tampered token (checked before the load). *Same token*: every request carries the one token (the edge worker\'s verified-token cache answers after the first); *new token*: each request carries the next of 2,500 distinct valid tokens from the same key, more than the cache holds, so every request is a full verification.',
    connections: CONNECTIONS,
    duration_s: SECONDS,
    rounds: ROUNDS,
    versions: { workerd: `${pkg('workerd')} (miniflare ${pkg('miniflare')})`, wrk: await wrkVersion() },
    scenarios,
  },
  startLoad,
);
