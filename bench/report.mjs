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
const coldEnvoy = result('coldstart-envoy');
const worker = result('worker');
const envoy = result('envoy');
const all = [verify, native, inspect, cold, coldEnvoy, worker, envoy].filter((r) => !r.skipped);

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

/** The cases of the verification benchmark: every algorithm, then the RSA 3072 variants. */
const CASES = verify.algorithms ? [...ALGS, ...Object.keys(verify.algorithms).filter((k) => !ALGS.includes(k))].filter((k) => verify.algorithms[k]) : [];

/** The headline of one case: azlens `verify()` ÷ the faster of jose's two ways (the lower ratio). */
function headline(k) {
  const h = verify.algorithms[k].headline;
  return h ?? { ...verify.algorithms[k].ratios['azlens-wasm/jose'], against: 'jose' };
}
const against = (h) => (h.against === 'jose-concurrent' ? `jose×${verify.in_flight ?? 16}` : 'jose');

function goals() {
  const rows = [];
  const none = (goal, why = 'not measured') => rows.push([goal, why, '—']);
  // Issue 14, goal 2: RSA at least 1.5× jose + WebCrypto, steady state, 2048 and 3072 bits.
  const rsaGoal = 'RSA (RS256, PS256; 2048 and 3072 bits): azlens `verify()` ≥ 1.5× jose + WebCrypto, steady state, against the faster of jose one-at-a-time and jose with 16 in flight';
  const rsa = CASES.filter((k) => /^(RS|PS)256/.test(k));
  if (rsa.length) {
    const figs = rsa.map((k) => [k, headline(k)]);
    const met = figs.filter(([, h]) => h.median >= 1.5).length;
    rows.push([rsaGoal, `${figs.map(([k, h]) => `${k} ${h.median.toFixed(2)}× <sub>${h.min.toFixed(2)}–${h.max.toFixed(2)}</sub> vs ${against(h)}`).join(', ')} (${met} of ${figs.length} met)`, mark(met === figs.length)]);
  } else none(rsaGoal);
  const allGoal = 'Every algorithm: azlens `verify()` at least as fast as jose + WebCrypto (the lower of the two ratios ≥ 1.0)';
  if (CASES.length) {
    const figs = ALGS.filter((k) => verify.algorithms[k]).map((k) => [k, headline(k)]);
    const met = figs.filter(([, h]) => h.median >= 1).length;
    rows.push([allGoal, `${figs.map(([k, h]) => `${k} ${h.median.toFixed(2)}×`).join(', ')} (${met} of ${figs.length} met)`, mark(met === figs.length)]);
  } else none(allGoal);
  // Goal 3: the edge worker against a jose worker in workerd.
  const wGoal = (kind) => `Edge worker ÷ jose worker in workerd, ${kind}`;
  for (const [kind, need, text] of [['new token', 1.0, '≥ 1.0×'], ['same token', 1.0, '> 1.0×']]) {
    const sc = Object.entries(worker.scenarios ?? {}).filter(([key]) => key.endsWith(kind));
    if (!sc.length) {
      none(`${wGoal(kind)} (${text}; RS256 and ES256)`, worker.skipped ? `not measured: ${worker.skipped}` : 'not measured');
      continue;
    }
    const figs = sc.map(([key, v]) => [key.split(',')[0], v.ratios['azlens edge worker ÷ jose']]);
    const ok = figs.every(([, r]) => (kind === 'new token' ? r.median >= need : r.median > need));
    rows.push([`${wGoal(kind)} (${text}; RS256 and ES256)`, figs.map(([a, r]) => `${a} ${r.median.toFixed(2)}× <sub>${r.min.toFixed(2)}–${r.max.toFixed(2)}</sub>`).join(', '), mark(ok)]);
  }
  // Goal 4: the Envoy filter's added p50 against jwt_authn's.
  const envoyGoals = { 'same token, 1 connection': 2, 'new token, 1 connection': 1.5 };
  for (const [key, limit] of Object.entries(envoyGoals)) {
    const goal = `Envoy: the filter's added p50 ≤ ${limit}× \`jwt_authn\`'s (${key})`;
    const sc = envoy.scenarios?.[key];
    if (!sc) {
      none(goal, envoy.skipped ? `not measured: ${envoy.skipped}` : 'not measured');
      continue;
    }
    const a = sc.added_p50_ms;
    const r = envoyRatio(a);
    rows.push([goal, `azlens ${delta(a.azlens.median)}, jwt_authn ${delta(a.jwt_authn.median)} over no auth: ${r.text}`, mark(r.ratio === null ? r.ok : r.ratio <= limit)]);
  }
  // Goal 5: each host's build within its size, and its cold start reported (fresh process).
  const coldNode = (who) => {
    const c = cold.algorithms?.RS256?.[who];
    return c ? `cold start ${sig(c.total.median)} ms (fresh Node, RS256: compile + instantiate + first verify)` : 'cold start not measured';
  };
  const envoyCold = () => {
    const c = coldEnvoy.first_answer_ms;
    if (!c) return `cold start not measured${coldEnvoy.skipped ? `: ${coldEnvoy.skipped}` : ''}`;
    return `cold start ${sig(c.azlens.median)} ms from Envoy's start to its first answer (${sig(c['no filter'].median)} ms without a filter, ${sig(c['empty wasm filter'].median)} ms with an empty wasm filter)`;
  };
  const sizeGoals = [
    ['The page\'s build (js/pkg/, with the inspection report) ≤ 300 KB gzipped', cold.sizes?.web, 300_000, coldNode('azlens')],
    ['The edge worker\'s build (js/pkg-gate/, without the report) ≤ 200 KB gzipped', cold.sizes?.gate, 200_000, coldNode('azlens-gate')],
    ['The Envoy filter (without the report) ≤ 200 KB gzipped', cold.sizes?.envoy, 200_000, envoyCold()],
  ];
  for (const [goal, s, limit, start] of sizeGoals) {
    if (!s || s.skipped) none(goal, `not measured${s?.skipped ? `: ${s.skipped}` : ''}`);
    else rows.push([goal, `${bytes(s.gzip)} (${kib(s.gzip)}) gzip -9; ${start}`, mark(s.gzip <= limit)]);
  }
  return table(['goal', 'measured in this run', ''], rows, 'llc');
}

