// The tokens and keys every benchmark verifies, made once per `make bench` with node:crypto and
// written to target/bench/fixtures/fixtures.json. The JS, Rust, workerd and Envoy benchmarks all
// read this one file, so every contender checks the very same tokens with the very same keys.
//
// Per algorithm: a fresh key pair (RSA 2048, P-256/384/521, Ed25519, a 256-bit HMAC secret; and
// in `variants`, RSA 3072 for RS256 and PS256), its
// public JWK, and a typical SMART/IUA access token signed with it. For inspect(): a small token
// (the RS256 one) and a large one (several KB of claims: fhirContext, authorization_details,
// IUA extensions, a long scope list). And pool-RS256.txt, pool-ES256.txt: distinct tokens from
// the same keys, for load tests where a verified-token cache must not help.

import { sign, createHmac, randomBytes } from 'node:crypto';
// Key pairs not shared with Node's key-generation job (see keyPair there).
import { keyPair } from '../www/tools/jws.mjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUT } from './lib/measure.mjs';

const ISSUER = 'https://as.bench.test';
const AUDIENCE = 'https://fhir.bench.test';
const iat = Math.floor(Date.now() / 1000);
// Benchmarks verify "at" this instant, so results do not depend on when they run.
const now = iat + 60;

const b64url = (buf) => Buffer.from(buf).toString('base64url');

const ALGS = {
  RS256: { gen: ['rsa', { modulusLength: 2048 }], sign: (data, key) => sign('sha256', data, key) },
  PS256: {
    gen: ['rsa', { modulusLength: 2048 }],
    sign: (data, key) => sign('sha256', data, { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 }),
  },
  ES256: { gen: ['ec', { namedCurve: 'P-256' }], sign: (data, key) => sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }) },
  ES384: { gen: ['ec', { namedCurve: 'P-384' }], sign: (data, key) => sign('sha384', data, { key, dsaEncoding: 'ieee-p1363' }) },
  ES512: { gen: ['ec', { namedCurve: 'P-521' }], sign: (data, key) => sign('sha512', data, { key, dsaEncoding: 'ieee-p1363' }) },
  EdDSA: { gen: ['ed25519', {}], sign: (data, key) => sign(null, data, key) },
  HS256: { secret: 32, sign: (data, key) => createHmac('sha256', key).update(data).digest() },
};

