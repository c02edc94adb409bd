// Every healthcare profile through the JS options (`profile`, `profileOptions`, per-issuer
// `profile`): a token that follows it is valid, one that breaks a rule names the rule.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, verify } from '../index.js';
import { NOW, sign, keyFor, jwkOf } from './helpers.js';

await init();

const key = keyFor('ES256');
const keys = jwkOf(key);
const token = (claims, header = {}) => sign('ES256', key, header, claims);
const FHIR = 'https://fhir.example';
const TOKEN_ENDPOINT = 'https://as.example/token';

const PROFILES = {
  iua: {
    options: { issuer: 'https://as.example', audience: FHIR, profile: 'iua' },
    good: {
      iss: 'https://as.example', sub: 'dr-who', aud: FHIR, exp: NOW + 300, iat: NOW, jti: 'j1', client_id: 'app', scope: 'read',
      extensions: { ihe_iua: { subject_name: 'Dr Who', subject_role: [{ system: 'urn:oid:2.16.840.1.113883.6.96', code: '158965000' }] } },
    },
    bad: (c) => ({ ...c, client_id: undefined }),
    expect: ['missing_claim', /^iua\.required-claims/],
    context: (ctx) => assert.equal(ctx.client_id, 'app'),
  },
  smart: {
    options: { issuer: 'https://as.example', audience: FHIR, profile: 'smart' },
    good: { iss: 'https://as.example', sub: 'u1', aud: FHIR, exp: NOW + 300, iat: NOW, jti: 'j', client_id: 'app', scope: 'launch/patient patient/Observation.rs', patient: 'p1' },
    bad: (c) => ({ ...c, scope: undefined }),
    expect: ['missing_claim', /^smart\./],
    context: (ctx) => assert.equal(ctx.patient, 'p1'),
  },
  'smart-backend': {
    options: { issuers: [{ issuer: 'client-1', profile: 'smart-backend' }], profileOptions: { tokenEndpoint: TOKEN_ENDPOINT } },
    header: { kid: 'client-key-1', typ: 'JWT' },
    good: { iss: 'client-1', sub: 'client-1', aud: TOKEN_ENDPOINT, exp: NOW + 240, iat: NOW, jti: 'a1' },
    bad: (c) => ({ ...c, sub: 'client-2' }),
    expect: ['profile_violation', /^smart-backend\./],
  },
  'cds-hooks': {
    options: { issuer: 'https://ehr.example', audience: 'https://cds.example/cds-services/a', profile: 'cds-hooks' },
    header: { kid: 'ehr-key-1', typ: 'JWT' },
    good: { iss: 'https://ehr.example', aud: 'https://cds.example/cds-services/a', exp: NOW + 240, iat: NOW, jti: 'c1' },
    bad: (c) => ({ ...c, exp: NOW + 3600 }),
    expect: ['profile_violation', /^cds-hooks\./],
  },
  oidc: {
    options: { issuer: 'https://op.example', audience: 'client-1', profile: 'oidc', profileOptions: { nonce: 'n-1' } },
    good: { iss: 'https://op.example', sub: 'u1', aud: 'client-1', exp: NOW + 300, iat: NOW, nonce: 'n-1' },
    bad: (c) => ({ ...c, nonce: 'n-2' }),
    expect: ['profile_violation', /^oidc\.nonce/],
  },
};

for (const [name, p] of Object.entries(PROFILES)) {
  test(`profile ${name}`, async () => {
    const options = { algorithms: ['ES256'], keys, now: NOW, ...p.options };
    const ok = await verify(token(p.good, p.header), options);
    assert.deepEqual(ok.errors, [], name);
    assert.equal(ok.valid, true);
    assert.equal(ok.profile, name);
    p.context?.(ok.context);

    const bad = await verify(token(p.bad(p.good), p.header), options);
    assert.equal(bad.valid, false);
    const [code, message] = p.expect;
    const hit = bad.errors.find((e) => e.code === code);
    assert.ok(hit, `${name}: expected ${code}, got ${JSON.stringify(bad.errors)}`);
    assert.match(hit.message, message);
  });
}

test('a profile name the core does not know is an options error', async () => {
  await assert.rejects(verify('a.b.c', { algorithms: ['ES256'], profile: 'smart-on-fhir' }), { name: 'OptionsError' });
});
