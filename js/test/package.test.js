// The npm package as a user gets it: `npm pack` of js/, installed into a fresh folder with no
// access to this repository, then imported by name from plain Node scripts. Nothing is fetched
// from the registry (the package has no runtime dependencies; npm runs --offline).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NOW, sign, keyFor, jwkOf } from './helpers.js';

const JS = fileURLToPath(new URL('..', import.meta.url));
const ROOT = join(JS, '..');
const npm = (args, cwd) => execFileSync('npm', [...args, '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd, encoding: 'utf8' });

test('npm pack, install in a fresh folder, import azlens and azlens/worker in Node', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'azlens-pack-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], JS));
  const files = packed.files.map((f) => f.path);
  for (const f of ['LICENSE', 'README.md', 'package.json', 'index.js', 'index.d.ts', 'pkg/azlens_bg.wasm', 'pkg-gate/azlens_bg.wasm', 'engine.js', 'worker.js', 'worker-node.js']) {
    assert.ok(files.includes(f), `${f} is in the package: ${files.join(' ')}`);
  }
  assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('node_modules/')), files.join(' '));
  assert.equal(readFileSync(join(JS, 'LICENSE'), 'utf8'), readFileSync(join(ROOT, 'LICENSE'), 'utf8'), 'js/LICENSE is the repository LICENSE');

  const app = join(dir, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
  npm(['install', join(dir, packed.filename)], app);

  // Every export has types, and every file the exports name is installed.
  const installed = join(app, 'node_modules', 'azlens');
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  assert.equal(manifest.private, undefined, 'publishable');
  assert.equal(manifest.license, 'Apache-2.0');
  const targets = (v) => (typeof v === 'string' ? [v] : Object.values(v).flatMap(targets));
  for (const [name, entry] of Object.entries(manifest.exports)) {
    if (name.endsWith('.wasm') || name.endsWith('.json')) continue;
    assert.equal(typeof entry, 'object', `${name} has conditions`);
    assert.ok(entry.types, `${name} has types`);
    for (const file of targets(entry)) assert.ok(existsSync(join(installed, file)), `${name}: ${file} installed`);
  }

  const key = keyFor('ES256');
  const token = sign('ES256', key, { kid: 'k1' }, { iss: 'https://as.example', aud: 'https://fhir.example', sub: 'u', exp: NOW + 300 });
  const script = `
    import { init, verify, inspect, version } from 'azlens';
    import { guard } from 'azlens/worker';
    import { MemoryStore } from 'azlens/store';
    import { introspect } from 'azlens/introspection';
    await init();
    const options = { algorithms: ['ES256'], issuer: 'https://as.example', audience: 'https://fhir.example',
                      keys: ${JSON.stringify({ keys: [jwkOf(key, { kid: 'k1' })] })}, now: ${NOW} };
    const v = await verify(${JSON.stringify(token)}, options);
    const policy = { algorithms: ['ES256'], issuers: [{ issuer: 'https://as.example', audience: 'https://fhir.example' }], keys: options.keys };
    const g = guard({ policy, upstream: 'http://127.0.0.1:9', log: () => {} });
    const refused = await g.fetch(new Request('http://gate.test/fhir/Patient/1'));
    console.log(JSON.stringify({ version: version(), valid: v.valid, kind: inspect(${JSON.stringify(token)}).kind,
      status: refused.status, store: typeof MemoryStore, introspect: typeof introspect }));
  `;
  writeFileSync(join(app, 'main.mjs'), script);
  const out = JSON.parse(execFileSync(process.execPath, ['main.mjs'], { cwd: app, encoding: 'utf8' }));
  assert.deepEqual(out, { version: manifest.version, valid: true, kind: 'jws', status: 401, store: 'function', introspect: 'function' });
});