function jwt(header, claims, alg, key) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(ALGS[alg].sign(Buffer.from(input), key))}`;
}

function accessToken(extra = {}) {
  return {
    iss: ISSUER,
    sub: 'Practitioner/dr-who',
    aud: AUDIENCE,
    iat,
    nbf: iat,
    exp: iat + 3600,
    jti: b64url(randomBytes(12)),
    client_id: 'bench-app',
    scope: 'openid fhirUser launch/patient patient/Observation.rs patient/Patient.r',
    patient: 'Patient/123',
    ...extra,
  };
}

// For load tests where no verified-token cache may help: many tokens from the one RS256 (and
// ES256) key, each different (its own jti), one per line.
const POOL = Number(process.env.BENCH_TOKEN_POOL) || 2500;
const POOLED = ['RS256', 'ES256'];
const pools = {};

const algorithms = {};
for (const [alg, how] of Object.entries(ALGS)) {
  const kid = `bench-${alg.toLowerCase()}`;
  let jwk;
  let signingKey;
  if (how.secret) {
    signingKey = randomBytes(how.secret);
    jwk = { kty: 'oct', k: b64url(signingKey) };
  } else {
    const { publicKey, privateKey } = keyPair(...how.gen);
    signingKey = privateKey;
    jwk = publicKey.export({ format: 'jwk' });
  }
  jwk = { ...jwk, kid, alg, use: 'sig' };
  const token = jwt({ alg, typ: 'at+jwt', kid }, accessToken(), alg, signingKey);
  algorithms[alg] = { kid, jwk, jwks: { keys: [jwk] }, token };
  if (POOLED.includes(alg)) {
    pools[alg] = Array.from({ length: POOL }, () => jwt({ alg, typ: 'at+jwt', kid }, accessToken(), alg, signingKey));
  }
}

// RSA at 3072 bits too (NIST SP 800-57's size for use after 2030): the same claims, keys of their own.
// Kept apart from `algorithms` (one entry per JWS algorithm, which every benchmark reads).
const variants = {};
for (const alg of ['RS256', 'PS256']) {
  const label = `${alg}-3072`;
  const kid = `bench-${label.toLowerCase()}`;
  const { publicKey, privateKey } = keyPair('rsa', { modulusLength: 3072 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  const token = jwt({ alg, typ: 'at+jwt', kid }, accessToken(), alg, privateKey);
  variants[label] = { alg, bits: 3072, kid, jwk, jwks: { keys: [jwk] }, token };
}

// A large token, as the heaviest SMART/IUA tokens get: a long scope list, a launch context with
// several resources, RFC 9396 authorization details, and IUA extensions (purpose of use, subject
// role, organisation, consent references).
const scopes = [];
for (const r of ['Patient', 'Observation', 'Condition', 'MedicationRequest', 'Encounter', 'Procedure', 'DiagnosticReport', 'AllergyIntolerance', 'Immunization', 'DocumentReference']) {
  scopes.push(`patient/${r}.rs`, `user/${r}.cruds`);
}
const largeClaims = accessToken({
  scope: `openid fhirUser launch launch/patient offline_access ${scopes.join(' ')}`,
  fhirUser: 'https://fhir.bench.test/Practitioner/dr-who',
  fhirContext: Array.from({ length: 12 }, (_, i) => ({ reference: `DocumentReference/doc-${i}`, role: 'https://example.org/fhir/role/attachment' })),
  authorization_details: Array.from({ length: 8 }, (_, i) => ({
    type: 'https://bench.test/fhir-access',
    locations: [AUDIENCE],
    actions: ['read', 'search'],
    datatypes: ['Observation', 'Condition', 'DiagnosticReport'],
    identifier: `consent-${i}`,
  })),
  extensions: {
    ih_iua: {
      subject_name: 'Dr. Who',
      subject_organization: 'Bench General Hospital',
      subject_organization_id: 'urn:oid:1.2.3.4.5.6.7.8.9',
      home_community_id: 'urn:oid:1.2.3.4.5',
      national_provider_identifier: '1234567893',
      subject_role: [{ system: '2.16.840.1.113883.6.96', code: '309343006', display: 'Physician' }],
      purpose_of_use: [{ system: '2.16.840.1.113883.3.18.7.1', code: 'TREATMENT', display: 'Treatment' }],
      resource_id: 'Patient/123^^^&1.2.3.4.5&ISO',
      person_id: '123^^^&1.2.3.4.5&ISO',
      consent_reference: Array.from({ length: 10 }, (_, i) => `https://fhir.bench.test/Consent/c-${i}`),
    },
  },
  amr: ['pwd', 'otp', 'hwk'],
  acr: 'urn:bench:loa:3',
  groups: Array.from({ length: 40 }, (_, i) => `cn=group-${i},ou=clinical,dc=bench,dc=test`),
});
const rsaKey = keyPair(...ALGS.RS256.gen).privateKey;
const large = jwt({ alg: 'RS256', typ: 'at+jwt', kid: 'bench-large' }, largeClaims, 'RS256', rsaKey);

const fixtures = {
  generated: new Date(iat * 1000).toISOString(),
  now,
  issuer: ISSUER,
  audience: AUDIENCE,
  algorithms,
  variants,
  inspect: { small: algorithms.RS256.token, large },
};

const dir = join(OUT, 'fixtures');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'fixtures.json'), `${JSON.stringify(fixtures, null, 2)}\n`);
for (const [alg, pool] of Object.entries(pools)) writeFileSync(join(dir, `pool-${alg}.txt`), `${pool.join('\n')}\n`);
const sizes = Object.entries({ ...algorithms, ...variants }).map(([a, f]) => `${a} ${f.token.length} B`).join(', ');
console.log(`fixtures: ${sizes}; inspect: small ${fixtures.inspect.small.length} B, large ${large.length} B; ${POOL} distinct tokens each in ${POOLED.map((a) => `pool-${a}.txt`).join(', ')}`);
