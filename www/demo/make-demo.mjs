// Make the inspector's example: a SMART on FHIR access token with IHE IUA extensions, signed
// with a fresh demo RSA key, and the key set that verifies it. Writes www/demo/token.txt and
// www/demo/jwks.json (both committed; the private key is thrown away).
//
//   node www/demo/make-demo.mjs
//
// The token is realistic, so it lives five minutes. The page therefore checks the example as of
// its `iat` (the "now" field is filled in and says so) instead of pretending it never expires.

import { writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { jwks, rsaKey, signRs256 } from '../tools/jws.mjs';

const dir = new URL('./', import.meta.url);
const issuer = 'https://auth.demo-hospital.example/realms/clinical';
const fhir = 'https://fhir.demo-hospital.example/r4';
const kid = 'demo-2026-11';
const iat = Date.UTC(2026, 10, 2, 9, 30, 0) / 1000; // 2026-11-02 09:30:00 UTC

const key = rsaKey({ kid });
const payload = {
  iss: issuer,
  sub: 'alice.meyer',
  aud: fhir,
  iat,
  nbf: iat,
  exp: iat + 300,
  jti: randomUUID(),
  client_id: 'demo-ehr-viewer',
  scope: 'launch/patient openid fhirUser patient/Patient.rs patient/Observation.rs patient/MedicationRequest.r user/Practitioner.r',
  patient: 'pat-1842',
  fhirUser: `${fhir}/Practitioner/prac-42`,
  extensions: {
    ihe_iua: {
      subject_name: 'Dr. Alice Meyer',
      subject_organization: 'Demo Hospital, Cardiology',
      subject_organization_id: 'urn:oid:1.3.6.1.4.1.21367.100.1',
      subject_role: [{ system: 'http://snomed.info/sct', code: '309343006', display: 'Physician' }],
      purpose_of_use: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT', display: 'treatment' }],
      home_community_id: 'urn:oid:1.3.6.1.4.1.21367.100',
      national_provider_identifier: '1234567893',
    },
    ihe_bppc: {
      patient_id: 'pat-1842^^^&1.3.6.1.4.1.21367.100.2&ISO',
      acp: 'urn:oid:1.3.6.1.4.1.21367.100.3.1',
      doc_id: 'urn:uuid:6b5e4a1c-3f0d-4d7e-9a52-0c8e1f2b7d94',
    },
  },
};

const token = signRs256(payload, { privateKey: key.privateKey, header: { typ: 'at+jwt', kid } });
writeFileSync(new URL('token.txt', dir), `${token}\n`);
writeFileSync(new URL('jwks.json', dir), `${JSON.stringify(jwks(key.jwk), null, 2)}\n`);
console.log(`wrote www/demo/token.txt (${token.length} characters) and www/demo/jwks.json (kid ${kid})`);
