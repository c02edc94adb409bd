// The inspector page in Debian's Chromium: what a person sees for a valid, a tampered, an
// expired, an IUA and a garbage token, with keys pasted or fetched, and that nothing leaves
// 127.0.0.1, nothing is stored and nothing errors while they do it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { startSession, openPage, loadInspector, verdictState, screenshot, assertClean, contrastProblems } from './browser.mjs';
import { makeSigner, accessClaims, expiredClaims, iuaClaims, tamper, ISSUER } from './fixtures.mjs';

let session;
const signer = makeSigner();

// Text the page draws, checked for WCAG AA contrast (4.5:1) against its background.
const CONTRAST_CHECKED = [
  'body', '.tagline', '.hint', 'label', 'legend', 'button', 'button.ghost', '.verdict-title', '.verdict p',
  '.seg-header', '.seg-payload', '.seg-signature', '.json-key', '.json-string', '.json-number', '.json-boolean',
  '.claim-name', '.claim-parent', '.time-relative', '.spec', '.chip', '.note', 'summary', '#keys', 'input',
];

before(async () => {
  session = await startSession();
});

after(() => session?.close());

/** A fresh page with the example loaded, then `token` and `keys` pasted as a person would. */
async function pasted(token, keys, opts) {
  const { page, watch, context } = await openPage(session, opts);
  await loadInspector(session, page);
  await page.locator('#token').fill(token);
  if (keys !== undefined) await page.locator('#keys').fill(keys);
  return { page, watch, context };
}

test('the example is preloaded and valid out of the box, checked as of its issue time', async () => {
  const { page, watch, context } = await openPage(session);
  await loadInspector(session, page);
  const text = await verdictState(page, 'valid');
  assert.match(text, /^Valid/);
  assert.match(text, /demo-2026-11/);
  assert.match(await page.locator('#example-note').innerText(), /"now" is set to the moment it was issued \(2026-11-02T09:30:00Z\)/);
  assert.equal(await page.locator('#now').inputValue(), '2026-11-02T09:30:00Z');
  assert.match(await page.locator('#token').inputValue(), /^eyJ/);
  assert.match(await page.locator('#keys').inputValue(), /"kid": "demo-2026-11"/);
  assert.match(await page.locator('#claims tr[data-claim="scope"]').innerText(), /patient\/Observation\.rs\s+read, search of Observation of the patient in context/);
  await screenshot(page, 'example-valid');
  // The first screen, as docs/inspector.png shows it in the README.
  await screenshot(page, 'example-first-screen', { fullPage: false });

  // The honest alternative is one click away: at the real time the example has expired.
  await page.locator('#now-clear').click();
  const expired = await verdictState(page, 'invalid');
  assert.match(expired, /expired/);
  assertClean(assert, watch);
  await context.close();
});

test('a valid RS256 token with its JWKS is valid; the three segments are coloured', async () => {
  const token = signer.sign(accessClaims());
  const { page, watch, context } = await pasted(token, signer.jwksText);
  const text = await verdictState(page, 'valid');
  assert.match(text, /test-key-1/);
  // The example's settings went away with the example token.
  assert.equal(await page.locator('#issuer').inputValue(), '');
  assert.equal(await page.locator('#now').inputValue(), '');
  const segments = await page.locator('#segments-code span').evaluateAll((spans) => spans.map((s) => [s.className, s.textContent]));
  const [h, p, s] = token.split('.');
  assert.deepEqual(segments, [['seg-header', h], ['seg-dot', '.'], ['seg-payload', p], ['seg-dot', '.'], ['seg-signature', s]]);
  const colours = await page.locator('#segments-code span:not(.seg-dot)').evaluateAll((spans) => spans.map((x) => getComputedStyle(x).color));
  assert.equal(new Set(colours).size, 3, `three distinct colours, got ${colours}`);
  assert.match(await page.locator('#payload-json').innerText(), /"client_id": "test-client"/);
  assert.match(await page.locator('#header-json').innerText(), /"alg": "RS256"/);
  // A verified token gets its RFC 7662 view.
  const introspection = JSON.parse(await page.locator('#introspection-json').innerText());
  assert.equal(introspection.active, true);
  assert.equal(introspection.client_id, 'test-client');
  await screenshot(page, 'valid-rs256');
  assertClean(assert, watch);
  await context.close();
});

