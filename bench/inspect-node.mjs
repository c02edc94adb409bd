// inspect() in Node on a small and a large token, against what jose offers for looking inside a
// token without verifying it: decodeProtectedHeader + decodeJwt. azlens builds a whole report
// (claims explained, findings, profile matches); jose decodes two JSON objects. Interleaved
// rounds, as in verify-node.mjs.

import * as azlens from '../js/index.js';
import * as jose from 'jose';
import { fixtures, interleaved, setting, writeResult, loadAverage, ROUNDS_DEFAULT, ROUND_MS_DEFAULT } from './lib/measure.mjs';

const ROUNDS = setting('BENCH_ROUNDS', ROUNDS_DEFAULT);
const ROUND_MS = setting('BENCH_ROUND_MS', ROUND_MS_DEFAULT);
const startLoad = loadAverage();

if (typeof azlens.inspect !== 'function') {
  const reason = '`inspect()` is not exported by js/index.js on this branch yet.';
  console.log(`inspect: skipped, ${reason}`);
  writeResult('inspect-node', { skipped: reason }, startLoad);
  process.exit(0);
}

await azlens.init();
const fx = fixtures();
const cases = {};
for (const [name, token] of Object.entries(fx.inspect)) {
  const report = azlens.inspect(token, { now: fx.now });
  if (!report || typeof report !== 'object') throw new Error(`inspect() gave no report for the ${name} token`);
  jose.decodeProtectedHeader(token);
  jose.decodeJwt(token);

  const { results, ratio } = await interleaved(
    {
      azlens: (n) => {
        for (let i = 0; i < n; i++) azlens.inspect(token, { now: fx.now });
      },
      jose: (n) => {
        for (let i = 0; i < n; i++) {
          jose.decodeProtectedHeader(token);
          jose.decodeJwt(token);
        }
      },
    },
    { rounds: ROUNDS, roundMs: ROUND_MS },
  );
  cases[name] = { token_bytes: token.length, contenders: results, ratio: ratio('azlens', 'jose') };
  console.log(`inspect ${name} (${token.length} B): azlens ${Math.round(results.azlens.ops_per_s.median)}/s, jose ${Math.round(results.jose.ops_per_s.median)}/s`);
}
writeResult('inspect-node', { rounds: ROUNDS, round_ms: ROUND_MS, cases }, startLoad);
