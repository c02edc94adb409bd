// Rewrites the "Size" section of BENCHMARKS.md (between its markers) from the wasm files named
// on the command line: `node js/bench/size.mjs BENCHMARKS.md "label=path" …`. Rows whose label
// starts with "**shipped**" are the modules people download; each gets a line by section.

import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import os from 'node:os';

const [target, ...pairs] = process.argv.slice(2);
const rows = pairs.map((p) => {
  const at = p.indexOf('=');
  const bytes = readFileSync(p.slice(at + 1));
  return {
    label: p.slice(0, at),
    sections: sections(bytes),
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes).length,
  };
});
/** Bytes per section kind of a wasm module (code, data, …). */
function sections(bytes) {
  const kinds = { 0: 'custom', 1: 'type', 2: 'import', 3: 'function', 4: 'table', 5: 'memory', 6: 'global', 7: 'export', 9: 'element', 10: 'code', 11: 'data', 12: 'data count' };
  const out = {};
  let i = 8;
  const leb = () => {
    let r = 0;
    let shift = 0;
    let b;
    do {
      b = bytes[i++];
      r += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return r;
  };
  while (i < bytes.length) {
    const kind = kinds[bytes[i++]] ?? 'other';
    const n = leb();
    out[kind] = (out[kind] ?? 0) + n;
    i += n;
  }
  return out;
}

function bySection(counts) {
  const big = Object.entries(counts).filter(([, n]) => n >= 1024).sort((a, b) => b[1] - a[1]);
  const rest = Object.values(counts).reduce((a, n) => a + n, 0) - big.reduce((a, [, n]) => a + n, 0);
  return [...big.map(([k, n]) => `${k} ${kib(n)}`), `everything else ${kib(rest)}`].join(', ');
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const section = [
  '<!-- size:begin (written by `make bench-size`) -->',
  '## Size',
  '',
  'Three builds (`make build`), release profile, binaryen `wasm-opt` from npm. The **full web build**',
  '(js/pkg/, for Node and the page: `wasm32-unknown-unknown`, features `web,report`, wasm-bindgen',
  '`--target web`) at each stage; the **gate build** the edge worker ships (js/pkg-gate/: the same',
  'with feature `web` alone, no inspection report); the **Envoy filter** (`wasm32-wasip1`, feature',
  '`envoy`, no report). The `target_features` section is kept (wasm-bindgen reads it); the name',
  'section is not shipped.',
  '',
  '| stage | raw | gzip -9 | brotli |',
  '|---|---|---|---|',
  ...rows.map((r) => `| ${r.label} | ${r.raw} B (${kib(r.raw)}) | ${r.gzip} B (${kib(r.gzip)}) | ${r.brotli} B (${kib(r.brotli)}) |`),
  '',
  ...rows.filter((r) => r.label.startsWith('**shipped**')).map((r) => `- ${r.label.replace('**shipped**: ', '')} by section: ${bySection(r.sections)}.`),
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} on ${os.arch()} ${cpu}, ${os.cpus().length} cores, Node ${process.version}.`,
  '<!-- size:end -->',
].join('\n');

let doc = existsSync(target) ? readFileSync(target, 'utf8') : '# azlens benchmarks\n';
const re = /<!-- size:begin[\s\S]*?<!-- size:end -->/;
doc = re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}\n`;
writeFileSync(target, doc);
console.log(section);
