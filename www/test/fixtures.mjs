// Tokens and keys for the browser tests, made fresh for each run with node:crypto.

import { randomUUID } from 'node:crypto';
import { jwks, rsaKey, signRs256 } from '../tools/jws.mjs';

export const ISSUER = 'https://as.test-hospital.example';
export const AUDIENCE = 'https://fhir.test-hospital.example/r4';

/** One signing key and its JWKS text, shared by a test file. */
export function makeSigner(kid = 'test-key-1') {
  const key = rsaKey({ kid });
  return {
    kid,
    jwksText: JSON.stringify(jwks(key.jwk), null, 2),
    sign: (payload, header = {}) => signRs256(payload, { privateKey: key.privateKey, header: { typ: 'JWT', kid, ...header } }),
  };
}

const seconds = () => Math.floor(Date.now() / 1000);

/** A plain access token, valid for the next four minutes. */
export function accessClaims(extra = {}) {
  const now = seconds();
  return {
    iss: ISSUER,
    sub: 'user-17',
    aud: AUDIENCE,
    iat: now - 60,
    exp: now + 245,
    jti: randomUUID(),
    client_id: 'test-client',
    scope: 'patient/Observation.rs',
    patient: 'p-77',
    ...extra,
  };
}

/** The same, expired three hours ago. */
export function expiredClaims() {
  const now = seconds();
  return accessClaims({ iat: now - 3 * 3600 - 300, exp: now - 3 * 3600 - 30 });
}

/** An IHE IUA Rev 2.x access token's claims with both extensions. */
export function iuaClaims() {
  return accessClaims({
    sub: 'nurse.jo',
    scope: 'patient/DocumentReference.rs',
    extensions: {
      ihe_iua: {
        subject_name: 'Jo Nurse',
        subject_organization: 'Ward 7, Test Hospital',
        subject_organization_id: 'urn:oid:1.2.840.10008.1.7',
        subject_role: [{ system: 'http://snomed.info/sct', code: '224535009', display: 'Registered nurse' }],
        purpose_of_use: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT', display: 'treatment' }],
        home_community_id: 'urn:oid:1.2.840.10008.1.7.1',
        national_provider_identifier: '9876543210',
      },
      ihe_bppc: {
        patient_id: 'p-77^^^&1.2.840.10008.1.7.2&ISO',
        acp: 'urn:oid:1.2.840.10008.1.7.3',
      },
    },
  });
}

/** Change one character in the middle of the signature (keeping it valid base64url). */
export function tamper(token) {
  const dot = token.lastIndexOf('.');
  const i = dot + Math.floor((token.length - dot) / 2);
  const c = token[i] === 'A' ? 'B' : 'A';
  return token.slice(0, i) + c + token.slice(i + 1);
}