test('a token pasted with its "Bearer " scheme is read as the token, and the page says so', async () => {
  const token = signer.sign(accessClaims());
  const { page, watch, context } = await pasted(`Bearer ${token}\n`, signer.jwksText);
  await verdictState(page, 'valid');
  assert.equal(await page.locator('#findings li[data-code="scheme_removed"]').count(), 1);
  const coloured = await page.locator('#segments-code span:not(.seg-dot)').allInnerTexts();
  assert.deepEqual(coloured, token.split('.'));
  assertClean(assert, watch);
  await context.close();
});

test('SMART scopes are shown as the grants the core parsed, and the SMART profile can be chosen', async () => {
  const token = signer.sign(accessClaims({ scope: 'launch/patient patient/Observation.rs user/Practitioner.r' }));
  const { page, watch, context } = await pasted(token, signer.jwksText);
  await page.locator('#profile').selectOption('smart');
  await verdictState(page, 'valid');
  const scope = await page.locator('#claims tr[data-claim="scope"]').innerText();
  assert.match(scope, /patient\/Observation\.rs\s+read, search of Observation of the patient in context/);
  assert.match(scope, /user\/Practitioner\.r\s+read of Practitioner the user may see/);
  assert.match(scope, /launch\/patient\s+asks for a patient to be chosen at launch/);
  assert.match(await page.locator('#profile-hint').innerText(), /Checking SMART on FHIR's rules, as chosen/);
  assertClean(assert, watch);
  await context.close();
});

test('one changed byte makes it invalid, with signature_invalid shown', async () => {
  const token = tamper(signer.sign(accessClaims()));
  const { page, watch, context } = await pasted(token, signer.jwksText);
  const text = await verdictState(page, 'invalid');
  assert.match(text, /^Invalid/);
  assert.match(text, /signature_invalid/);
  assert.equal(await page.locator('#verdict-body li[data-code="signature_invalid"]').count(), 1);
  // The signature's own ✗ beside the times' ✓, and no audience warning when none was asked for.
  assert.equal(await page.locator('#verdict-body [data-check="signature"]').innerText(), '✗ Signature invalid');
  assert.equal(await page.locator('#verdict-body [data-check="times"]').innerText(), '✓ Times (exp, nbf, iat) valid');
  assert.equal(await page.locator('#verdict-body [data-check="audience"]').innerText(), '– Audience not checked (none given)');
  assert.equal(await page.locator('#verdict-body li[data-code="audience_not_checked"]').count(), 0);
  assert.doesNotMatch(await page.locator('#token-kind').innerText(), /NOT verified/);
  await screenshot(page, 'tampered-invalid');
  assertClean(assert, watch);
  await context.close();
});

test('a token wrapped across lines is decoded, with a warning, and verification refuses it as written', async () => {
  const token = signer.sign(accessClaims());
  const wrapped = token.match(/.{1,60}/g).join('\n');
  const { page, watch, context } = await pasted(wrapped, signer.jwksText);
  const text = await verdictState(page, 'invalid');
  assert.match(text, /malformed/);
  assert.match(await page.locator('#payload-json').innerText(), /"iss"/);
  assert.match(await page.locator('#findings').innerText(), /whitespace_inside|line breaks/);
  assertClean(assert, watch);
  await context.close();
});

test('an expired token shows how long ago, and the expired error', async () => {
  const token = signer.sign(expiredClaims());
  const { page, watch, context } = await pasted(token, signer.jwksText);
  const text = await verdictState(page, 'invalid');
  assert.match(text, /expired/);
  assert.equal(await page.locator('#verdict-body li[data-code="expired"]').count(), 1);
  assert.equal(await page.locator('#verdict-body [data-check="signature"]').innerText(), '✓ Signature verified');
  assert.equal(await page.locator('#verdict-body [data-check="times"]').innerText(), '✗ Times (exp, nbf, iat) wrong');
  const exp = page.locator('#claims tr[data-claim="exp"]');
  assert.match(await exp.innerText(), /expired 3 h ago/);
  assert.match(await exp.innerText(), /UTC/);
  await screenshot(page, 'expired');
  assertClean(assert, watch);
  await context.close();
});

test('a fresh token shows when it expires, relative to now', async () => {
  const token = signer.sign(accessClaims());
  const { page, watch, context } = await pasted(token, signer.jwksText);
  await verdictState(page, 'valid');
  assert.match(await page.locator('#claims tr[data-claim="exp"]').innerText(), /expires in 4 min/);
  assertClean(assert, watch);
  await context.close();
});

test('an IUA token shows its extension attributes with their codings', async () => {
  const token = signer.sign(iuaClaims());
  const { page, watch, context } = await pasted(token, signer.jwksText);
  await page.locator('#profile').selectOption('iua');
  await verdictState(page, 'valid');
  const claims = await page.locator('#claims').innerText();
  for (const expected of ['subject_name', 'Jo Nurse', 'subject_role', 'Registered nurse', '224535009', 'http://snomed.info/sct', 'purpose_of_use', 'TREAT', 'home_community_id', 'urn:oid:1.2.840.10008.1.7.1', 'patient_id']) {
    assert.ok(claims.includes(expected), `claims show ${expected}`);
  }
  const profile = await page.locator('#profile-body').innerText();
  assert.match(profile, /IUA/);
  assert.match(profile, new RegExp(`https://fhir.test-hospital.example/r4<nurse.jo@${ISSUER.replaceAll('.', '\\.')}>`));
  // IUA's introspection (ITI-102) carries the extensions.
  assert.match(profile, /Introspection view \(RFC 7662, IHE ITI-102\)/);
  const introspection = JSON.parse(await page.locator('#introspection-json').innerText());
  assert.equal(introspection.extensions.ihe_iua.subject_name, 'Jo Nurse');
  await screenshot(page, 'iua');
  assertClean(assert, watch);
  await context.close();
});

test('a signed statement inside a claim is expandable, by keyboard, with its own report', async () => {
  const statement = signer.sign({ iss: 'https://registry.example', sub: 'app-9', software_id: 'viewer-2', iat: Math.floor(Date.now() / 1000) - 60 });
  const token = signer.sign(accessClaims({ software: statement }));
  const { page, watch, context } = await pasted(token, signer.jwksText);
  await verdictState(page, 'valid');
  assert.match(await page.locator('#claims tr[data-claim="software"]').innerText(), /a signed token/);
  const nested = page.locator('#claims details[data-nested="software"]');
  assert.equal(await nested.getAttribute('open'), null);
  await nested.locator('summary').focus();
  await page.keyboard.press('Enter');
  assert.equal(await nested.getAttribute('open'), '');
  const inner = await nested.innerText();
  assert.match(inner, /Verified with the given keys/);
  assert.match(inner, /software_id/);
  assert.match(inner, /viewer-2/);
  assert.match(inner, /https:\/\/registry\.example/);
  await screenshot(page, 'nested-statement');
  assertClean(assert, watch);
  await context.close();
});

test('the ATNA user name is copied by its button', async () => {
  const token = signer.sign(accessClaims());
  const { page, watch, context } = await pasted(token, signer.jwksText);
  await verdictState(page, 'valid');
  await page.getByRole('button', { name: 'Copy the ATNA user name' }).click();
  await page.waitForFunction(() => document.querySelector('#profile-body .copy-status')?.textContent === 'Copied.');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${'https://fhir.test-hospital.example/r4'}<user-17@${ISSUER}>`);
  assertClean(assert, watch);
  await context.close();
});

test('garbage gets a clear message and no page error', async () => {
  const { page, watch, context } = await pasted('this is not a token, just words', signer.jwksText);
  const text = await verdictState(page, 'invalid');
  assert.match(text, /malformed|not a token/i);
  assert.equal(await page.locator('#segments').isHidden(), true);
  await screenshot(page, 'garbage');
  for (const junk of ['a.b', '....', 'eyJhbGciOiJub25lIn0.e30.', '\u0000\uffff.\ud800.x', 'x'.repeat(20000)]) {
    await page.locator('#token').fill(junk);
    await verdictState(page, 'invalid');
  }
  assertClean(assert, watch);
  await context.close();
});

test('a DPoP proof, a bound token and a JWK pasted alone are explained, with RFC 7638 thumbprints', async () => {
  const jwk = JSON.parse(signer.jwksText).keys[0];
  const canonical = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  const jkt = createHash('sha256').update(canonical).digest('base64url');
  const now = Math.floor(Date.now() / 1000);
  const proof = signer.sign({ htm: 'GET', htu: 'https://fhir.example/Patient/1', iat: now, jti: 'p-1' }, { typ: 'dpop+jwt', jwk: { kty: jwk.kty, n: jwk.n, e: jwk.e } });
  const { page, watch, context } = await pasted(proof);
  const explained = page.locator('#findings li[data-code="dpop_proof"]');
  await explained.waitFor();
  const text = await explained.textContent();
  assert.match(text, /GET request to https:\/\/fhir\.example\/Patient\/1/);
  assert.ok(text.includes(jkt), text);
  await page.locator('#token').fill(signer.sign(accessClaims({ cnf: { jkt } })));
  const bound = page.locator('#findings li[data-code="bound_to_dpop_key"]');
  await bound.waitFor();
  assert.ok((await bound.textContent()).includes(jkt));
  await page.locator('#token').fill(JSON.stringify({ kty: jwk.kty, n: jwk.n, e: jwk.e, kid: 'any' }, null, 2));
  const thumb = page.locator('#findings li[data-code="jwk_thumbprint"]');
  await thumb.waitFor();
  assert.ok((await thumb.textContent()).includes(jkt));
  assertClean(assert, watch);
  await context.close();
});

test('keys are fetched only on a click, by discovery, from the sandboxed fetcher', async () => {
  // A local issuer: discovery document and key set, with CORS as real issuers send it.
  const hits = [];
  const issuerServer = createServer((req, res) => {
    hits.push(req.url);
    const origin = `http://127.0.0.1:${issuerServer.address().port}`;
    const send = (body) => {
      res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/openid-configuration') return send({ issuer: origin, jwks_uri: `${origin}/jwks` });
    if (req.url === '/jwks') return send(JSON.parse(signer.jwksText));
    res.writeHead(404, { 'access-control-allow-origin': '*' });
    return res.end();
  });
  await new Promise((r) => issuerServer.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${issuerServer.address().port}`;
  try {
    const token = signer.sign(accessClaims({ iss: issuer }));
    const { page, watch, context } = await pasted(token);
    await verdictState(page, 'unverified');
    assert.deepEqual(hits, [], 'nothing fetched before the click');
    assert.equal(await page.locator('iframe').count(), 0, 'no fetcher before the click');

    // The page itself cannot reach the issuer: its CSP allows only its own origin.
    const blocked = await page.evaluate(async (url) => {
      const violation = new Promise((resolve) => document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true }));
      const outcome = await fetch(url).then(() => 'fetched', () => 'refused');
      return [outcome, await violation];
    }, `${issuer}/jwks`);
    assert.deepEqual(blocked, ['refused', 'connect-src']);

    await page.locator('#fetch-keys summary').click();
    assert.equal(await page.locator('#fetch-url').inputValue(), issuer, 'the address is the token\'s issuer');

    // A key set address that fails says why, and changes nothing.
    await page.locator('#fetch-url').fill(`${issuer}/missing`);
    await page.locator('input[name="fetch-kind"][value="jwks"]').check();
    await page.locator('#fetch-button').click();
    await page.waitForFunction(() => /HTTP 404/.test(document.querySelector('#fetch-status').textContent));
    assert.equal(await page.locator('#keys').inputValue(), '');
    assert.deepEqual(hits, ['/missing']);
    hits.length = 0;

    await page.locator('#fetch-url').fill(issuer);
    await page.locator('input[name="fetch-kind"][value="issuer"]').check();
    await page.locator('#fetch-button').click();
    await verdictState(page, 'valid');
    assert.match(await page.locator('#fetch-status').innerText(), /Fetched the key set of .* from .*\/jwks/);
    assert.deepEqual(hits, ['/.well-known/openid-configuration', '/jwks']);
    assert.match(await page.locator('#keys').inputValue(), /test-key-1/);
    assert.equal(await page.locator('iframe[sandbox="allow-scripts"]').count(), 1);
    await screenshot(page, 'fetched-keys');
    // The browser itself logs the refused connection and the 404 the test asked for.
    assertClean(assert, watch, { allowConsole: [/Content Security Policy|Refused to connect/, /status of 404/] });
    await context.close();
  } finally {
    issuerServer.closeAllConnections();
    await new Promise((r) => issuerServer.close(r));
  }
});

test('nothing is stored and the token never reaches the address bar', async () => {
  const token = signer.sign(accessClaims());
  const { page, watch, context } = await pasted(token, signer.jwksText);
  await verdictState(page, 'valid');
  await page.locator('#theme-toggle').click();
  const state = await page.evaluate(() => ({
    url: location.href,
    local: localStorage.length,
    session: sessionStorage.length,
    cookie: document.cookie,
  }));
  assert.equal(state.url, session.server.url);
  assert.deepEqual([state.local, state.session, state.cookie], [0, 0, '']);
  assert.deepEqual(await context.cookies(), []);
  for (const url of watch.requests) assert.ok(!url.includes(token.split('.')[1]), `the token went out in ${url}`);
  assertClean(assert, watch);
  await context.close();
});

test('keyboard, labels and themes: every control is named, expanders open with Enter, dark and phone layouts render', async () => {
  const { page, watch, context } = await openPage(session, { colorScheme: 'dark', viewport: { width: 390, height: 844 } });
  await loadInspector(session, page);
  await verdictState(page, 'valid');
  const unnamed = await page.evaluate(() =>
    [...document.querySelectorAll('input, textarea, select, button')]
      .filter((c) => !(c.labels?.length > 0 || c.getAttribute('aria-label') || (c.tagName === 'BUTTON' && c.textContent.trim())))
      .map((c) => c.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(unnamed, []);
  for (const landmark of ['header', 'main', 'footer']) assert.equal(await page.locator(landmark).count(), 1, landmark);
  assert.equal(await page.locator('#verdict-body').getAttribute('aria-live'), 'polite');
  const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  assert.equal(bg, 'rgb(15, 18, 22)', 'the dark theme follows the system');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no sideways scrolling on a phone (${overflow}px too wide)`);
  await screenshot(page, 'phone-dark');

  assert.deepEqual(await contrastProblems(page, CONTRAST_CHECKED), [], 'contrast in the dark theme');

  // Keyboard: focus the fetch expander and open it with Enter.
  await page.locator('#fetch-keys summary').focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('#fetch-keys').getAttribute('open'), '');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'fetch-url');

  // The toggle switches to light for this visit.
  await page.locator('#theme-toggle').click();
  assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor), 'rgb(246, 247, 249)');
  assert.equal(await page.locator('#theme-toggle').getAttribute('aria-pressed'), 'false');
  assert.deepEqual(await contrastProblems(page, CONTRAST_CHECKED), [], 'contrast in the light theme');
  // And the other verdict colours, in both themes.
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => {
      document.documentElement.dataset.theme = t;
    }, theme);
    await page.locator('#keys').fill(signer.jwksText);
    await page.locator('#token').fill(tamper(signer.sign(accessClaims())));
    await verdictState(page, 'invalid');
    await page.locator('#keys').fill('');
    await page.locator('#token').fill(signer.sign(accessClaims()));
    await verdictState(page, 'unverified');
    const problems = await contrastProblems(page, ['.verdict-title', '.verdict p', '.verdict .code']);
    assert.deepEqual(problems, [], `verdict contrast (${theme})`);
  }
  assertClean(assert, watch);
  await context.close();
});
