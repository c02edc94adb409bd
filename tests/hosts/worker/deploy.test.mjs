// The deployment as wrangler.toml describes it: wrangler 4.86.0 bundles js/worker.js with the
// WASM (`deploy --dry-run`, nothing uploaded) — the gate build, without the inspection report —
// and the bundle runs in workerd with the sample policy from the file. Requests here never need
// a key set, so nothing leaves loopback: the upstream is replaced by a loopback server, and no
// banner, update check or metrics run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { unstable_readConfig } from 'wrangler';
import * as h from './harness.mjs';

const WRANGLER = join(h.ROOT, 'tests', 'hosts', 'worker', 'node_modules', '.bin', 'wrangler');

test('wrangler.toml bundles, and the bundle guards with the sample policy', async (t) => {
  const out = h.tempDir();
  const home = h.tempDir();
  const upstream = await h.upstreamServer();
  t.after(async () => {
    await upstream.close();
    out.remove();
    home.remove();
  });

  const env = {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_HIDE_BANNER: 'true',
    // wrangler's logs and device id go to a scratch directory, not the user's home.
    XDG_CONFIG_HOME: home.dir,
    WRANGLER_LOG_PATH: home.dir,
  };
  const run = spawnSync(WRANGLER, ['deploy', '--dry-run', '--outdir', out.dir], { cwd: h.ROOT, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /--dry-run: exiting now/);
  const files = readdirSync(out.dir);
  assert.ok(files.includes('worker.js'), files.join(' '));
  // The worker ships the gate build (js/pkg-gate/, no inspection report) and only it: neither
  // the full build's module nor its glue is in the bundle.
  const wasm = files.filter((f) => f.endsWith('.wasm'));
  assert.equal(wasm.length, 1, files.join(' '));
  const shipped = readFileSync(join(out.dir, wasm[0]));
  assert.ok(shipped.equals(readFileSync(join(h.ROOT, 'js', 'pkg-gate', 'azlens_bg.wasm'))), `${wasm[0]} is js/pkg-gate/azlens_bg.wasm`);
  assert.doesNotMatch(readFileSync(join(out.dir, 'worker.js'), 'utf8'), /inspectWithKeys/);

  const config = unstable_readConfig({ config: join(h.ROOT, 'wrangler.toml') });
  assert.equal(config.send_metrics, false);
  assert.equal(config.main, join(h.ROOT, 'js', 'worker.js'));
  const policyText = config.vars.AZLENS_POLICY;
  const policy = JSON.parse(policyText);
  assert.equal(policy.introspection.clients[0].secret, 'env:INTROSPECTION_SECRET');

  const logs = [];
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(out.dir, 'worker.js'),
    modulesRoot: out.dir,
    modulesRules: h.MODULES_RULES,
    compatibilityDate: config.compatibility_date,
    bindings: { ...config.vars, UPSTREAM: upstream.url, INTROSPECTION_SECRET: h.INTROSPECTION_SECRET },
    cf: false,
    telemetry: { enabled: false },
    handleStructuredLogs: ({ message }) => {
      logs.push(message);
    },
  });
  t.after(() => mf.dispose());
  const fetch = (path, init) => mf.dispatchFetch(`http://gate.test${path}`, init);

  const none = await fetch('/fhir/Patient/123');
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="fhir.example.org"');

  const open = await fetch('/fhir/metadata', { headers: { 'x-auth-sub': 'mallory' } });
  assert.equal(open.status, 200);
  assert.equal(upstream.seen.at(-1).url, '/fhir/metadata');
  assert.equal(upstream.seen.at(-1).headers['x-auth-sub'], undefined);

  // The secret reached the policy through env:INTROSPECTION_SECRET.
  const basic = `Basic ${Buffer.from(`fhir-backend:${h.INTROSPECTION_SECRET}`).toString('base64')}`;
  const ok = await fetch('/introspect', {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'token=an-opaque-token',
  });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { active: false });
  const wrong = await fetch('/introspect', {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('fhir-backend:env:INTROSPECTION_SECRET').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'token=an-opaque-token',
  });
  assert.equal(wrong.status, 401);
});
