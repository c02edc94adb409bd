// Signing helpers for the demo token and the browser tests' fixtures, with node:crypto only.
// The page itself never signs anything: this is test and demo tooling (not served). The JS
// package's and the edge worker's tests take their key pairs from here too.

import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';

/** base64url without padding. */
export function b64url(data) {
  return Buffer.from(data).toString('base64url');
}

/**
 * A new key pair as KeyObjects of their own. Node 20 can deadlock when the garbage collector
 * frees the key-generation job while a key it made is being exported (the job's destructor
 * waits on the key's mutex, held by export({ format: 'jwk' })): seen as a test file that never
 * ends. Taking the pair as PEM and importing it again leaves no key shared with the job.
 */
export function keyPair(type, options = {}) {
  const pem = generateKeyPairSync(type, {
    ...options,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKey: createPublicKey(pem.publicKey), privateKey: createPrivateKey(pem.privateKey) };
}

/** A fresh RSA key pair (2048 bits unless told) with its public JWK carrying `kid`, `use`, `alg`. */
export function rsaKey({ kid, bits = 2048, alg = 'RS256' } = {}) {
  const { privateKey, publicKey } = keyPair('rsa', { modulusLength: bits });
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
