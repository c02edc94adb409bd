// Size of the shipped wasm modules, and cold start in Node: each sample is a fresh Node process
// (V8 keeps compiled wasm per process, so a second compile in the same process is not cold),
// the contenders' processes interleaved. Timed from inside the process, after Node's own start:
//
//   azlens       the full web build (js/pkg/: Node's shim and the page): import the wasm-bindgen
//                glue, read the .wasm, WebAssembly.compile, instantiate (initSync), first
//                verification (policy and key set parsed, token verified)
//   azlens-gate  the same with the gate build the edge worker ships (js/pkg-gate/: no report)
//   jose         import('jose'), importJWK, first jwtVerify
//
// Usage: node bench/coldstart-node.mjs            (the benchmark; writes coldstart-node.json)
//        node bench/coldstart-node.mjs --child azlens|azlens-gate|jose ALG   (one sample, JSON on stdout)

import { readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { relative } from 'node:path';

const ALGS = ['RS256', 'ES256'];
/** The wasm-bindgen builds `make build` writes, by contender. */
const BUILDS = { azlens: 'pkg', 'azlens-gate': 'pkg-gate' };
const CONTENDERS = [...Object.keys(BUILDS), 'jose'];

if (process.argv[2] === '--child') {
  const [, , , who, alg] = process.argv;
  process.stdout.write(JSON.stringify(who === 'jose' ? await joseSample(alg) : await azlensSample(BUILDS[who], alg)));
} else {
  await main();
}

async function loadFixtures() {
  const { fixtures } = await import('./lib/measure.mjs');
  return fixtures();
}

async function azlensSample(dir, alg) {
  const fx = await loadFixtures();
  const f = fx.algorithms[alg];
  const t0 = performance.now();
  const glue = await import(`../js/${dir}/azlens.js`);
  const t1 = performance.now();
  const bytes = readFileSync(new URL(`../js/${dir}/azlens_bg.wasm`, import.meta.url));
  const t2 = performance.now();
  const module = await WebAssembly.compile(bytes);
  const t3 = performance.now();
  glue.initSync({ module });
  const t4 = performance.now();
  const verifier = new glue.Verifier(JSON.stringify({ algorithms: [alg], issuers: [{ issuer: fx.issuer, audience: fx.audience }] }));
  const keys = verifier.parseKeys(new TextEncoder().encode(JSON.stringify(f.jwks)));
  const { answer: verdict } = JSON.parse(verifier.verify(f.token, keys, fx.now));
  const t5 = performance.now();
  if (!verdict.valid) throw new Error(`azlens rejected the ${alg} fixture: ${JSON.stringify(verdict.errors)}`);
  return { total: t5 - t0, import: t1 - t0, read: t2 - t1, compile: t3 - t2, instantiate: t4 - t3, first_verify: t5 - t4 };
}

async function joseSample(alg) {
  const fx = await loadFixtures();
  const f = fx.algorithms[alg];
  const t0 = performance.now();
  const jose = await import('jose');
  const t1 = performance.now();
  const key = await jose.importJWK(f.jwk, alg);
  const t2 = performance.now();
  await jose.jwtVerify(f.token, key, { issuer: fx.issuer, audience: fx.audience, algorithms: [alg], currentDate: new Date(fx.now * 1000) });
  const t3 = performance.now();
  return { total: t3 - t0, import: t1 - t0, key_import: t2 - t1, first_verify: t3 - t2 };
}

function size(path) {
  const bytes = readFileSync(path);
  return { path, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, brotli: brotliCompressSync(bytes).length };
}

/** A path as a reader of BENCHMARKS.md can find it: in the tree, or under the cargo target dir. */
function shown(path, root = fileURLToPath(new URL('..', import.meta.url))) {
  const target = process.env.CARGO_TARGET_DIR;
  if (target && path.startsWith(target)) return `$CARGO_TARGET_DIR/${relative(target, path)}`;
  return relative(root, path);
}

async function main() {
  const { setting, writeResult, loadAverage, stats, ROOT } = await import('./lib/measure.mjs');
  const startLoad = loadAverage();
  const samples = setting('BENCH_COLD_SAMPLES', 15);
  const self = fileURLToPath(import.meta.url);

  const web = `${ROOT}/js/pkg/azlens_bg.wasm`;
  const gate = `${ROOT}/js/pkg-gate/azlens_bg.wasm`;
  const envoy = process.env.AZLENS_ENVOY_WASM;
  const sizes = {
    web: { ...size(web), path: shown(web) },
    gate: { ...size(gate), path: shown(gate) },
    envoy: envoy && existsSync(envoy)
      ? { ...size(envoy), path: shown(envoy) }
      : { skipped: envoy ? `${envoy} was not built` : 'AZLENS_ENVOY_WASM was not set (`make bench-coldstart-node` sets it)' },
  };
  const sizeOf = (s) => (s.skipped ? s.skipped : `${s.raw} B raw, ${s.gzip} B gzipped`);
  for (const [name, s] of Object.entries(sizes)) console.log(`size ${name}: ${sizeOf(s)}`);

  const algorithms = {};
  for (const alg of ALGS) {
    const runs = Object.fromEntries(CONTENDERS.map((who) => [who, []]));
    for (let i = 0; i < samples; i++) {
      // Each round starts with the next contender, so none always runs first.
      const order = CONTENDERS.map((_, j) => CONTENDERS[(i + j) % CONTENDERS.length]);
      for (const who of order) {
        const out = execFileSync(process.execPath, [self, '--child', who, alg], { cwd: `${ROOT}/bench`, encoding: 'utf8' });
        runs[who].push(JSON.parse(out));
      }
    }
    const phases = (list) => Object.fromEntries(Object.keys(list[0]).map((k) => [k, stats(list.map((s) => s[k]))]));
    algorithms[alg] = Object.fromEntries(CONTENDERS.map((who) => [who, phases(runs[who])]));
    console.log(`cold start ${alg}: ${CONTENDERS.map((who) => `${who} ${algorithms[alg][who].total.median.toFixed(1)} ms`).join(', ')}`);
  }
  writeResult('coldstart-node', { samples, sizes, algorithms }, startLoad);
}
