// Writes the recovery block of BENCHMARKS.md (between the `recovery` markers) from the results of
// bench/recovery-node.mjs, bench/recovery-worker.mjs and bench/recovery-envoy.py in this run.
// The previous run's medians stay beside this run's: the spread between runs, not only within.
//
//   node bench/recovery-report.mjs NODE.json WORKER.json ENVOY.json

import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/measure.mjs';

const results = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, 'utf8')));
const fmt = (n) => (n >= 100 ? Math.round(n).toString() : n.toFixed(1));
const target = join(ROOT, 'BENCHMARKS.md');
const doc = existsSync(target) ? readFileSync(target, 'utf8') : '';
const re = /<!-- recovery:begin[\s\S]*?<!-- recovery:end -->/;
const previous = new Map(
  [...(doc.match(re)?.[0] ?? '').matchAll(/^\| ([^|]+?) \| (new key|outage) \| ([\d.]+) \|/gm)].map((m) => [`${m[1]}/${m[2]}`, m[3]]),
);
const runs = results[0]?.rows[0]?.ms.n ?? 0;
const loads = results.map((r) => `${r.load.start.toFixed(1)}→${r.load.end.toFixed(1)}`).join(', ');
const text = [
  '<!-- recovery:begin (written by `make bench-recovery`) -->',
  '## Recovery of the key cache, per host',
  '',
  `\`make bench-recovery\`, ${new Date().toISOString().slice(0, 16)}Z. The same two scenarios in each host, with the key cache's defaults (loopback HTTP allowed): a real key server on 127.0.0.1, a client presenting a token signed with the new key every 50 ms; the time from the event to the first acceptance, ${runs} runs each (a fresh host and key server per run), median with min–max. *New key*: key B published next to A after the host fetched {A}. *Outage*: the server answers 503 for 2 s while B-tokens arrive (B is published meanwhile), then answers again. Hosts: the JS shim's \`verify()\` in Node (bench/recovery-node.mjs); js/worker.js in workerd through Miniflare, one request at a time (bench/recovery-worker.mjs); the filter in a real Envoy with two workers, a fresh connection per request (bench/recovery-envoy.py). All three follow the core's unknown-\`kid\` schedule (1 s, 2 s, 4 s … after the last answered refetch; a failed refetch backs off the same way), so the figures are whole steps of it plus a request's time, not throughput.`,
  '',
  `Load average (1 min) at the start → end of each host's run: ${loads} (two cores, shared).`,
  '',
  '| host | scenario | until accepted, ms (this run) | min–max | refusals before (median) | previous run, ms |',
  '|---|---|---:|---:|---:|---:|',
  ...results.flatMap((r) =>
    r.rows.map(
      (row) =>
        `| ${r.host} | ${row.scenario} | ${fmt(row.ms.median)} | ${fmt(row.ms.min)}–${fmt(row.ms.max)} | ${row.refused.median} | ${previous.get(`${r.host}/${row.scenario}`) ?? '–'} |`,
    ),
  ),
  '<!-- recovery:end -->',
].join('\n');

writeFileSync(target, re.test(doc) ? doc.replace(re, text) : `${doc.trimEnd()}\n\n${text}\n`);
console.log(`wrote the recovery block of ${target}`);
