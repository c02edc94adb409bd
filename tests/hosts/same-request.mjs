// The same-request table (same-request.json) for the Node runners: js/test/same-request.test.js
// (decide()) and tests/hosts/worker/same-request.test.mjs (workerd). Signs each case's token,
// serves the table's key sets on 127.0.0.1, and reads an answer the way every runner compares it.

import crypto from 'node:crypto';
import http from 'node:http';
import { readFileSync } from 'node:fs';

export const TABLE = JSON.parse(readFileSync(new URL('./same-request.json', import.meta.url), 'utf8'));
const CLIENT = TABLE.policy.introspection.clients[0];
export const BASIC = `Basic ${Buffer.from(`${CLIENT.client_id}:${CLIENT.secret}`).toString('base64')}`;

function key(kid) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } };
}

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** The table's keys: k1 and k2 (served), `stranger` (another key under kid k1), k9 (never served). */
export function tableKeys() {
  return { k1: key('k1'), k2: key('k2'), stranger: key('k1'), k9: key('k9') };
}

/** A key server at /jwks serving the kids `serve(kids)` last named (k1 at first). */
export async function keyServer(keys) {
  let served = ['k1'];
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'max-age=300' });
    res.end(JSON.stringify({ keys: served.map((k) => keys[k].jwk) }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/jwks`;
  return {
    url,
    serve: (kids) => { served = kids; },
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}

/** The table's policy with the key server's URL. */
export function policyFor(jwksUrl) {
  return JSON.parse(JSON.stringify(TABLE.policy).replaceAll('$JWKS', jwksUrl));
}

function token(spec, keys) {
  const now = Math.floor(Date.now() / 1000);
  const k = keys[spec.key];
  const claims = {
    iss: 'https://as.test', aud: 'https://fhir.test', sub: 'dr-who', client_id: 'app',
    scope: TABLE.scope, patient: 'A', iat: now - 5, exp: now + 600, jti: crypto.randomUUID(),
  };
  for (const [name, value] of Object.entries(spec.claims ?? {})) {
    claims[name] = name === 'iat' ? now + value : value;
  }
  if (spec.exp_in !== undefined) claims.exp = now + spec.exp_in;
  if (spec.cnf_jkt) claims.cnf = { jkt: spec.cnf_jkt };
  const input = `${b64url({ alg: 'ES256', typ: 'at+jwt', kid: k.kid })}.${b64url(claims)}`;
  const sig = crypto.sign('sha256', Buffer.from(input), { key: k.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

/** A case's request `{ method, path, headers, body? }`, its token signed now. */
export function requestOf(c, keys) {
  const t = c.token ? token(c.token, keys) : '';
  const fill = (s) => s.replaceAll('$TOKEN', t).replaceAll('$BASIC', BASIC);
  const headers = Object.fromEntries(Object.entries(c.request.headers ?? {}).map(([k, v]) => [k, fill(v)]));
  const out = { method: c.request.method, path: fill(c.request.path), headers };
  if (c.request.body !== undefined) out.body = fill(c.request.body);
  return out;
}

/**
 * What the runners compare: the status, the `error` of a JSON body and the codes of its
 * `errors`, and `active` when expected.
 */
export function seen(c, status, bodyText) {
  let body = null;
  try {
    body = JSON.parse(bodyText);
  } catch {
    body = null;
  }
  const got = { status, error: typeof body?.error === 'string' ? body.error : null };
  got.codes = Array.isArray(body?.errors) ? body.errors.map((e) => e.code) : [];
  if ('active' in c.expect) got.active = body?.active ?? null;
  return got;
}
