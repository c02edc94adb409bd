// Rewrites BENCHMARKS.md in full from the results of this `make bench` run
// (target/bench/results/*.json): the machine and versions, one table per measurement with
// medians, min–max and ratios, and the project's goals with the measured figure and ✔/✘.
//
// Blocks that other targets write into BENCHMARKS.md between `<!-- NAME:begin -->` and
// `<!-- NAME:end -->` markers (e.g. `make bench-size`) are kept as they are, after these sections.
// A measurement that did not run says why instead of showing an old number.

import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import os from 'node:os';
import { ROOT, RESULTS } from './lib/measure.mjs';

const TARGET = join(ROOT, 'BENCHMARKS.md');
const ALGS = ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA', 'HS256'];

function result(name) {
  const file = join(RESULTS, `${name}.json`);
  if (!existsSync(file)) return { skipped: 'it did not run (see the output of `make bench`).' };
  return JSON.parse(readFileSync(file, 'utf8'));
}

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

// ---- formatting -------------------------------------------------------------------------------

const int = (n) => Math.round(n).toLocaleString('en-US');
/** Three significant digits, no exponent. */
function sig(n) {
  if (n === 0) return '0';
  const d = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(n))));
  return n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}
const rate = (s) => `${int(s.median)} <sub>${int(s.min)}–${int(s.max)}</sub>`;
const us = (s) => `${sig(s.median)} µs`;
const ms = (s) => `${sig(s.median)} <sub>${sig(s.min)}–${sig(s.max)}</sub>`;
const times = (r) => `**${r.median.toFixed(2)}×** <sub>${r.min.toFixed(2)}–${r.max.toFixed(2)}</sub>`;
/** A change in µs from ms, with its sign. */
const delta = (msValue) => `${msValue < 0 ? '−' : '+'}${sig(Math.abs(msValue * 1000))} µs`;
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const bytes = (n) => `${n.toLocaleString('en-US')} B`;
const mark = (ok) => (ok ? '✔' : '✘');