// ---- sections --------------------------------------------------------------------------------

function verifySection() {
  const out = ['## Verification in Node: azlens WASM against jose', ''];
  if (verify.skipped) return [...out, skipped(verify)].join('\n');
  const k = verify.in_flight ?? 16;
  out.push(
    `**Method.** Every contender first runs alone for at least 500 ms (JIT and wasm tier-up, WebCrypto's thread pool awake); then ${verify.rounds} rounds in which each contender in turn verifies for ${verify.round_ms} ms, the starting contender rotating; a contender's figure is the median over rounds <sub>min–max</sub>, and a ratio is taken within each round, median <sub>min–max</sub>. The same token, the same pre-imported key, the same instant, in one Node process (\`bench/verify-node.mjs\`, \`bench/lib/measure.mjs\`).`,
    '',
    `- **azlens \`verify()\`**: the public one-call \`verify(token, options)\` of \`js/index.js\` with the key set inline in the options (the verifier for those options is cached); **\`createVerifier().verify\`** a verifier kept by the caller; **wasm \`Verifier\`** the wasm-bindgen class with a \`KeySet\` parsed once, including \`JSON.parse\` of the verdict.`,
    `- **jose**: \`jwtVerify(token, cryptoKey, { issuer, audience, algorithms })\` with a \`CryptoKey\` imported beforehand (WebCrypto in Node), one verification after the other; **jose×${k}**: the same with ${k} verifications in flight at once, as a server with concurrent requests runs it. WebCrypto verifies on libuv's thread pool, so jose×${k} may use more than one core; azlens runs on the calling thread.`,
    '- All check the signature, `iss`, `aud`, `exp` and `nbf`. **Headline** = azlens `verify()` ÷ the faster jose, i.e. the lower of the two ratios; "by CPU" divides operations per second of process CPU time (all threads) instead of wall-clock time.',
    '',
  );
  const rows = CASES.map((a) => {
    const { contenders: c, ratios } = verify.algorithms[a];
    const h = headline(a);
    const conc = c['jose-concurrent'];
    return [
      a,
      rate(c['azlens-verify'].ops_per_s),
      rate(c.jose.ops_per_s),
      conc ? rate(conc.ops_per_s) : '—',
      times(ratios['azlens-verify/jose']),
      ratios['azlens-verify/jose-concurrent'] ? times(ratios['azlens-verify/jose-concurrent']) : '—',
      `**${h.median.toFixed(2)}×** vs ${against(h)}`,
      `${ratios['azlens-verify/jose'].cpu.toFixed(2)}×`,
    ];
  });
  out.push(table(['case', 'azlens `verify()` ops/s', 'jose ops/s', `jose×${k} ops/s`, '÷ jose', `÷ jose×${k}`, 'headline', 'by CPU (÷ jose)'], rows), '');
  out.push('### The other azlens entry points', '', 'Ratios to jose one-at-a-time, from the same rounds.', '');
  const api = CASES.map((a) => {
    const { contenders: c, ratios } = verify.algorithms[a];
    return [a, rate(c['azlens-wasm'].ops_per_s), times(ratios['azlens-wasm/jose']), rate(c['azlens-js'].ops_per_s), times(ratios['azlens-js/jose'])];
  });
  out.push(table(['case', 'wasm `Verifier` ops/s', '÷ jose', '`createVerifier().verify` ops/s', '÷ jose'], api));
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
    `No signature check on either side: azlens \`inspect(token, { now })\` builds the full report (claims explained, findings, profile matches); jose decodes the header and the claims. ${inspect.rounds} interleaved rounds of ${inspect.round_ms ?? inspect.batch_ms} ms.`,
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
  const label = {
    web: 'full web build (js/pkg: Node, the page)',
    gate: 'gate build (js/pkg-gate: the edge worker)',
    envoy: 'Envoy filter (wasm32-wasip1)',
  };
  const sizeRows = Object.entries(cold.sizes).map(([key, s], _, __, name = label[key] ?? key) =>
    s.skipped ? [name, '—', '—', '—', `not measured: ${s.skipped}`] : [name, `${bytes(s.raw)} (${kib(s.raw)})`, `${bytes(s.gzip)} (${kib(s.gzip)})`, `${bytes(s.brotli)} (${kib(s.brotli)})`, `\`${s.path}\``],
  );
  out.push(table(['build', 'raw', 'gzip -9', 'brotli', 'file'], sizeRows), '');
  out.push(
    `Cold start in a fresh Node process (${cold.samples} processes per contender, interleaved), milliseconds, median <sub>min–max</sub>. azlens (the full web build) and azlens gate build (the edge worker's): import the wasm-bindgen glue, read the \`.wasm\`, \`WebAssembly.compile\`, instantiate (wasm-bindgen's \`initSync\`), then the first verification (policy and key set parsed, token verified). jose: \`import('jose')\`, \`importJWK\`, the first \`jwtVerify\`.`,
    '',
  );
  const rows = [];
  const names = { azlens: 'azlens', 'azlens-gate': 'azlens gate build' };
  for (const [alg, c] of Object.entries(cold.algorithms)) {
    for (const [who, name] of Object.entries(names)) {
      const a = c[who];
      if (a) rows.push([`${alg} ${name}`, ms(a.total), `import glue ${sig(a.import.median)}, read ${sig(a.read.median)}, compile ${sig(a.compile.median)}, instantiate ${sig(a.instantiate.median)}, first verify ${sig(a.first_verify.median)}`]);
    }
    rows.push([`${alg} jose`, ms(c.jose.total), `import ${sig(c.jose.import.median)}, key import ${sig(c.jose.key_import.median)}, first verify ${sig(c.jose.first_verify.median)}`]);
  }
  out.push(table(['', 'total ms', 'phases (medians, ms)'], rows, 'lrl'));
  out.push('', '### Cold start of the Envoy filter', '');
  if (coldEnvoy.skipped) {
    out.push(skipped(coldEnvoy));
  } else {
    for (const para of coldEnvoy.description.split('\n\n')) {
      out.push(para.includes('  ') ? ['```text', para, '```'].join('\n') : para.replace(/\n/g, ' '), '');
    }
    const added = (n) => (coldEnvoy.added_ms[n] ? `+${ms(coldEnvoy.added_ms[n])}` : '—');
    out.push(
      table(
        ['bootstrap', 'start → first answer, ms', 'added over no filter, ms'],
        Object.entries(coldEnvoy.first_answer_ms).map(([n, st]) => [n, ms(st), added(n)]),
      ),
      '',
      `${coldEnvoy.samples} fresh Envoy processes per bootstrap, \`--concurrency ${coldEnvoy.envoy_concurrency}\`.`,
    );
  }
  return out.join('\n');
}

