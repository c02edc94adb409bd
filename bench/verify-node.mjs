// Verification in Node, single thread, one token after the other, on the fixtures' tokens:
//
//   azlens-wasm    the wasm Verifier (policy parsed once) and a KeySet parsed once, reused: the
//                  intended use. Includes JSON.parse of the verdict, as every caller needs it.
//   azlens-js      the public `createVerifier(options).verify(token, { now })` (async; keyPlan +
//                  verify + verdict object).
//   azlens-verify  the public one-call `verify(token, options)` with the keys inline in the
//                  options: its per-call cost is finding the cached verifier for the options.
//   jose           panva jose 6 `jwtVerify` with a CryptoKey imported beforehand (WebCrypto).
//
// All check the same claims: signature, iss, aud, exp/nbf at the same `now`.

import { init, createVerifier, verify as azlensVerify } from '../js/index.js';
import { Verifier, KeySet } from '../js/pkg/azlens.js';
import * as jose from 'jose';
import { readFileSync } from 'node:fs';
import { fixtures, interleaved, setting, writeResult, loadAverage, ROOT } from './lib/measure.mjs';

const ROUNDS = setting('BENCH_ROUNDS', 31);
const BATCH_MS = setting('BENCH_ROUND_MS', 25);
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
for (const [alg, f] of Object.entries(fx.algorithms)) {
  if (only && !only.includes(alg)) continue;
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
    'azlens-wasm': JSON.parse(core.verify(f.token, keys, fx.now)),
    'azlens-js': await reused.verify(f.token, { now: fx.now }),
    'azlens-verify': await azlensVerify(f.token, perCall),
  };
  for (const [name, v] of Object.entries(checks)) {
    if (!v.valid) throw new Error(`${alg}: ${name} rejected the fixture: ${JSON.stringify(v.errors)}`);
  }
  await jose.jwtVerify(f.token, key, joseOptions);

  const token = f.token;
  const { results: r, ratio } = await interleaved(
    {
      'azlens-wasm': (n) => {
        for (let i = 0; i < n; i++) if (!JSON.parse(core.verify(token, keys, fx.now)).valid) throw new Error('rejected');
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
    },
    { rounds: ROUNDS, batchMs: BATCH_MS },
  );
  results[alg] = {
    token_bytes: token.length,
    contenders: r,
    ratios: {
      'azlens-wasm/jose': ratio('azlens-wasm', 'jose'),
      'azlens-js/jose': ratio('azlens-js', 'jose'),
      'azlens-verify/jose': ratio('azlens-verify', 'jose'),
      'azlens-js/azlens-wasm': ratio('azlens-js', 'azlens-wasm'),
      'azlens-verify/azlens-wasm': ratio('azlens-verify', 'azlens-wasm'),
    },
  };
  const fmt = (name) => `${name} ${Math.round(r[name].ops_per_s.median)}/s`;
  console.log(`${alg}: ${Object.keys(r).map(fmt).join(', ')}; wasm/jose ${results[alg].ratios['azlens-wasm/jose'].median.toFixed(2)}× (CPU time: ${results[alg].ratios['azlens-wasm/jose'].cpu.toFixed(2)}×)`);
  core.free();
  keys.free();
}

const jsonOf = (p) => JSON.parse(readFileSync(new URL(p, import.meta.url), 'utf8'));
writeResult('verify-node', {
  rounds: ROUNDS,
  batch_ms: BATCH_MS,
  versions: {
    node: process.version,
    v8: process.versions.v8,
    openssl: process.versions.openssl,
    jose: jsonOf('./node_modules/jose/package.json').version,
  },
  wasm: { path: 'js/pkg/azlens_bg.wasm', bytes: readFileSync(`${ROOT}/js/pkg/azlens_bg.wasm`).length },
  algorithms: results,
}, startLoad);
