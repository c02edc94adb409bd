// The edge worker's test bench: js/worker.js and the built WASM run in workerd through
// Miniflare; a key-set server and an upstream API are real HTTP servers on 127.0.0.1. Nothing
// here leaves loopback (Miniflare's Request.cf object is a local placeholder, telemetry off).

import { before, after } from 'node:test';
import http from 'node:http';
import crypto from 'node:crypto';
// Key pairs not shared with Node's key-generation job (see keyPair there).
import { keyPair } from '../../../www/tools/jws.mjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

process.env.WRANGLER_SEND_METRICS = 'false';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..', '..', '..');
export const WORKER = join(ROOT, 'js', 'worker.js');
export const MODULES_RULES = [
  { type: 'ESModule', include: ['**/*.js'] },
  { type: 'CompiledWasm', include: ['**/*.wasm'] },
];
export const COMPATIBILITY_DATE = '2026-04-01';
export const ISSUER = 'https://as.example';
export const AUDIENCE = 'https://fhir.example';
export const INTROSPECTION_SECRET = 'resource-server-secret-0123456789';

const b64url = (b) => Buffer.from(b).toString('base64url');

/** An ES256 signing key with its public JWK. */
export function signingKey(kid) {
  const { privateKey, publicKey } = keyPair('ec', { namedCurve: 'P-256' });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } };
}

/** A compact ES256 JWT. */
export function sign(key, claims, header = {}) {
  const h = b64url(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: key.kid, ...header }));
  const p = b64url(JSON.stringify(claims));
  const sig = crypto.sign('sha256', Buffer.from(`${h}.${p}`), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${h}.${p}.${b64url(sig)}`;
}

/** SMART access-token claims, valid now for five minutes; `extra` overrides. */
export function claims(extra = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'dr-who',
    client_id: 'growth-chart',
    scope: 'launch openid fhirUser patient/Observation.rs patient/Patient.r',
    patient: 'A',
    encounter: 'enc-7',
    fhirUser: 'Practitioner/p-1',
    jti: crypto.randomUUID(),
    iat: now - 5,
    exp: now + 300,
    ...extra,
  };
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

/** A JWKS server counting its requests; `serve(keys)` changes what it serves (a rotation). */
export async function keyServer(keys, { maxAge = 300 } = {}) {
  let jwks = { keys: keys.map((k) => k.jwk) };
  const state = { requests: 0 };
  const server = http.createServer((req, res) => {
    if (req.url !== '/jwks') {
      res.writeHead(404).end();
      return;
    }
    state.requests += 1;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': `max-age=${maxAge}` });
    res.end(JSON.stringify(jwks));
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/jwks`,
    get requests() {
      return state.requests;
    },
    serve(next) {
      jwks = { keys: next.map((k) => k.jwk) };
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

/** An upstream API that answers with what it received. */
export async function upstreamServer() {
  const seen = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const got = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(got);
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(JSON.stringify(got));
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => server.close(r)) };
}

/** The policy the tests deploy: a SMART FHIR API with an open path and an introspection endpoint. */
export function policy(jwksUri, extra = {}) {
  return {
    algorithms: ['ES256'],
    issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwks_uri: jwksUri }],
    typ: 'at+jwt',
    key_cache: { allow_loopback_http: true, refetch_cooldown: 2, min_max_age: 30 },
    token: { realm: 'fhir' },
    routes: [
      { path_prefix: '/fhir', fhir: true },
      { path_prefix: '/public', open: true },
    ],
    forward: {
      headers: {
        'x-auth-sub': 'sub',
        'x-auth-client-id': 'client_id',
        'x-auth-patient': 'patient',
        'x-auth-scope': 'scope',
        'x-auth-user': 'atna_user',
      },
    },
    introspection: {
      path: '/introspect',
      clients: [{ client_id: 'rs-1', secret: 'env:INTROSPECTION_SECRET' }],
    },
    ...extra,
  };
}

/**
 * js/worker.js in workerd, configured through its bindings like a deployment. `cacheDir` is
 * where the Cache API persists (shared by instances that model isolates of one colo).
 */
export async function startWorker({ policy: p, upstream, cacheDir, bindings = {} }) {
  const logs = [];
  const mf = new Miniflare({
    modules: true,
    scriptPath: WORKER,
    modulesRoot: ROOT,
    modulesRules: MODULES_RULES,
    compatibilityDate: COMPATIBILITY_DATE,
    // A binding given as undefined is left out (a missing secret).
    bindings: Object.fromEntries(
      Object.entries({ AZLENS_POLICY: JSON.stringify(p), UPSTREAM: upstream, INTROSPECTION_SECRET, ...bindings }).filter(
        ([, v]) => v !== undefined,
      ),
    ),
    cachePersist: cacheDir,
    cf: false,
    telemetry: { enabled: false },
    handleStructuredLogs: ({ level, message }) => {
      logs.push({ level, message });
    },
  });
  await mf.ready;
  return {
    fetch: (path, init) => mf.dispatchFetch(`http://gate.test${path}`, init),
    /** The JSON log lines the worker wrote. */
    decisions: () =>
      logs.flatMap(({ message }) => {
        try {
          const v = JSON.parse(message);
          return v && typeof v === 'object' && 'decision' in v ? [v] : [];
        } catch {
          return [];
        }
      }),
    logs,
    dispose: () => mf.dispose(),
  };
}

export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'azlens-worker-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The usual bench for a test file: one signing key behind a key-set server, an upstream API and
 * a worker guarding it with `policy(keys.url)`, started before the file's tests and stopped after
 * them. The returned object's fields are filled in when the `before` hook has run.
 */
export function guardedApi() {
  const api = {};
  before(async () => {
    api.key = signingKey('k1');
    api.keys = await keyServer([api.key]);
    api.upstream = await upstreamServer();
    api.tmp = tempDir();
    api.worker = await startWorker({ policy: policy(api.keys.url), upstream: api.upstream.url, cacheDir: api.tmp.dir });
  });
  after(async () => {
    await api.worker?.dispose();
    await api.keys?.close();
    await api.upstream?.close();
    api.tmp?.remove();
  });
  return api;
}
