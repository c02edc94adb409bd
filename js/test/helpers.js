// Test-only helpers: real keys and signatures from node:crypto, key formats built from them
// (PEM, self-signed X.509, OpenSSH lines), and real HTTP servers on 127.0.0.1.

import crypto from 'node:crypto';
// Key pairs not shared with Node's key-generation job (see keyPair there).
import { keyPair } from '../../www/tools/jws.mjs';
import http from 'node:http';

export const NOW = 1_800_000_000;

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** A compact JWS from header and payload objects (or raw segment strings). */
export function sign(alg, key, header, payload) {
  const h = typeof header === 'string' ? header : b64url(JSON.stringify({ alg, ...header }));
  const p = typeof payload === 'string' ? payload : b64url(JSON.stringify(payload));
  const input = Buffer.from(`${h}.${p}`);
  return `${h}.${p}.${b64url(signature(alg, key, input))}`;
}

const HASH = { 256: 'sha256', 384: 'sha384', 512: 'sha512' };

export function signature(alg, key, input) {
  const bits = alg.slice(2);
  switch (alg.slice(0, 2)) {
    case 'RS':
      return crypto.sign(HASH[bits], input, key.privateKey);
    case 'PS':
      return crypto.sign(HASH[bits], input, {
        key: key.privateKey,
        padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
        saltLength: Number(bits) / 8,
      });
    case 'ES':
      return crypto.sign(HASH[bits], input, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    case 'Ed':
      return crypto.sign(null, input, key.privateKey);
    case 'HS':
      return crypto.createHmac(HASH[bits], key.secret).update(input).digest();
    default:
      throw new Error(`test helper cannot sign ${alg}`);
  }
}

const CURVE = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** A fresh key for `alg`: { privateKey, publicKey } or { secret }. */
export function keyFor(alg) {
  if (alg.startsWith('HS')) return { secret: crypto.randomBytes(Number(alg.slice(2)) / 8) };
  if (alg.startsWith('RS') || alg.startsWith('PS')) return keyPair('rsa', { modulusLength: 2048 });
  if (alg.startsWith('ES')) return keyPair('ec', { namedCurve: CURVE[alg] });
  if (alg === 'EdDSA') return keyPair('ed25519');
  throw new Error(alg);
}

/** The public JWK of `key`, with extra members (kid, alg, use…). */
export function jwkOf(key, extra = {}) {
  if (key.secret) return { kty: 'oct', k: b64url(key.secret), ...extra };
  return { ...key.publicKey.export({ format: 'jwk' }), ...extra };
}

export function spkiPem(key) {
  return key.publicKey.export({ type: 'spki', format: 'pem' });
}

export function pkcs1Pem(key) {
  return key.publicKey.export({ type: 'pkcs1', format: 'pem' });
}

// --- DER, just enough for a self-signed certificate -------------------------------------------

function der(tag, ...parts) {
  const body = Buffer.concat(parts.map((p) => Buffer.from(p)));
  const len = body.length;
  const head = len < 0x80 ? [len] : len < 0x100 ? [0x81, len] : [0x82, len >> 8, len & 0xff];
  return Buffer.concat([Buffer.from([tag, ...head]), body]);
}
const seq = (...p) => der(0x30, ...p);
const oid = (bytes) => der(0x06, bytes);
const SHA256_WITH_RSA = oid([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]);
const COMMON_NAME = oid([0x55, 0x04, 0x03]);

/** A real self-signed X.509 v3 certificate (DER) for an RSA key. */
export function selfSignedCertificate(key, cn = 'azlens test') {
  const name = seq(der(0x31, seq(COMMON_NAME, der(0x0c, Buffer.from(cn)))));
  const time = (s) => der(0x17, Buffer.from(s));
  const tbs = seq(
    der(0xa0, der(0x02, [2])), // v3
    der(0x02, [0x01, 0x23, 0x45]),
    seq(SHA256_WITH_RSA, der(0x05, [])),
    name,
    seq(time('260101000000Z'), time('360101000000Z')),
    name,
    key.publicKey.export({ type: 'spki', format: 'der' }),
  );
  const sig = crypto.sign('sha256', tbs, key.privateKey);
  return seq(tbs, seq(SHA256_WITH_RSA, der(0x05, [])), der(0x03, Buffer.concat([Buffer.from([0]), sig])));
}

export function certificatePem(derBytes) {
  const lines = derBytes.toString('base64').match(/.{1,64}/g).join('\n');
  return `-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`;
}

// --- OpenSSH public-key lines ----------------------------------------------------------------

const sshString = (b) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, Buffer.from(b)]);
};
const mpint = (b64) => {
  let b = Buffer.from(b64, 'base64url');
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return sshString(b);
};

export function opensshLine(key, comment = 'test@azlens') {
  const jwk = key.publicKey.export({ format: 'jwk' });
  let type;
  let blob;
  if (jwk.kty === 'RSA') {
    type = 'ssh-rsa';
    blob = Buffer.concat([sshString(type), mpint(jwk.e), mpint(jwk.n)]);
  } else if (jwk.kty === 'OKP') {
    type = 'ssh-ed25519';
    blob = Buffer.concat([sshString(type), sshString(Buffer.from(jwk.x, 'base64url'))]);
  } else {
    const curve = { 'P-256': 'nistp256', 'P-384': 'nistp384', 'P-521': 'nistp521' }[jwk.crv];
    type = `ecdsa-sha2-${curve}`;
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
    blob = Buffer.concat([sshString(type), sshString(curve), sshString(point)]);
  }
  return `${type} ${blob.toString('base64')} ${comment}`;
}

// --- loopback HTTP servers -------------------------------------------------------------------

/**
 * A real HTTP server on 127.0.0.1. `routes` maps a path to a handler `(req, res, hit)` where
 * `hit` counts that path's requests so far (1 for the first). Unknown paths get 404.
 * Returns { base, url(path), hits(path), close(), server }.
 */
export async function startServer(routes) {
  const hits = new Map();
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const n = (hits.get(path) ?? 0) + 1;
    hits.set(path, n);
    const handler = routes[path];
    if (!handler) {
      res.writeHead(404).end();
      return;
    }
    Promise.resolve(handler(req, res, n)).catch((e) => {
      res.writeHead(500).end(String(e));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    server,
    url: (path) => base + path,
    hits: (path) => hits.get(path) ?? 0,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Answer with JSON and optional headers. */
export function json(res, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Read a request body as text. */
export async function bodyOf(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString();
}

/** The RFC 7638 SHA-256 thumbprint of a public JWK (test side, written from the RFC). */
export function jwkThumbprint(jwk) {
  const members = { RSA: ['e', 'kty', 'n'], EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'] }[jwk.kty];
  const canonical = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m])}`).join(',')}}`;
  return crypto.createHash('sha256').update(canonical).digest('base64url');
}

/**
 * A DPoP proof (RFC 9449 §4.2) by `key` (an ES256 key pair unless `alg` says otherwise) for
 * `method` and `url`, bound to `token`; `claims` and `header` override what is made.
 */
export function dpopProof(key, { method = 'GET', url, token, jti = crypto.randomUUID(), iat = NOW, alg = 'ES256', claims = {}, header = {} }) {
  const ath = crypto.createHash('sha256').update(token).digest('base64url');
  return sign(alg, key, { typ: 'dpop+jwt', jwk: jwkOf(key), ...header }, { htm: method, htu: url, iat, jti, ath, ...claims });
}
