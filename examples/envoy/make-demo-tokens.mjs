// Make the Envoy example's demo tokens with a fresh P-256 key, and put the key's public half in
// envoy.yaml's key-set listener. The private key is thrown away, so run this only to change the
// tokens (all are rewritten together):
//
//   node examples/envoy/make-demo-tokens.mjs
//
// The tokens expire in 2100 (except the one meant to be expired), so the example keeps working.

import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const dir = new URL('./', import.meta.url);
const kid = 'demo-2026';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = publicKey.export({ format: 'jwk' });
const b64 = (s) => Buffer.from(s).toString('base64url');

function token(claims) {
  const header = b64(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid }));
  const payload = b64(JSON.stringify(claims));
  const sig = sign('sha256', Buffer.from(`${header}.${payload}`), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${header}.${payload}.${b64(sig)}`;
}

const base = {
  iss: 'https://demo-as.azlens.test',
  aud: 'https://demo-api.azlens.test',
  sub: 'demo-user',
  client_id: 'demo-app',
  iat: 1795000000,
  exp: 4102444800,
};
const tokens = {
  // /api 200, /admin 403
  'demo-token.jwt': { ...base, scope: 'openid profile' },
  // /admin 200
  'demo-admin-token.jwt': { ...base, scope: 'openid admin' },
  // FHIR: GET /fhir/Observation?patient=123 200; GET /fhir/Observation?patient=456 403
  'demo-fhir-token.jwt': { ...base, scope: 'launch/patient patient/Observation.rs patient/Patient.r', patient: '123' },
  // 401 on every protected path: expired on 2026-11-18
  'demo-expired-token.jwt': { ...base, scope: 'launch/patient patient/Observation.rs', patient: '123', exp: 1795000300 },
};
for (const [file, claims] of Object.entries(tokens)) writeFileSync(new URL(file, dir), `${token(claims)}\n`);

const yaml = new URL('envoy.yaml', dir);
const keySet = JSON.stringify({ keys: [{ kty: 'EC', kid, alg: 'ES256', use: 'sig', crv: 'P-256', x: jwk.x, y: jwk.y }] }).replaceAll('":', '": ').replaceAll(',"', ', "');
const text = readFileSync(yaml, 'utf8').replace(/inline_string: '\{"keys": .*\}'/, `inline_string: '${keySet}'`);
if (!text.includes(jwk.x)) throw new Error('envoy.yaml: the key-set line was not found');
writeFileSync(yaml, text);
console.log(`wrote ${Object.keys(tokens).join(', ')} and the key set in envoy.yaml (kid ${kid})`);