/** A Markdown table; `align` has one letter per column (l or r), default: first left, rest right. */
function table(head, rows, align = 'l' + 'r'.repeat(head.length - 1)) {
  const rule = head.map((_, i) => (align[i] === 'r' ? '---:' : align[i] === 'c' ? ':---:' : '---')).join('|');
  return [`| ${head.join(' | ')} |`, `|${rule}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const skipped = (r) => `_Not measured in this run: ${r.skipped}_`;

// ---- the results -----------------------------------------------------------------------------

const verify = result('verify-node');
const native = result('verify-native');
const inspect = result('inspect-node');
const cold = result('coldstart-node');
const worker = result('worker');
const envoy = result('envoy');
const all = [verify, native, inspect, cold, worker, envoy].filter((r) => !r.skipped);

// ---- machine and versions --------------------------------------------------------------------

/** When the measurements ran: from the first to the last result of this run. */
function runDate() {
  const fmt = (d) => d.toISOString().replace(/:\d\d\.\d+Z$/, ' UTC').replace('T', ' ');
  const dates = all.map((r) => new Date(r.date)).filter((d) => !Number.isNaN(d.getTime())).sort((a, b) => a - b);
  if (dates.length === 0) return fmt(new Date());
  return dates.length > 1 ? `${fmt(dates[0])} – ${fmt(dates.at(-1)).slice(11)}` : fmt(dates[0]);
}

function machine() {
  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const loads = all.filter((r) => r.load).flatMap((r) => [r.load.start, r.load.end]).filter((x) => typeof x === 'number');
  const commit = run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = run('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no', '--', 'src', 'js', 'Cargo.toml', 'Cargo.lock']);
  const rows = [
    ['date', runDate()],
    ['azlens', `${commit ?? 'unknown commit'}${dirty ? ' (with uncommitted changes)' : ''}`],
    ['CPU', `${cpu}, ${run('nproc', []) ?? os.cpus().length} cores (\`nproc\`), ${os.arch()}`],
    ['memory', `${Math.round(os.totalmem() / 2 ** 30)} GiB`],
    ['OS', `${os.type()} ${os.release()}`],
    [
      'load average (1 min)',
      loads.length
        ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} while the benchmarks ran${
            Math.max(...loads) > 2.5
              ? ': the machine is shared and other jobs ran alongside. Under such load, ratios have moved by a factor of two or more between runs; the min–max and the CPU-time columns show how steady this run was'
              : ''
          }`
        : 'not recorded',
    ],
    ['Node', verify.versions ? `${verify.versions.node} (V8 ${verify.versions.v8}, OpenSSL ${verify.versions.openssl})` : process.version],
    ['rustc', run('rustc', ['--version']) ?? 'unknown'],
  ];
  const v = (label, value) => value && rows.push([label, value]);
  v('jose', verify.versions?.jose && `${verify.versions.jose} (WebCrypto, \`crypto.subtle\`)`);
  v('ring', native.versions?.ring);
  v('workerd', worker.versions?.workerd);
  v('Envoy', envoy.versions?.envoy);
  v('wrk', worker.versions?.wrk ?? envoy.versions?.wrk);
  return table(['', ''], rows, 'll').replace(/^\| {2}\| {2}\|/, '| | |');
}

// ---- goals -----------------------------------------------------------------------------------

function goals() {
  const rows = [];
  if (verify.algorithms) {
    const figures = ALGS.filter((a) => verify.algorithms[a]).map((a) => [a, verify.algorithms[a].ratios['azlens-wasm/jose']]);
    const met = figures.filter(([, r]) => r.median >= 1).length;
    rows.push([
      'Every algorithm: azlens WASM at least as fast as jose + WebCrypto (ratio ≥ 1.0)',
      `${figures.map(([a, r]) => `${a} ${r.median.toFixed(2)}×`).join(', ')} (${met} of ${figures.length} met; by CPU time: ${figures.map(([a, r]) => `${a} ${r.cpu.toFixed(2)}×`).join(', ')})`,
      mark(met === figures.length && figures.length > 0),
    ]);
  } else {
    rows.push(['Every algorithm: azlens WASM at least as fast as jose + WebCrypto (ratio ≥ 1.0)', 'not measured', '—']);
  }
  const web = cold.sizes?.web;
  if (web) {
    rows.push(['Full-featured web build under 150 KB gzipped', `${bytes(web.gzip)} (${kib(web.gzip)}) gzip -9`, mark(web.gzip < 150_000)]);
  } else {
    rows.push(['Full-featured web build under 150 KB gzipped', 'not measured', '—']);
  }
  const goal = "Envoy: the filter's added p50 latency within 1.5× of `jwt_authn`'s";
  const scenarios = Object.entries(envoy.scenarios ?? {}).filter(([, sc]) => sc.connections === 1);
  if (scenarios.length === 0) rows.push([goal, envoy.skipped ? `not measured: ${envoy.skipped}` : 'not measured', '—']);
  for (const [key, sc] of scenarios) {
    const a = sc.added_p50_ms;
    const r = envoyRatio(a);
    rows.push([
      `${goal} (${key})`,
      `azlens ${delta(a.azlens.median)}, jwt_authn ${delta(a.jwt_authn.median)} over no auth: ${r.text}`,
      mark(r.ok),
    ]);
  }
  return table(['goal', 'measured in this run', ''], rows, 'llc');
}

// ---- sections --------------------------------------------------------------------------------

function verifySection() {
  const out = ['## Verification in Node: azlens WASM against jose', ''];
  if (verify.skipped) return [...out, skipped(verify)].join('\n');
  out.push(
    `Single thread, one verification after the other, of the same token with the same pre-imported key (${verify.rounds} interleaved rounds of ${verify.batch_ms} ms each).`,
    'azlens: the wasm `Verifier` (policy parsed once) with a `KeySet` parsed once, reused as intended, including `JSON.parse` of the verdict.',
    'jose: `jwtVerify(token, cryptoKey, { issuer, audience, algorithms })` with a `CryptoKey` imported beforehand (WebCrypto in Node).',
    'Both check the signature, `iss`, `aud`, `exp` and `nbf` at the same instant. Operations per second: median <sub>min–max</sub> over rounds; ratio = azlens ÷ jose within each round, median <sub>min–max</sub>; the last column is the same ratio from process CPU time (steadier on a shared machine).',
    '',
  );
  const rows = ALGS.filter((a) => verify.algorithms[a]).map((a) => {
    const { contenders: c, ratios } = verify.algorithms[a];
    const r = ratios['azlens-wasm/jose'];
    return [a, rate(c['azlens-wasm'].ops_per_s), us(c['azlens-wasm'].us_per_op), rate(c.jose.ops_per_s), us(c.jose.us_per_op), times(r), `${r.cpu.toFixed(2)}×`];
  });
  out.push(table(['alg', 'azlens WASM ops/s', 'latency', 'jose ops/s', 'latency', 'azlens ÷ jose', 'by CPU time'], rows), '');
  out.push(
    '### Through the public JS API',
    '',
    'The same verifications through `js/index.js`: `createVerifier(options).verify(token, { now })` (a verifier kept by the caller) and the one-call `verify(token, options)` with the key set inline in the options (it finds its cached verifier by the options). Ratios to the wasm `Verifier` above, from the same rounds.',
    '',
  );
  const api = ALGS.filter((a) => verify.algorithms[a]).map((a) => {
    const { contenders: c, ratios } = verify.algorithms[a];
    return [a, rate(c['azlens-js'].ops_per_s), times(ratios['azlens-js/azlens-wasm']), rate(c['azlens-verify'].ops_per_s), times(ratios['azlens-verify/azlens-wasm'])];
  });
  out.push(table(['alg', '`createVerifier().verify` ops/s', '÷ wasm Verifier', '`verify(token, options)` ops/s', '÷ wasm Verifier'], api));
  return out.join('\n');
}

function nativeSection() {
  const out = ['## Native: azlens against ring', ''];
  if (native.skipped) return [...out, skipped(native)].join('\n');
  out.push(
    `azlens compiled for this machine (release profile, \`Verifier\` and \`KeySet\` prepared once) against \`ring\` ${native.versions.ring}, the practical limit: ring checks the signature only (split the token, decode the signature, verify; its API parses the public key on each call), with no JSON and no claims, and has no P-521. ${native.rounds} interleaved rounds of ${native.batch_ms} ms. The last column compares azlens in WASM (previous section) with azlens native: different processes, so only a rough figure.`,
    '',
  );
  const rows = ALGS.filter((a) => native.algorithms[a]).map((a) => {
    const { contenders: c, ratios } = native.algorithms[a];
    const ring = c.ring;
    const r = ratios?.['azlens-native/ring'];
    const wasm = verify.algorithms?.[a]?.contenders['azlens-wasm'];
    return [
      a,
      rate(c['azlens-native'].ops_per_s),
      us(c['azlens-native'].us_per_op),
      ring ? rate(ring.ops_per_s) : '—',
      ring ? us(ring.us_per_op) : '—',
      r ? times(r) : '—',
      r ? `${r.cpu.toFixed(2)}×` : '—',
      wasm ? `${(wasm.ops_per_s.median / c['azlens-native'].ops_per_s.median).toFixed(2)}×` : '—',
    ];
  });
  out.push(table(['alg', 'azlens native ops/s', 'latency', 'ring ops/s', 'latency', 'azlens ÷ ring', 'by CPU time', 'WASM ÷ native'], rows));
  return out.join('\n');
}

function inspectSection() {
  const out = ['## inspect() against jose.decodeJwt + decodeProtectedHeader', ''];
  if (inspect.skipped) return [...out, skipped(inspect)].join('\n');
  out.push(
    `No signature check on either side: azlens \`inspect(token, { now })\` builds the full report (claims explained, findings, profile matches); jose decodes the header and the claims. ${inspect.rounds} interleaved rounds of ${inspect.batch_ms} ms.`,
    '',
  );
  const rows = Object.entries(inspect.cases).map(([name, c]) => [
    `${name} (${bytes(c.token_bytes)})`,
    rate(c.contenders.azlens.ops_per_s),
    us(c.contenders.azlens.us_per_op),
    rate(c.contenders.jose.ops_per_s),
    us(c.contenders.jose.us_per_op),
    times(c.ratio),
  ]);
  out.push(table(['token', 'azlens inspect() ops/s', 'latency', 'jose decode ops/s', 'latency', 'azlens ÷ jose'], rows));
  return out.join('\n');
}

function coldSection() {
  const out = ['## Size and cold start', ''];
  if (cold.skipped) return [...out, skipped(cold)].join('\n');
  const label = { web: 'web (`make build`: js/pkg)', envoy: 'Envoy filter (wasm32-wasip1)' };
  const sizeRows = Object.entries(cold.sizes).map(([key, s], _, __, name = label[key] ?? key) =>
    s.skipped ? [name, '—', '—', '—', `not measured: ${s.skipped}`] : [name, `${bytes(s.raw)} (${kib(s.raw)})`, `${bytes(s.gzip)} (${kib(s.gzip)})`, `${bytes(s.brotli)} (${kib(s.brotli)})`, `\`${s.path}\``],
  );
  out.push(table(['build', 'raw', 'gzip -9', 'brotli', 'file'], sizeRows), '');
  out.push(
    `Cold start in a fresh Node process (${cold.samples} processes per contender, interleaved), milliseconds, median <sub>min–max</sub>. azlens: import the wasm-bindgen glue, read the \`.wasm\`, \`WebAssembly.compile\`, instantiate (wasm-bindgen's \`initSync\`), then the first verification (policy and key set parsed, token verified). jose: \`import('jose')\`, \`importJWK\`, the first \`jwtVerify\`.`,
    '',
  );
  const rows = [];
  for (const [alg, c] of Object.entries(cold.algorithms)) {
    rows.push([`${alg} azlens`, ms(c.azlens.total), `import glue ${sig(c.azlens.import.median)}, read ${sig(c.azlens.read.median)}, compile ${sig(c.azlens.compile.median)}, instantiate ${sig(c.azlens.instantiate.median)}, first verify ${sig(c.azlens.first_verify.median)}`]);
    rows.push([`${alg} jose`, ms(c.jose.total), `import ${sig(c.jose.import.median)}, key import ${sig(c.jose.key_import.median)}, first verify ${sig(c.jose.first_verify.median)}`]);
  }
  out.push(table(['', 'total ms', 'phases (medians, ms)'], rows, 'lrl'));
  return out.join('\n');
}

function loadRow(name, c) {
  return [name, rate(c.rps), ms(c.p50_ms), ms(c.p99_ms), `${c.errors} of ${int(c.requests)}`];
}

function workerSection() {
  const out = ['## Edge worker in workerd', ''];
  if (worker.skipped) return [...out, skipped(worker)].join('\n');
  out.push(
    `${worker.description} Load: \`wrk -t1 -c${worker.connections} -d${worker.duration_s}s\` against workerd on 127.0.0.1, ${worker.rounds} interleaved rounds per row group; requests/s and latency (ms): median <sub>min–max</sub> over rounds.`,
    '',
  );
  const rows = [];
  for (const [key, sc] of Object.entries(worker.scenarios)) {
    for (const [n, c] of Object.entries(sc.contenders)) rows.push(loadRow(`${key}: ${n}`, c));
  }
  out.push(table(['load: worker', 'requests/s', 'p50 ms', 'p99 ms', 'errors¹'], rows), '');
  out.push('¹ responses other than 200, and socket errors, over all rounds.', '');
  out.push(
    table(
      ['load', 'edge worker ÷ jose', 'verify() ÷ jose'],
      Object.entries(worker.scenarios).map(([key, sc]) => [key, times(sc.ratios['azlens edge worker ÷ jose']), times(sc.ratios['azlens verify() ÷ jose'])]),
    ),
  );
  out[out.length - 1] = `Requests/s ratios within a round:\n\n${out[out.length - 1]}`;
  return out.join('\n');
}

function envoySection() {
  const out = ['## Envoy', ''];
  if (envoy.skipped) return [...out, skipped(envoy)].join('\n');
  const [first, ...rest] = envoy.description.split('\n\n');
  out.push(first.replace(/\n/g, ' '), '');
  for (const para of rest) out.push(para.includes('  ') ? ['```text', para, '```'].join('\n') : para.replace(/\n/g, ' '), '');
  const rows = [];
  for (const [key, sc] of Object.entries(envoy.scenarios)) {
    for (const [n, c] of Object.entries(sc.contenders)) rows.push(loadRow(`${key}: ${n}`, c));
  }
  const any = Object.values(envoy.scenarios)[0];
  out.push(`\`wrk -t1 -cN -d${any.duration_s}s\`, ${any.rounds} interleaved rounds per row group; median <sub>min–max</sub> over rounds. Envoy \`--concurrency ${envoy.envoy_concurrency}\`.`, '');
  out.push(table(['load: listener', 'requests/s', 'p50 ms', 'p99 ms', 'errors¹'], rows), '', '¹ responses other than 200, and socket errors, over all rounds.', '');
  const added = Object.entries(envoy.scenarios).map(([key, sc]) => {
    const a = sc.added_p50_ms;
    const r = envoyRatio(a);
    return [key, delta(a.azlens.median), delta(a.jwt_authn.median), r.text];
  });
  out.push('Added p50 latency: the filter\'s p50 minus the no-auth p50 of the same round, median over rounds.', '');
  out.push(table(['load', 'azlens adds', 'jwt_authn adds', 'azlens ÷ jwt_authn'], added));
  return out.join('\n');
}

/** The Envoy goal's figure: azlens's added p50 over jwt_authn's, when jwt_authn's is measurable. */
function envoyRatio(a) {
  const az = a.azlens.median;
  const jw = a.jwt_authn.median;
  if (jw > 0) return { ratio: az / jw, ok: az / jw <= 1.5, text: `${(az / jw).toFixed(2)}×` };
  return { ratio: null, ok: az <= 0, text: 'jwt_authn adds nothing measurable' };
}

// ---- the document ----------------------------------------------------------------------------

const previous = existsSync(TARGET) ? readFileSync(TARGET, 'utf8') : '';
const kept = [...previous.matchAll(/<!-- ([\w-]+):begin[^>]*-->[\s\S]*?<!-- \1:end -->/g)]
  .filter((m) => m[1] !== 'history')
  .map((m) => m[0]);

// ---- history: one row per `make bench` run, carried over from the previous BENCHMARKS.md ---------

const HISTORY_HEAD = ['run (UTC)', 'azlens', ...ALGS, 'web gzip', 'Envoy same token'];

function historySection() {
  const block = /<!-- history:begin[^>]*-->([\s\S]*?)<!-- history:end -->/.exec(previous)?.[1] ?? '';
  const rows = block
    .split('\n')
    .filter((l) => /^\| \d{4}-/.test(l))
    .map((l) => l.replace(/^\| | \|$/g, '').split(' | '));
  if (verify.algorithms) {
    const commit = run('git', ['rev-parse', '--short', 'HEAD']) ?? 'unknown';
    const ratio = (a) => verify.algorithms[a]?.ratios['azlens-wasm/jose'];
    const same = envoy.scenarios?.['same token, 1 connection']?.added_p50_ms;
    const row = [
      new Date().toISOString().slice(0, 16).replace('T', ' '),
      commit,
      ...ALGS.map((a) => (ratio(a) ? `${ratio(a).median.toFixed(2)}×` : '—')),
      cold.sizes?.web ? bytes(cold.sizes.web.gzip) : '—',
      same ? envoyRatio(same).text : '—',
    ];
    if (!rows.some((r) => r[1] === commit && r.slice(2).join() === row.slice(2).join())) rows.push(row);
  }
  return [
    '<!-- history:begin (rows carried over by bench/report.mjs; one per make bench run) -->',
    '## History',
    '',
    'The goal figures of every `make bench` run, oldest first: azlens WASM ÷ jose throughput per algorithm (≥ 1: azlens is faster), the web build gzipped, and the Envoy filter\'s added p50 over `jwt_authn`\'s with a repeated token. Each row is one run on the machine of its day, so compare rows with care; ratios within a row come from one run.',
    '',
    table(HISTORY_HEAD, rows, `ll${'r'.repeat(HISTORY_HEAD.length - 2)}`),
    '<!-- history:end -->',
  ].join('\n');
}

const doc = [
  '# azlens benchmarks',
  '',
  'Written by `make bench` (`bench/report.mjs`): every number below comes from one run on the machine described here. Numbers are medians over interleaved rounds (contenders take turns, so noise falls on all alike) with min–max beside them; ratios are taken within a round. Nothing here is a test, and no test asserts on speed.',
  '',
  '## Machine',
  '',
  machine(),
  '',
  '## Goals',
  '',
  goals(),
  '',
  verifySection(),
  '',
  nativeSection(),
  '',
  inspectSection(),
  '',
  coldSection(),
  '',
  workerSection(),
  '',
  envoySection(),
  '',
  historySection(),
  '',
  ...kept.flatMap((k) => [k, '']),
].join('\n');

writeFileSync(TARGET, doc.replace(/\n{3,}/g, '\n\n').trimEnd() + '\n');
console.log(`wrote ${TARGET}`);
