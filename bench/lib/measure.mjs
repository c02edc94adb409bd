// How every Node benchmark here measures: contenders run in the same process, interleaved round
// by round (A, B, C, A, B, C …) so that noise from the other tenants of a shared machine falls on
// all of them alike; each round times one batch of sequential operations per contender; results
// are medians over rounds, with the min–max beside them, and ratios are taken within a round.

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

/** Wall-clock time of one batch, in ns: `batch(n)` runs n operations in turn (sync or async). */
async function timeBatch(batch, n) {
  const t0 = now();
  const r = batch(n);
  if (r && typeof r.then === 'function') await r;
  return Number(now() - t0);
}

/** Run `batch` for about `ms` milliseconds, so the JIT (and wasm tier-up) settles first. */
async function warmUp(batch, ms) {
  const end = now() + BigInt(ms * 1e6);
  let n = 1;
  while (now() < end) {
    await timeBatch(batch, n);
    n = Math.min(n * 2, 256);
  }
}

/**
 * How many operations make a chunk of about a millisecond: the fastest of several single
 * operations decides (a slow one was most likely the machine's other tenants).
 */
async function chunkSize(batch) {
  let best = Infinity;
  for (let i = 0; i < 7; i++) best = Math.min(best, await timeBatch(batch, 1));
  return Math.max(1, Math.floor(1e6 / Math.max(best, 1)));
}

/** One round: chunks of `k` operations until `ms` milliseconds have passed. */
async function round(batch, k, ms) {
  const c0 = process.cpuUsage();
  const t0 = now();
  const end = t0 + BigInt(Math.round(ms * 1e6));
  let ops = 0;
  let t;
  do {
    const r = batch(k);
    if (r && typeof r.then === 'function') await r;
    ops += k;
    t = now();
  } while (t < end);
  const c = process.cpuUsage(c0);
  return { ops, wall: Number(t - t0), cpu: (c.user + c.system) * 1000 };
}

/**
 * Run contenders `{ name: batch(n) }` interleaved for `rounds` rounds of about `batchMs` each.
 * Wall-clock and process CPU time (user + system, all threads, so WebCrypto's thread pool
 * counts) are both kept: on a shared machine the CPU time is the steadier of the two.
 * Returns per contender: ops/s and µs/op as {median, min, max}, ops per CPU-second, the batch
 * size and the per-round ops/s; and `ratio(a, b)` = median over rounds of a's ops/s ÷ b's in the
 * same round (`cpu` the same from CPU time).
 */
export async function interleaved(contenders, { rounds, batchMs }) {
  const names = Object.keys(contenders);
  const sizes = {};
  for (const name of names) {
    await warmUp(contenders[name], Math.max(200, batchMs * 4));
    sizes[name] = await chunkSize(contenders[name]);
  }
  const perRound = Object.fromEntries(names.map((n) => [n, []]));
  const perRoundCpu = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    // Rotate the starting contender so no one always runs right after a GC of another.
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length];
      const t = await round(contenders[name], sizes[name], batchMs);
      perRound[name].push((t.ops * 1e9) / t.wall);
      perRoundCpu[name].push((t.ops * 1e9) / Math.max(t.cpu, 1));
    }
  }
  const out = {};
  for (const name of names) {
    const ops = perRound[name];
    out[name] = {
      chunk: sizes[name],
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
