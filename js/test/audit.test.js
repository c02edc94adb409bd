// Healthcare rules past scopes (IUA purpose of use, role, consent, break-the-glass) through
// decide(), and the IHE BALP AuditEvent it returns for every decision, validated against the
// FHIR R4 AuditEvent structure by @medplum/core (tests/hosts/fhir).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, decide } from '../index.js';
import { NOW, sign, keyFor, jwkOf } from './helpers.js';
import { validateFhir } from '../../tests/hosts/fhir/validate.mjs';

await init();

const key = keyFor('ES256');
const ISS = 'https://sts.example';
const AUD = 'https://fhir.example';
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const DOCTOR = '158965000';

const token = ({ purpose = 'TREAT', role = DOCTOR, patient = '123' } = {}) =>
  sign('ES256', key, { typ: 'JWT' }, {
    iss: ISS, aud: AUD, sub: 'dr-who', exp: NOW + 60, iat: NOW - 5, jti: 'jti-1',
    client_id: 'ward-app', scope: 'user/*.rs',
    extensions: {
      ihe_iua: {
        subject_name: 'Dr Who', subject_organization_id: 'urn:oid:1.2.3',
        subject_role: [{ system: 'http://snomed.info/sct', code: role }],
        purpose_of_use: [{ system: ACT_REASON, code: purpose }],
      },
      ihe_bppc: { patient_id: patient, doc_id: 'urn:uuid:consent-1' },
    },
  });

const iua = (breakGlass) => ({
  purposeOfUse: [{ system: ACT_REASON, code: 'TREAT' }],
  subjectRole: [{ code: DOCTOR }],
  organization: 'urn:oid:1.2.3',
  consent: 'patient',
  breakGlass: breakGlass,
});
const options = {
  algorithms: ['ES256'], issuer: ISS, audience: AUD, keys: jwkOf(key), now: NOW, profile: 'iua',
  routes: [
    { pathPrefix: '/fhir', fhir: true, iua: iua(true) },
    { pathPrefix: '/strict', fhir: true, iua: iua(false) },
  ],
  forward: { headers: { 'x-break-glass': 'break_glass', 'x-audit-user': 'atna_user' } },
  audit: { source: 'gateway.example' },
};
const get = (path, t) => decide({ method: 'GET', path, headers: { authorization: `Bearer ${t}` } }, options);

function valid(ev) {
  assert.deepEqual(validateFhir(ev), [], JSON.stringify(ev, null, 1));
  assert.equal(ev.resourceType, 'AuditEvent');
  assert.equal(ev.recorded, new Date(NOW * 1000).toISOString().replace('.000Z', 'Z'));
  assert.equal(ev.source.observer.display, 'gateway.example');
}

test('an allowed read of the consented patient: a BALP PatientQuery with the user and purpose', async () => {
  const d = await get('/fhir/Observation?patient=123', token());
  assert.equal(d.allow, true, d.log.reason);
  assert.equal(d.break_glass, undefined);
  valid(d.audit_event);
  const ev = d.audit_event;
  assert.deepEqual(ev.meta.profile, ['https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientQuery']);
  assert.equal(ev.outcome, '0');
  const user = ev.agent.find((a) => a.requestor);
  assert.equal(user.who.identifier.value, `${AUD}<dr-who@${ISS}>`);
  assert.equal(user.purposeOfUse[0].coding[0].code, 'TREAT');
  assert.ok(ev.agent.some((a) => a.who.identifier?.value === 'ward-app'));
  assert.equal(ev.entity[0].what.reference, 'Patient/123');
  assert.equal(Buffer.from(ev.entity[1].query, 'base64').toString(), '/fhir/Observation?patient=123');
});

test('each IUA rule refuses with its name, 401 as IUA says, and the refusal is audited', async () => {
  for (const [t, path, rule] of [
    [token({ purpose: 'HPAYMT' }), '/fhir/Observation?patient=123', 'iua.purpose-of-use'],
    [token({ role: '309343006' }), '/fhir/Observation?patient=123', 'iua.subject-role'],
    [token({ patient: '123' }), '/fhir/Observation?patient=456', 'iua.consent-patient'],
    [token(), '/fhir/Observation', 'iua.consent-patient'],
  ]) {
    const d = await get(path, t);
    assert.equal(d.status, 401, path);
    assert.equal(d.log.rule, rule);
    assert.equal(JSON.parse(d.body).rule, rule);
    valid(d.audit_event);
    assert.equal(d.audit_event.outcome, '4');
    assert.match(d.audit_event.outcomeDesc, new RegExp(rule.replace('.', '\\.')));
    assert.equal(d.audit_event.meta, undefined, 'a refusal claims no BALP success profile');
  }
});

test('break-the-glass: allowed and flagged where the route allows it, refused elsewhere', async () => {
  const d = await get('/fhir/Observation?patient=456', token({ purpose: 'ETREAT' }));
  assert.equal(d.allow, true, d.log.reason);
  assert.equal(d.break_glass, true);
  assert.deepEqual(d.set_headers.find(([h]) => h === 'x-break-glass'), ['x-break-glass', 'true']);
  valid(d.audit_event);
  assert.match(d.audit_event.outcomeDesc, /break-the-glass/);
  assert.equal(d.audit_event.purposeOfEvent[0].coding[0].code, 'ETREAT');

  const refused = await get('/strict/Observation?patient=456', token({ purpose: 'ETREAT' }));
  assert.equal(refused.status, 401);
  assert.equal(refused.log.rule, 'iua.break-glass-not-allowed');
  valid(refused.audit_event);
});

test('a request without a token is audited too, with no user agent', async () => {
  const d = await decide({ method: 'DELETE', path: '/fhir/Observation/1' }, options);
  assert.equal(d.status, 401);
  valid(d.audit_event);
  assert.equal(d.audit_event.action, 'D');
  assert.ok(!d.audit_event.agent.some((a) => a.requestor && a.purposeOfUse));
});