function loadRow(name, c) {
  return [name, rate(c.rps), ms(c.p50_ms), ms(c.p99_ms), `${c.errors} of ${int(c.requests)}`];
}

function workerSection() {
  const out = ['## Edge worker in workerd', ''];
  if (worker.skipped) return [...out, skipped(worker)].join('\n');
  out.push(
    `${worker.description} Load: \`wrk -t1 -c${worker.connections} -d${worker.duration_s}s\` against workerd on 127.0.0.1, ${worker.rounds} interleaved rounds per row group; requests/s, latency (ms) and the CPU time of the worker's workerd process per request (all its threads, from /proc): median <sub>min–max</sub> over rounds.`,
    '',
  );
  const cpu = (c) => (c.cpu_us ? `${int(c.cpu_us.median)} <sub>${int(c.cpu_us.min)}–${int(c.cpu_us.max)}</sub>` : '—');
  const rows = [];
  for (const [key, sc] of Object.entries(worker.scenarios)) {
    for (const [n, c] of Object.entries(sc.contenders)) rows.push([...loadRow(`${key}: ${n}`, c), cpu(c)]);
  }
  out.push(table(['load: worker', 'requests/s', 'p50 ms', 'p99 ms', 'errors¹', 'workerd CPU µs per request'], rows), '');
  out.push('¹ responses other than 200, and socket errors, over all rounds.', '');
  const scenarios = Object.entries(worker.scenarios);
  out.push(
    'Ratios within a round: requests/s (the goal\'s measure), and by CPU (jose\'s workerd CPU per request ÷ the worker\'s; the machine\'s other tenants move this one less):',
    '',
    table(
      ['load', 'edge worker ÷ jose', 'verify() ÷ jose', 'edge worker ÷ jose, by CPU', 'verify() ÷ jose, by CPU'],
      scenarios.map(([key, sc]) => [
        key,
        times(sc.ratios['azlens edge worker ÷ jose']),
        times(sc.ratios['azlens verify() ÷ jose']),
        sc.cpu_ratios ? times(sc.cpu_ratios['azlens edge worker ÷ jose']) : '—',
        sc.cpu_ratios ? times(sc.cpu_ratios['azlens verify() ÷ jose']) : '—',
      ]),
    ),
    '',
  );
  const withAdded = scenarios.filter(([, sc]) => sc.added_cpu_us);
  if (withAdded.length > 0) {
    const names = Object.keys(withAdded[0][1].added_cpu_us);
    const plus = (x) => `${x.median < 0 ? '−' : '+'}${int(Math.abs(x.median))} <sub>${int(x.min)}–${int(x.max)}</sub>`;
    out.push(
      'What each worker adds to the workerd CPU per request of the worker that only forwards (µs, within a round):',
      '',
      table(['load', ...names], withAdded.map(([key, sc]) => [key, ...names.map((n) => plus(sc.added_cpu_us[n]))])),
    );
  }
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
  // The floor (an empty wasm filter) and azlens without a token check, when this run has them.
  const floor = 'empty wasm filter' in any.added_p50_ms;
  const extra = floor ? ['empty wasm filter adds', 'azlens, open route adds'] : [];
  const added = Object.entries(envoy.scenarios).map(([key, sc]) => {
    const a = sc.added_p50_ms;
    const r = envoyRatio(a);
    const more = floor ? [delta(a['empty wasm filter'].median), delta(a['azlens, open route'].median)] : [];
    return [key, delta(a.azlens.median), delta(a.jwt_authn.median), ...more, r.text];
  });
  out.push('Added p50 latency: the filter\'s p50 minus the no-auth p50 of the same round, median over rounds.', '');
  out.push(table(['load', 'azlens adds', 'jwt_authn adds', ...extra, 'azlens ÷ jwt_authn'], added));
  if (floor) {
    const same = envoy.scenarios['same token, 1 connection']?.added_p50_ms;
    if (same) {
      const e = same['empty wasm filter'].median;
      const o = same['azlens, open route'].median;
      const az = same.azlens.median;
      const jw = same.jwt_authn.median;
      out.push('', `Where the time goes (same token, 1 connection): a proxy-wasm filter that does nothing already adds ${delta(e)} in Envoy's V8 runtime (a VM call per stream event, contexts made and dropped); azlens on an open route — reading the headers as one map, canonicalising the request, choosing the route, applying the decision — adds ${delta(o)} in all, ${delta(o - e)} over the empty filter; the token (found, looked up in the verdict cache, the route's checks, the forwarded headers) adds ${delta(az - o)} more. The goal of ≤ 2× \`jwt_authn\` is ${delta(2 * jw)} here, ${e > 2 * jw ? 'below what an empty wasm filter costs, so no proxy-wasm filter in this runtime can meet it' : `${delta(2 * jw - e)} above the empty filter`}.`);
    }
  }
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
    const ratio = (a) => (verify.algorithms[a] ? headline(a) : null);
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
    'The goal figures of every `make bench` run, oldest first: azlens ÷ jose throughput per algorithm (≥ 1: azlens is faster; until 2026-11-23 the wasm `Verifier` against jose in 25 ms rounds, which flattered azlens on RSA — see the note below the table; from issue 14 on, the public `verify()` against the faster of jose one-at-a-time and jose×16 in 300 ms rounds), the web build gzipped, and the Envoy filter\'s added p50 over `jwt_authn`\'s with a repeated token. Each row is one run on the machine of its day, so compare rows with care; ratios within a row come from one run.',
    '',
    table(HISTORY_HEAD, rows, `ll${'r'.repeat(HISTORY_HEAD.length - 2)}`),
    '<!-- history:end -->',
  ].join('\n');
}

const doc = [
  '# azlens benchmarks',
  '',
  'Written by `make bench` (`bench/report.mjs`): every number below comes from one run on the machine described here. In-process figures are steady state: each contender warmed up alone, then interleaved rounds of 300 ms each (contenders take turns, so noise falls on all alike), medians with min–max beside them, ratios taken within a round. Nothing here is a test, and no test asserts on speed.',
  '',
  '**Correction (issue 14).** Runs up to 2026-11-23 reported RS256 1.29× and PS256 1.36× jose. Those rounds were 25 ms long, too short for WebCrypto\'s asynchronous pipeline: jose read about 4,800 RS256 verifications/s there, against 8,700–20,000/s in rounds of 300 ms. In steady state azlens is *slower* than jose on RSA; the table below says by how much.',
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
