// Signing helpers for the demo token and the browser tests' fixtures, with node:crypto only.
// The page itself never signs anything: this is test and demo tooling (not served).

import { generateKeyPairSync, sign } from 'node:crypto';

/** base64url without padding. */
export function b64url(data) {
  return Buffer.from(data).toString('base64url');
}

/** A fresh RSA key pair (2048 bits unless told) with its public JWK carrying `kid`, `use`, `alg`. */
export function rsaKey({ kid, bits = 2048, alg = 'RS256' } = {}) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg };
  return { privateKey, publicKey, jwk };
}

/** A compact RS256 JWS over `payload` (an object, serialised as given) with `header`. */
export function signRs256(payload, { privateKey, header }) {
  const h = b64url(JSON.stringify({ alg: 'RS256', ...header }));
  const p = b64url(JSON.stringify(payload));
  const input = `${h}.${p}`;
  const signature = sign('sha256', Buffer.from(input), privateKey);
  return `${input}.${b64url(signature)}`;
}

/** The key set document for public JWKs. */
export function jwks(...jwkList) {
  return { keys: jwkList };
}
