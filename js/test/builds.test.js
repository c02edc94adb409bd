// The two wasm builds `make build` writes (mk/20-wasm.mk): the full build (js/pkg/, features
// web,report) that js/index.js and the page load, and the gate build (js/pkg-gate/, feature web)
// that the edge worker ships. The gate build leaves out the inspection report and nothing else.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const wasmOf = (dir) => readFileSync(new URL(`../${dir}/azlens_bg.wasm`, import.meta.url));
const exportsOf = (bytes) => WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name);
const full = wasmOf('pkg');
const gate = wasmOf('pkg-gate');

test('the gate build exports everything the full build does except the inspection report', () => {
  const fullNames = exportsOf(full);
  const gateNames = exportsOf(gate);
  const onlyFull = fullNames.filter((n) => !gateNames.includes(n));
  assert.ok(onlyFull.includes('inspect'), `the full build exports inspect: ${onlyFull}`);
  for (const n of onlyFull) assert.match(n, /inspect/i, `${n} is in the full build only`);
  assert.deepEqual(gateNames.filter((n) => /inspect/i.test(n)), [], 'the gate build has no inspection export');
  assert.deepEqual(gateNames.filter((n) => !fullNames.includes(n)), [], 'the gate build adds nothing');
  for (const n of ['gate_new', 'gate_begin', 'gate_finish', 'keyslots_new', 'keydiscovery_new', 'keyset_new']) {
    assert.ok(gateNames.includes(n), `the gate build exports ${n}`);
  }
});

test('the gate build is smaller than the full build, raw and gzipped', () => {
  assert.ok(gate.length < full.length, `${gate.length} < ${full.length} bytes`);
  const gz = (b) => gzipSync(b, { level: 9 }).length;
  assert.ok(gz(gate) < gz(full), `${gz(gate)} < ${gz(full)} bytes gzipped`);
});

test("the gate build's glue has no inspect(), the full build's has", async () => {
  const fullGlue = await import('../pkg/azlens.js');
  const gateGlue = await import('../pkg-gate/azlens.js');
  assert.equal(typeof fullGlue.inspect, 'function');
  assert.equal(gateGlue.inspect, undefined);
  assert.equal(gateGlue.Verifier.prototype.inspect, undefined);
  assert.equal(typeof gateGlue.Gate, 'function');
});
