// The RFC 7662 introspection client against a real introspection endpoint on 127.0.0.1.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { introspect, MemoryStore, OptionsError } from '../index.js';
import { startServer, json, sleep, bodyOf } from './helpers.js';

const CLIENT_ID = 'fhir gateway:1';
const SECRET = 'p@ss w/rd+=';
const now = () => Math.floor(Date.now() / 1000);

/** An introspection endpoint that knows a few opaque tokens and checks client credentials. */
async function authorizationServer() {
  const seen = [];
  const tokens = {
    'opaque-good': () => ({ active: true, scope: 'patient/*.rs', client_id: 'app', sub: 'u1', exp: now() + 3600 }),
    // between 1 and 2 s of life left, whatever the sub-second clock
    'opaque-short': () => ({ active: true, sub: 'u2', exp: Math.ceil(Date.now() / 1000) + 1 }),
    'opaque-noexp': () => ({ active: true, sub: 'u3' }),
  };
  const expectedBasic = 'Basic ' + Buffer.from(
    `${encodeURIComponent(CLIENT_ID).replace(/%20/g, '+')}:${encodeURIComponent(SECRET).replace(/%20/g, '+')}`,
  ).toString('base64');
  const srv = await startServer({
    '/introspect': async (req, res) => {
      const form = new URLSearchParams(await bodyOf(req));
      seen.push({ form, headers: req.headers });
      const basicOk = req.headers.authorization === expectedBasic;
      const postOk = form.get('client_id') === CLIENT_ID && form.get('client_secret') === SECRET;
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-www-form-urlencoded' || !(basicOk || postOk)) {
        res.writeHead(401, { 'www-authenticate': 'Basic' }).end();
        return;
      }
      json(res, (tokens[form.get('token')] ?? (() => ({ active: false })))());
    },
    '/not-json': (req, res) => json(res, 'hello'),
    '/not-7662': (req, res) => json(res, { valid: true }),
    '/hang': () => new Promise(() => {}),
  });
  return { srv, seen };
}

const options = (srv, extra = {}) => ({
  endpoint: srv.url('/introspect'), clientId: CLIENT_ID, clientSecret: SECRET,
  allowLoopbackHttp: true, store: new MemoryStore(), ...extra,
});

test('an active token, with client_secret_basic; the answer is cached', async (t) => {
  const { srv, seen } = await authorizationServer();
  t.after(srv.close);
  const o = options(srv, { tokenTypeHint: 'access_token' });
  const r = await introspect('opaque-good', o);
  assert.deepEqual(r.errors, []);
  assert.equal(r.active, true);
  assert.equal(r.cached, false);
  assert.equal(r.response.scope, 'patient/*.rs');
  assert.equal(seen[0].form.get('token_type_hint'), 'access_token');
  assert.equal(seen[0].form.get('client_secret'), null); // the secret travels in the header only
  const again = await introspect('opaque-good', o);
  assert.equal(again.active, true);
  assert.equal(again.cached, true);
  assert.equal(srv.hits('/introspect'), 1);
});

test('client_secret_post sends the credentials in the form', async (t) => {
  const { srv, seen } = await authorizationServer();
  t.after(srv.close);
  const r = await introspect('opaque-good', options(srv, { clientAuth: 'client_secret_post' }));
  assert.equal(r.active, true);
  assert.equal(seen[0].headers.authorization, undefined);
});

test('an answer is cached no longer than its exp, nor than cacheSeconds', async (t) => {
  const { srv } = await authorizationServer();
  t.after(srv.close);
  const o = options(srv);
  assert.equal((await introspect('opaque-short', o)).active, true);
  assert.equal((await introspect('opaque-short', o)).cached, true);
  const capped = options(srv, { cacheSeconds: 1 });
  assert.equal((await introspect('opaque-noexp', capped)).active, true);
  assert.equal((await introspect('opaque-noexp', capped)).cached, true);
  await sleep(2100);
  assert.equal((await introspect('opaque-short', o)).cached, false);
  assert.equal((await introspect('opaque-noexp', capped)).cached, false);
  assert.equal(srv.hits('/introspect'), 4);
});

test('inactive answers are not cached; cacheSeconds 0 disables the cache', async (t) => {
  const { srv } = await authorizationServer();
  t.after(srv.close);
  const o = options(srv);
  for (let i = 0; i < 2; i++) {
    const r = await introspect('revoked', o);
    assert.deepEqual(r, { active: false, response: { active: false }, cached: false, errors: [] });
  }
  const off = options(srv, { cacheSeconds: 0 });
  await introspect('opaque-good', off);
  await introspect('opaque-good', off);
  assert.equal(srv.hits('/introspect'), 4);
});

test('failures are results with a code, never exceptions', async (t) => {
  const { srv } = await authorizationServer();
  t.after(srv.close);
  const cases = [
    [options(srv, { clientSecret: 'wrong' }), /HTTP 401/],
    [options(srv, { endpoint: srv.url('/not-json') }), /did not answer with JSON/],
    [options(srv, { endpoint: srv.url('/not-7662') }), /RFC 7662/],
    [options(srv, { endpoint: srv.url('/hang'), timeoutMs: 200 }), /within 200 ms/],
  ];
  for (const [o, message] of cases) {
    const r = await introspect('opaque-good', o);
    assert.equal(r.active, false);
    assert.equal(r.errors[0].code, 'introspection_failed');
    assert.match(r.errors[0].message, message);
  }
  for (const token of [undefined, '', 42]) {
    const r = await introspect(token, options(srv));
    assert.equal(r.errors[0].code, 'introspection_failed');
  }
});

test('bad options throw', async () => {
  const BAD = [
    undefined,
    {},
    { endpoint: 'http://127.0.0.1:1/introspect' }, // plain http without allowLoopbackHttp
    { endpoint: 'http://example.com/introspect', allowLoopbackHttp: true },
    { endpoint: 'https://as.example/introspect', clientAuth: 'private_key_jwt', clientId: 'a', clientSecret: 'b' },
    { endpoint: 'https://as.example/introspect', clientAuth: 'client_secret_basic', clientId: 'a' },
    { endpoint: 'https://as.example/introspect', timeoutMs: -1 },
    { endpoint: 'https://as.example/introspect', store: {} },
  ];
  for (const o of BAD) await assert.rejects(introspect('t', o), OptionsError, JSON.stringify(o));
});
