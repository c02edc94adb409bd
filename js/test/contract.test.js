// The JS contract: init is idempotent and takes a module; verify never throws on untrusted input
// and throws only on bad options; options are the policy's vocabulary in camelCase.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { init, verify, createVerifier, version, OptionsError } from '../index.js';
import { policyFrom } from '../options.js';
import { NOW, sign, keyFor, jwkOf } from './helpers.js';

const wasmUrl = new URL('../pkg/azlens_bg.wasm', import.meta.url);

test('init is idempotent and the module keeps its target_features section', async () => {
  const first = init();
  assert.equal(init(), first);
  await first;
  await init();
  assert.match(version(), /^\d+\.\d+\.\d+/);
  const module = new WebAssembly.Module(await readFile(wasmUrl));
  assert.equal(WebAssembly.Module.customSections(module, 'target_features').length, 1);
  // A compiled WebAssembly.Module (what workerd hands a worker) is accepted too.
  await init(module);
});

const key = keyFor('ES256');
const opts = { keys: jwkOf(key), algorithms: ['ES256'], issuer: 'https://as.example', audience: 'aud', now: NOW };
const b64 = (s) => Buffer.from(s).toString('base64url');

const GARBAGE = [
  undefined, null, 42, {}, [], '', ' ', '.', '..', '...', 'a.b.c', 'a.b.c.d', 'a.b.c.d.e', 'a.b.c.d.e.f',
  '\u0000.\u0000.\u0000', '\ud800.\udfff.x', 'é.ü.ß', 'x'.repeat(1 << 20), '.'.repeat(10_000),
  `${b64('{"alg":"ES256"}')}.${b64('[]')}.`, `${b64('{"alg":"ES256","alg":"none"}')}.${b64('{}')}.`,
  `${b64('{"alg":"ES256"}')}.${b64('['.repeat(5000))}.AA`, `${b64('{"alg":"ES256"}')}.${b64('{"exp":1e999}')}.AA`,
  `${b64('{"alg":"ES256","kid":' + '"k"'.padEnd(100_000, ' ') + '}')}.${b64('{}')}.AA`,
  `${b64('{"alg":"ES256","crit":["b64"],"b64":false}')}.${b64('{}')}.AA`,
  `${b64('{"alg":"ES256"}')}.${b64('{"iss":"https://as.example"}')}.${'A'.repeat(200)}`,
  `${b64('{"alg":"ES256"}')}.${b64('{}')}.!!!`,
];

test('verify never throws on untrusted input, and says why a token fails', async () => {
  for (const token of GARBAGE) {
    const r = await verify(token, opts);
    assert.equal(r.valid, false, String(token).slice(0, 40));
    assert.ok(r.errors.length > 0);
    for (const e of r.errors) assert.match(e.code, /^[a-z_]+$/);
  }
  // Random bytes shaped like tokens.
  for (let i = 0; i < 200; i++) {
    const seg = () => Buffer.from(crypto.getRandomValues(new Uint8Array(i % 40))).toString('base64url');
    const r = await verify(`${seg()}.${seg()}.${seg()}`, opts);
    assert.equal(r.valid, false);
  }
  // The module still works after all that.
  const r = await verify(sign('ES256', key, {}, { iss: 'https://as.example', aud: 'aud', exp: NOW + 9 }), opts);
  assert.deepEqual(r.errors, []);
});

test('bad options throw OptionsError with the core\'s reason', async () => {
  const BAD = [
    [undefined, /options must be an object/],
    [null, /options must be an object/],
    [{}, /algorithms/],
    [{ algorithms: [] }, /algorithms/],
    [{ algorithms: ['none'] }, /none|unknown/i],
    [{ algorithms: ['RS256'], audiance: 'x' }, /audiance/],
    [{ algorithms: ['RS256'], leeway: 86400 }, /leeway/],
    [{ algorithms: ['RS256'], keyCache: { defaultMaxAge: 'soon' } }, /defaultMaxAge|invalid type/],
    [{ algorithms: ['RS256'], keyCache: { maxAgeCap: 1 } }, /maxAgeCap/],
    [{ algorithms: ['RS256'], jwksUri: 'https://as.example/jwks' }, /needs the `issuer`/],
    [{ algorithms: ['RS256'], issuer: ['https://a', 'https://b'], jwksUri: 'https://a/jwks' }, /one issuer/],
    [{ algorithms: ['RS256'], issuer: 'https://a', issuers: [] }, /either/],
    [{ algorithms: ['RS256'], now: 'yesterday' }, /`now`/],
    [{ algorithms: ['RS256'], now: Number.NaN }, /`now`/],
    [{ algorithms: ['RS256'], keyStore: {} }, /keyStore/],
  ];
  for (const [o, message] of BAD) {
    await assert.rejects(verify('a.b.c', o), (e) => e instanceof OptionsError && message.test(e.message), JSON.stringify(o));
  }
  assert.throws(() => createVerifier({ algorithms: ['HS256'], typo: 1 }), OptionsError);
  const v = createVerifier({ algorithms: ['ES256'] });
  await assert.rejects(v.verify('a.b.c', { now: Infinity }), OptionsError);
});

test('options map to the policy document in snake_case, data kept as written', () => {
  const policy = policyFrom({
    algorithms: ['RS256'],
    issuer: 'https://as.example',
    jwksUri: 'https://as.example/jwks',
    jku: ['https://as.example/jku'],
    discovery: true,
    requiredClaims: ['jti'],
    maxTokenAge: 60,
    keyCache: { defaultMaxAge: 10, allowLoopbackHttp: true },
    limits: { maxTokenBytes: 100 },
    keys: { keys: [{ kty: 'oct', k: 'AA', key_ops: ['verify'] }] },
    forward: { headers: { 'X-User': 'sub' } },
    now: 5,
    keyStore: {},
  });
  assert.deepEqual(policy, {
    algorithms: ['RS256'],
    required_claims: ['jti'],
    max_token_age: 60,
    key_cache: { default_max_age: 10, allow_loopback_http: true },
    limits: { max_token_bytes: 100 },
    keys: { keys: [{ kty: 'oct', k: 'AA', key_ops: ['verify'] }] },
    forward: { headers: { 'X-User': 'sub' } },
    issuers: [{ issuer: 'https://as.example', jwks_uri: 'https://as.example/jwks', jku: ['https://as.example/jku'], discovery: true }],
  });
});

test('verify with the same options reuses one verifier; `now` is per call', async () => {
  const token = sign('ES256', key, {}, { iss: 'https://as.example', aud: 'aud', exp: NOW + 60 });
  const early = await verify(token, { ...opts, now: NOW });
  const late = await verify(token, { ...opts, now: NOW + 3600 });
  assert.equal(early.valid, true);
  assert.deepEqual(late.errors.map((e) => e.code), ['expired']);
});
