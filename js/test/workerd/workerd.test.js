// The same package in workerd (through miniflare): init() with a WebAssembly.Module, inline
// keys, a remote key set fetched with workerd's fetch, key sets kept in the Cache API across
// two separate workerd processes, and decide() on workerd's own Request objects.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { NOW, sign, keyFor, jwkOf, startServer, json } from '../helpers.js';

const jsRoot = fileURLToPath(new URL('../../', import.meta.url));

function worker(extra = {}) {
  return new Miniflare({
    modules: true,
    scriptPath: join(jsRoot, 'test/workerd/worker.js'),
    modulesRoot: jsRoot,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: '2025-01-01',
    ...extra,
  });
}

async function call(mf, body) {
  const res = await mf.dispatchFetch('http://worker.test/', { method: 'POST', body: JSON.stringify(body) });
  return res.json();
}

const key = keyFor('ES256');
const claims = { iss: 'https://as.example', aud: 'https://fhir.example', exp: NOW + 60 };

test('verify in workerd with inline keys, and options errors thrown there too', async (t) => {
  const mf = worker();
  t.after(() => mf.dispose());
  const options = { algorithms: ['ES256'], issuer: claims.iss, audience: claims.aud, keys: jwkOf(key), now: NOW };
  const ok = await call(mf, { token: sign('ES256', key, {}, claims), options });
  assert.match(ok.version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(ok.result.errors, []);
  assert.equal(ok.result.valid, true);
  const expired = await call(mf, { token: sign('ES256', key, {}, claims), options: { ...options, now: NOW + 3600 } });
  assert.deepEqual(expired.result.errors.map((e) => e.code), ['expired']);
  const garbage = await call(mf, { token: 'not a token', options });
  assert.deepEqual(garbage.result.errors.map((e) => e.code), ['malformed']);
  const bad = await call(mf, { token: 'a.b.c', options: { ...options, audiance: 'x' } });
  assert.equal(bad.thrown.name, 'OptionsError');
});

test('remote key sets in workerd, kept in the Cache API across workerd processes', async (t) => {
  const srv = await startServer({ '/jwks': (req, res) => json(res, { keys: [jwkOf(key, { kid: 'k' })] }, { 'cache-control': 'max-age=600' }) });
  const cacheDir = await mkdtemp(join(tmpdir(), 'azlens-workerd-cache-'));
  t.after(async () => {
    await srv.close();
    await rm(cacheDir, { recursive: true, force: true });
  });
  const body = {
    token: sign('ES256', key, { kid: 'k' }, { ...claims, iss: srv.base }),
    options: { algorithms: ['ES256'], issuer: srv.base, jwksUri: srv.url('/jwks'), audience: claims.aud, keyCache: { allowLoopbackHttp: true }, now: NOW },
    store: 'cache',
  };
  for (let isolate = 0; isolate < 2; isolate++) {
    const mf = worker({ cachePersist: cacheDir });
    const r = await call(mf, body);
    await mf.dispose();
    assert.deepEqual(r.result.errors, [], `isolate ${isolate}`);
    assert.deepEqual(r.result.warnings, []);
  }
  // The second workerd process found the key set in the Cache API.
  assert.equal(srv.hits('/jwks'), 1);
});

test('decide() on the incoming workerd Request: routes and scopes', async (t) => {
  const policy = {
    algorithms: ['ES256'], issuer: claims.iss, audience: claims.aud, keys: jwkOf(key),
    routes: [{ pathPrefix: '/api/admin', anyScope: ['admin'] }],
  };
  const mf = worker({ bindings: { POLICY: JSON.stringify(policy), NOW: String(NOW) } });
  t.after(() => mf.dispose());
  const get = (scope) => mf.dispatchFetch('http://worker.test/api/admin/users', {
    headers: scope ? { authorization: `Bearer ${sign('ES256', key, {}, { ...claims, scope })}` } : {},
  });
  const none = await get();
  assert.equal(none.status, 401);
  assert.equal((await none.json()).www_authenticate, 'Bearer realm="azlens"');
  const user = await get('user');
  assert.equal(user.status, 403);
  assert.deepEqual(JSON.parse((await user.json()).body).errors.map((e) => e.code), ['insufficient_scope']);
  const admin = await get('admin');
  assert.equal(admin.status, 200);
  assert.equal((await admin.json()).allow, true);
});
