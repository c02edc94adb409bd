// Verification in Node, steady state (bench/lib/measure.mjs: warm-up, then interleaved rounds of
// 300 ms), on the fixtures' tokens (every algorithm, and RSA 3072 for RS256 and PS256):
//
//   azlens-wasm    the wasm Verifier (policy parsed once) and a KeySet parsed once, reused: the
//                  intended use. Includes JSON.parse of the verdict, as every caller needs it.
//   azlens-js      the public `createVerifier(options).verify(token, { now })` (async; keyPlan +
//                  verify + verdict object).
//   azlens-verify  the public one-call `verify(token, options)` with the keys inline in the
//                  options: its per-call cost is finding the cached verifier for the options.
//   jose           panva jose 6 `jwtVerify` with a CryptoKey imported beforehand (WebCrypto),
//                  one verification after the other.
//   jose×16        the same with 16 verifications in flight at once, as a server handling
//                  concurrent requests runs it: WebCrypto does the signature on libuv's thread
//                  pool, so jose can use more than one core.
//
// All check the same claims: signature, iss, aud, exp/nbf at the same `now`. The headline is
// azlens `verify()` (the public one-call API) against the *faster* of the two jose ways, so the
// lower of the two ratios.

import { init, createVerifier, verify as azlensVerify } from '../js/index.js';
import { Verifier, KeySet } from '../js/pkg/azlens.js';
import * as jose from 'jose';
import { readFileSync } from 'node:fs';
import { fixtures, interleaved, setting, writeResult, loadAverage, ROOT, ROUNDS_DEFAULT, ROUND_MS_DEFAULT } from './lib/measure.mjs';

const ROUNDS = setting('BENCH_ROUNDS', ROUNDS_DEFAULT);
const ROUND_MS = setting('BENCH_ROUND_MS', ROUND_MS_DEFAULT);
const IN_FLIGHT = setting('BENCH_IN_FLIGHT', 16);
const only = process.env.BENCH_ALGS?.split(',');

const startLoad = loadAverage();
await init();
const fx = fixtures();
const at = new Date(fx.now * 1000);

const HMAC = { HS256: 'SHA-256' };

/** jose's key for `alg`, imported once (jose imports oct JWKs per call, so HMAC goes via subtle). */
async function joseKey(alg, jwk) {
  if (HMAC[alg]) {
    return crypto.subtle.importKey('raw', Buffer.from(jwk.k, 'base64url'), { name: 'HMAC', hash: HMAC[alg] }, false, ['verify']);
  }
  return jose.importJWK(jwk, alg);
}

const results = {};
const cases = [
  ...Object.entries(fx.algorithms).map(([alg, f]) => [alg, { ...f, alg }]),
  ...Object.entries(fx.variants ?? {}),
];
for (const [label, f] of cases) {
  const alg = f.alg;
  if (only && !only.includes(label)) continue;
  const options = { algorithms: [alg], issuer: fx.issuer, audience: fx.audience };
  const core = new Verifier(JSON.stringify({ algorithms: [alg], issuers: [{ issuer: fx.issuer, audience: fx.audience }] }));
  const keys = core.parseKeys(new TextEncoder().encode(JSON.stringify(f.jwks)));
  const reused = createVerifier({ ...options, keys: f.jwks });
  const perCall = { ...options, keys: f.jwks, now: fx.now };
  const key = await joseKey(alg, f.jwk);
  const joseOptions = { issuer: fx.issuer, audience: fx.audience, algorithms: [alg], currentDate: at };

  // Every contender must accept the token before it is timed: a benchmark of failures is no
  // benchmark. (Not a timed assertion: correctness only.)
  const checks = {
    'azlens-wasm': JSON.parse(core.verify(f.token, keys, fx.now)).answer,
    'azlens-js': await reused.verify(f.token, { now: fx.now }),
    'azlens-verify': await azlensVerify(f.token, perCall),
  };
  for (const [name, v] of Object.entries(checks)) {
    if (!v.valid) throw new Error(`${label}: ${name} rejected the fixture: ${JSON.stringify(v.errors)}`);
  }
  await jose.jwtVerify(f.token, key, joseOptions);

  const token = f.token;
  const { results: r, ratio } = await interleaved(
    {
      'azlens-wasm': (n) => {
        for (let i = 0; i < n; i++) if (!JSON.parse(core.verify(token, keys, fx.now)).answer.valid) throw new Error('rejected');
      },
      'azlens-js': async (n) => {
        for (let i = 0; i < n; i++) if (!(await reused.verify(token, { now: fx.now })).valid) throw new Error('rejected');
      },
      'azlens-verify': async (n) => {
        for (let i = 0; i < n; i++) if (!(await azlensVerify(token, perCall)).valid) throw new Error('rejected');
      },
      jose: async (n) => {
        for (let i = 0; i < n; i++) await jose.jwtVerify(token, key, joseOptions);
      },
      'jose-concurrent': { inFlight: IN_FLIGHT, op: () => jose.jwtVerify(token, key, joseOptions) },
    },
    { rounds: ROUNDS, roundMs: ROUND_MS },
  );
  const ratios = {};
  for (const a of ['azlens-wasm', 'azlens-js', 'azlens-verify']) {
    for (const b of ['jose', 'jose-concurrent']) ratios[`${a}/${b}`] = ratio(a, b);
  }
  ratios['azlens-js/azlens-wasm'] = ratio('azlens-js', 'azlens-wasm');
  ratios['azlens-verify/azlens-wasm'] = ratio('azlens-verify', 'azlens-wasm');
  // The headline: the public verify() against whichever way jose ran faster in this run.
  const seq = ratios['azlens-verify/jose'];
  const conc = ratios['azlens-verify/jose-concurrent'];
  const headline = conc.median < seq.median ? { against: 'jose-concurrent', ...conc } : { against: 'jose', ...seq };
  results[label] = { alg, bits: f.bits ?? null, token_bytes: token.length, contenders: r, ratios, headline };
  const fmt = (name) => `${name} ${Math.round(r[name].ops_per_s.median)}/s`;
  console.log(`${label}: ${Object.keys(r).map(fmt).join(', ')}; verify()/jose ${seq.median.toFixed(2)}× ${seq.min.toFixed(2)}–${seq.max.toFixed(2)}, verify()/jose×${IN_FLIGHT} ${conc.median.toFixed(2)}× ${conc.min.toFixed(2)}–${conc.max.toFixed(2)}`);
  core.free();
  keys.free();
}

const jsonOf = (p) => JSON.parse(readFileSync(new URL(p, import.meta.url), 'utf8'));
writeResult('verify-node', {
  rounds: ROUNDS,
  round_ms: ROUND_MS,
  in_flight: IN_FLIGHT,
  versions: {
    node: process.version,
    v8: process.versions.v8,
    openssl: process.versions.openssl,
    jose: jsonOf('./node_modules/jose/package.json').version,
  },
  wasm: { path: 'js/pkg/azlens_bg.wasm', bytes: readFileSync(`${ROOT}/js/pkg/azlens_bg.wasm`).length },
  algorithms: results,
}, startLoad);
