// How every Node benchmark here measures: contenders run in the same process, each warmed up
// alone first, then interleaved round by round (A, B, C, B, C, A …) so that noise from the other
// tenants of a shared machine falls on all of them alike; a round gives each contender a time
// box long enough (300 ms by default) for asynchronous APIs to fill their pipeline; results are
// medians over rounds, with the min–max beside them, and ratios are taken within a round.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUT = join(ROOT, 'target', 'bench');
export const RESULTS = join(OUT, 'results');

/** Number from an environment variable, or the default (for quick runs: BENCH_ROUNDS=3). */
export function setting(name, fallback) {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

export function fixtures() {
  return JSON.parse(readFileSync(join(OUT, 'fixtures', 'fixtures.json'), 'utf8'));
}

/** The machine's load while a benchmark ran (other tenants of a shared machine show here). */
export function loadAverage() {
  return os.loadavg()[0];
}

export function writeResult(name, result, startLoad) {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${name}.json`);
  const load = { start: startLoad, end: loadAverage() };
  writeFileSync(file, `${JSON.stringify({ bench: name, date: new Date().toISOString(), load, ...result }, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

export function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s.at(-1), n: s.length };
}

const now = () => process.hrtime.bigint();

/**
 * A contender is either `batch(n)`, which runs n operations one after the other (sync, or async
 * awaiting each), or `{ inFlight: k, op }`: `op()` returns a promise, and k of them are kept in
 * flight at once, as a server does with concurrent requests (WebCrypto runs on a thread pool, so
 * jose gets faster with more verifications under way).
 */
function runner(contender) {
  if (typeof contender === 'function') {
    return async (ms) => {
      // Chunks of ~1 ms between clock reads, so reading the clock costs nothing measurable.
      const end = now() + BigInt(Math.round(ms * 1e6));
      let ops = 0;
      let k = 1;
      let t;
      do {
        const t0 = now();
        const r = contender(k);
        if (r && typeof r.then === 'function') await r;
        ops += k;
        t = now();
        if (Number(t - t0) < 1e6 && k < 1 << 16) k *= 2;
      } while (t < end);
      return ops;
    };
  }
  const { inFlight, op } = contender;
  return async (ms) => {
    const end = now() + BigInt(Math.round(ms * 1e6));
    let ops = 0;
    const lane = async () => {
      while (now() < end) {
        await op();
        ops++;
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
    return ops;
  };
}

/** One round of `ms` milliseconds: operations done, wall-clock and process CPU time (ns). */
async function round(run, ms) {
  const c0 = process.cpuUsage();
  const t0 = now();
  const ops = await run(ms);
  const wall = Number(now() - t0);
  const c = process.cpuUsage(c0);
  return { ops, wall, cpu: (c.user + c.system) * 1000 };
}

/**
 * Steady state, interleaved: every contender first runs alone for `warmUpMs` (JIT and wasm tier-up,
 * WebCrypto's thread pool awake), then `rounds` rounds in which each contender in turn runs for
 * `roundMs` (the starting contender rotates, so no one always follows another's garbage). A
 * round is long enough (≥ 300 ms by default) for asynchronous work to reach its steady rate.
 * Wall-clock and process CPU time (user + system, all threads, so WebCrypto's thread pool
 * counts) are both kept: on a shared machine the CPU time is the steadier of the two.
 * Returns per contender: ops/s and µs/op as {median, min, max}, ops per CPU-second and the
 * per-round ops/s; and `ratio(a, b)` = median (min–max) over rounds of a's ops/s ÷ b's in the
 * same round (`cpu` the same from CPU time).
 */
export async function interleaved(contenders, { rounds, roundMs, warmUpMs = Math.max(500, roundMs) }) {
  const names = Object.keys(contenders);
  const runs = Object.fromEntries(names.map((n) => [n, runner(contenders[n])]));
  for (const name of names) await runs[name](warmUpMs);
  const perRound = Object.fromEntries(names.map((n) => [n, []]));
  const perRoundCpu = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length];
      const t = await round(runs[name], roundMs);
      perRound[name].push((t.ops * 1e9) / t.wall);
      perRoundCpu[name].push((t.ops * 1e9) / Math.max(t.cpu, 1));
    }
  }
  const out = {};
  for (const name of names) {
    const ops = perRound[name];
    out[name] = {
      in_flight: contenders[name].inFlight ?? 1,
      ops_per_s: stats(ops),
      us_per_op: stats(ops.map((o) => 1e6 / o)),
      ops_per_cpu_s: stats(perRoundCpu[name]),
      rounds: ops.map((o) => Math.round(o)),
    };
  }
  const ratio = (a, b) => ({
    ...stats(perRound[a].map((x, i) => x / perRound[b][i])),
    cpu: stats(perRoundCpu[a].map((x, i) => x / perRoundCpu[b][i])).median,
  });
  return { results: out, ratio };
}

/** The defaults every in-process benchmark uses (BENCH_ROUNDS, BENCH_ROUND_MS override them). */
export const ROUNDS_DEFAULT = 9;
export const ROUND_MS_DEFAULT = 300;
