// The request tester and auto-detection in Debian's Chromium: "would this token be allowed to
// GET /fhir/Observation?patient=…?" answered by the gate (the JS shim's decide()), at desktop and
// phone sizes; and an OpenID Connect ID token from a SMART server judged by OIDC's rules.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSession, openPage, loadInspector, verdictState, screenshot, assertClean } from './browser.mjs';
import { makeSigner, accessClaims, ISSUER } from './fixtures.mjs';

let session;
const signer = makeSigner();

before(async () => {
  session = await startSession();
});

after(() => session?.close());

/** Wait until the decision box says `state` (allowed / refused / …) and return its text. */
async function decision(page, state) {
  await page.waitForFunction(
    (s) => {
      const v = document.querySelector('#verdict');
      return !v.hasAttribute('aria-busy') && document.querySelector('#request-result').dataset.state === s;
    },
    state,
    { timeout: 10_000 },
  );
  return page.locator('#request-result').innerText();
}

for (const [name, viewport] of [
  ['desktop', { width: 1280, height: 900 }],
  ['phone', { width: 390, height: 844 }],
]) {
  test(`the request tester answers with the gate's decision (${name})`, async () => {
    const { page, watch, context } = await openPage(session, { viewport });
    await loadInspector(session, page);
    await verdictState(page, 'valid');
    // The example's patient is offered as a FHIR search in its compartment: allowed.
    assert.equal(await page.locator('#req-path').inputValue(), '/fhir/Observation?patient=pat-1842');
    let text = await decision(page, 'allowed');
    assert.match(text, /^Allowed \(200\)/);
    assert.match(text, /Route\s+\/fhir \(FHIR/);
    // What the guard read, what granted it, and what goes upstream.
    assert.match(text, /FHIR interaction\s+search-type/);
    assert.match(text, /Granted by\s+patient\/Observation/);
    assert.match(text, /Forwarded as\s+\/fhir\/Observation\?patient=pat-1842/);
    await page.locator('#request-section').scrollIntoViewIfNeeded();
    await screenshot(page, `request-allowed-${name}`, { fullPage: false });

    // A resource type no scope names: refused with the scope that would grant it. The example
    // (SMART scopes with IUA extensions) is read as IHE IUA first in auto-detect, and an IUA
    // resource server answers 401 where RFC 6750 says 403 (ITI-72 3.72.4.3) …
    await page.locator('#req-path').fill('/fhir/Condition?patient=pat-1842');
    text = await decision(page, 'refused');
    assert.match(text, /^Refused: 401 insufficient_scope/);
    // … under SMART's rules the same refusal is RFC 6750's 403.
    await page.locator('#profile').selectOption('smart');
    await page.waitForFunction(() => /^Refused: 403/.test(document.querySelector('#request-result').innerText), null, { timeout: 10_000 });
    text = await decision(page, 'refused');
    assert.match(text, /^Refused: 403 insufficient_scope/);
    assert.match(text, /Condition/);
    assert.match(text, /scope="patient\/Condition\.rs"|patient\/Condition\.(r|s|rs)/);
    await screenshot(page, `request-refused-${name}`, { fullPage: false });

    // A path that reaches FHIR through an open-looking detour is read in its canonical form.
    await page.locator('#req-path').fill('/fhir//Observation?patient=pat-1842');
    text = await decision(page, 'refused');
    assert.match(text, /^Refused: 400 invalid_request/);
    assert.match(text, /Rule\s+path\.empty-segment/);

    // Another patient's data: 403 too.
    await page.locator('#req-path').fill('https://fhir.demo-hospital.example/fhir/Observation?patient=someone-else');
    text = await decision(page, 'refused');
    assert.match(text, /^Refused: 403/);

    // Without keys the gate cannot check the signature: 401, and the page says what to do.
    await page.locator('#req-path').fill('/fhir/Observation?patient=pat-1842');
    await page.locator('#keys').fill('');
    text = await decision(page, 'refused');
    assert.match(text, /^Refused: 401 invalid_token/);
    assert.match(text, /paste the issuer's key set/);

    // A path that is not one.
    await page.locator('#req-path').fill('fhir/Patient');
    text = await decision(page, 'problem');
    assert.match(text, /from its first "\/"/);
    assertClean(assert, watch);
    await context.close();
  });
}

test('IUA route rules: which ones the example token meets, and the AuditEvent of the decision', async () => {
  const { page, watch, context } = await openPage(session);
  await loadInspector(session, page);
  await verdictState(page, 'valid');
  await page.locator('#request-section .request-more summary').click();
  // The example is a physician (309343006) treating (TREAT) with consent for pat-1842.
  const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
  await page.locator('#req-iua').fill(JSON.stringify({
    purpose_of_use: [{ system: ACT, code: 'TREAT' }],
    subject_role: [{ code: '158965000' }],
    consent: 'patient',
  }));
  let text = await decision(page, 'refused');
  assert.match(text, /Rule\s+iua\.subject-role/);
  assert.match(text, /IUA rule purpose_of_use\s+met/);
  assert.match(text, /IUA rule subject_role\s+not met/);
  assert.match(text, /IUA rule consent\s+met/);
  // Another patient: the consent rule is not met either.
  await page.locator('#req-iua').fill(JSON.stringify({ purpose_of_use: [{ system: ACT, code: 'TREAT' }], consent: 'patient' }));
  await page.locator('#req-path').fill('/fhir/Observation?patient=someone-else');
  text = await decision(page, 'refused');
  assert.match(text, /IUA rule consent\s+not reached: the request is refused before it \(smart\.not-granted\)/);
  // The consented patient: allowed, and the audit record is there to read.
  await page.locator('#req-path').fill('/fhir/Observation?patient=pat-1842');
  text = await decision(page, 'allowed');
  await page.locator('#audit-event summary').click();
  const audit = JSON.parse(await page.locator('#audit-event pre').innerText());
  assert.equal(audit.resourceType, 'AuditEvent');
  assert.equal(audit.outcome, '0');
  assert.equal(audit.entity[0].what.reference, 'Patient/pat-1842');
  assert.equal(audit.agent[0].purposeOfUse[0].coding[0].code, 'TREAT');
  // Rules that are not JSON are pointed at.
  await page.locator('#req-iua').fill('{purpose');
  text = await decision(page, 'problem');
  assert.match(text, /IUA rules are not JSON/);
  assertClean(assert, watch);
  await context.close();
});

test('a SMART access token without a FHIR route needs only a valid token', async () => {
  const { page, watch, context } = await openPage(session);
  await loadInspector(session, page);
  await page.locator('#token').fill(signer.sign(accessClaims({ scope: 'patient/Observation.rs' })));
  await page.locator('#keys').fill(signer.jwksText);
  await verdictState(page, 'valid');
  await page.locator('#request-section .request-more summary').click();
  await page.locator('#req-path').fill('/fhir/Patient/p-77');
  let text = await decision(page, 'refused');
  assert.match(text, /^Refused: 403 insufficient_scope/);
  await page.locator('#req-fhir-base').fill('');
  text = await decision(page, 'allowed');
  assert.match(text, /Route\s+none/);
  assertClean(assert, watch);
  await context.close();
});

test('an ID token from a SMART server is judged by OpenID Connect, not SMART', async () => {
  const now = Math.floor(Date.now() / 1000);
  const idToken = signer.sign({
    iss: ISSUER,
    sub: 'user-17',
    aud: 'growth-chart-app',
    nonce: 'n-0S6_WzA2Mj',
    auth_time: now - 120,
    acr: 'urn:mace:incommon:iap:silver',
    amr: ['pwd'],
    fhirUser: `${ISSUER}/Practitioner/17`,
    iat: now - 60,
    exp: now + 240,
  });
  const { page, watch, context } = await openPage(session);
  await loadInspector(session, page);
  await page.locator('#token').fill(idToken);
  await page.locator('#keys').fill(signer.jwksText);
  await page.locator('#audience').fill('growth-chart-app');
  const text = await verdictState(page, 'valid');
  assert.doesNotMatch(text, /smart\.scope-present/);
  assert.match(await page.locator('#profile-hint').innerText(), /Checking OpenID Connect's rules/);
  assert.equal(await page.locator('#profile-body .profile[data-profile="smart"] h3').textContent(), 'SMART on FHIR');
  assertClean(assert, watch);
  await context.close();
});

test('a CDS Hooks JWT with jku can be made Valid: the missing audience is pointed at, jku allow-listed', async () => {
  const now = Math.floor(Date.now() / 1000);
  const service = 'https://cds.example/cds-services/patient-view';
  const jku = 'https://ehr.example/.well-known/cds-jwks.json';
  const token = signer.sign({ iss: 'https://ehr.example', aud: service, iat: now - 10, exp: now + 240, jti: 'cds-1' }, { jku });
  const { page, watch, context } = await openPage(session);
  await loadInspector(session, page);
  await page.locator('#token').fill(token);
  await page.locator('#keys').fill(signer.jwksText);
  // auto-detect applies CDS Hooks, whose rules need the service URL as the audience
  let text = await verdictState(page, 'unverified');
  assert.match(text, /Fix the audience/);
  assert.equal(await page.locator('#audience').getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#audience-problem').innerText(), /cds-hooks profile but names no "audience"/);
  await screenshot(page, 'cds-hooks-audience-missing', { fullPage: false });
  // one click takes the token's aud
  await page.locator('#use-token-aud').click();
  text = await verdictState(page, 'invalid');
  assert.equal(await page.locator('#audience').inputValue(), service);
  assert.equal(await page.locator('#audience').getAttribute('aria-invalid'), null);
  assert.match(text, /key_source_not_allowed/);
  // the jku allow-list needs the issuer
  await page.locator('#jku').fill(jku);
  await verdictState(page, 'unverified');
  assert.match(await page.locator('#jku-problem').innerText(), /fill in the expected issuer/);
  await page.locator('#use-token-iss').click();
  text = await verdictState(page, 'valid');
  assert.equal(await page.locator('#issuer').inputValue(), 'https://ehr.example');
  assert.match(await page.locator('#profile-hint').innerText(), /Checking CDS Hooks's rules/);
  assertClean(assert, watch);
  await context.close();
});

test('the keys status line says what the keys did', async () => {
  const { page, watch, context } = await openPage(session);
  await loadInspector(session, page);
  await verdictState(page, 'valid');
  assert.match(await page.locator('#keys-status').innerText(), /^The signature verifies with the RSA key "demo-2026-11" \(RS256\)\.$/);
  await page.locator('#keys').fill('');
  await verdictState(page, 'unverified');
  assert.match(await page.locator('#keys-status').innerText(), /^No keys given/);
  await page.locator('#keys').fill(signer.jwksText);
  await verdictState(page, 'invalid');
  assert.match(await page.locator('#keys-status').innerText(), /^None of these keys verifies/);
  assertClean(assert, watch);
  await context.close();
});

test('a SAML assertion is shown as not verified, not as a broken JWS', async () => {
  const xml = '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1" IssueInstant="2026-11-02T09:30:00Z" Version="2.0"><saml:Issuer>https://idp.example</saml:Issuer><saml:Subject><saml:NameID>alice</saml:NameID></saml:Subject></saml:Assertion>';
  const { page, watch, context } = await openPage(session);
  await loadInspector(session, page);
  await page.locator('#token').fill(Buffer.from(xml).toString('base64'));
  const text = await verdictState(page, 'unverified');
  assert.match(text, /This is a SAML assertion/);
  assert.doesNotMatch(text, /three segments/);
  assertClean(assert, watch);
  await context.close();
});

test('on a phone the verdict is on the first screen', async () => {
  const { page, watch, context } = await openPage(session, { viewport: { width: 390, height: 844 } });
  await loadInspector(session, page);
  await verdictState(page, 'valid');
  const box = await page.locator('#verdict').boundingBox();
  assert.ok(box.y + 60 < 844, `the verdict's title is visible without scrolling (top at ${box.y} px)`);
  await screenshot(page, 'phone-first-screen', { fullPage: false });
  assertClean(assert, watch);
  await context.close();
});
