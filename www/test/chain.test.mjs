// The certificate chain section in Debian's Chromium: a token signed with a certificate whose
// chain (x5c) builds to the pasted trust anchor is valid without any pasted key, and each
// certificate is shown; a chain that fails says where; without anchors the token is refused.
// Certificates: tests/fixtures/x509 (made by its regenerate.sh, valid 2025–2035).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startSession, openPage, loadInspector, verdictState, screenshot, assertClean } from './browser.mjs';

const dir = new URL('../../tests/fixtures/x509/', import.meta.url);
const pem = (name) => readFileSync(new URL(name, dir), 'utf8');
const der = (name) => pem(`${name}.pem`).replace(/-----[^-]+-----|\s/g, '');
const CLIENT = 'https://client.example/udap';
const b64url = (b) => Buffer.from(b).toString('base64url');

/** An ES256 JWS signed by `keyName`'s private key, carrying `chain` in x5c. */
function token(keyName, chain) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', x5c: chain.map(der) }));
  const payload = b64url(JSON.stringify({
    iss: CLIENT, sub: CLIENT, aud: 'https://as.example/token', iat: now - 10, exp: now + 240, jti: crypto.randomUUID(),
  }));
  const key = crypto.createPrivateKey(pem(`${keyName}.key.pem`));
  const sig = crypto.sign('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' });
  return `${header}.${payload}.${b64url(sig)}`;
}

let session;
before(async () => {
  session = await startSession();
});
after(() => session?.close());

async function withChain(jws, { anchors, crls, profile = 'none' } = {}) {
  const { page, watch, context } = await openPage(session);
  await loadInspector(session, page);
  await page.locator('#token').fill(jws);
  await page.locator('#keys').fill('');
  // Auto-detect would read iss = sub as a SMART Backend client assertion, which needs an audience.
  await page.locator('#profile').selectOption(profile);
  if (profile === 'udap') {
    await page.locator('#issuer').fill(CLIENT);
    await page.locator('#audience').fill('https://as.example/token');
  }
  if (anchors !== undefined) {
    await page.locator('#trust summary').click();
    await page.locator('#trust-anchors').fill(anchors);
    if (crls !== undefined) await page.locator('#crls').fill(crls);
  }
  return { page, watch, context };
}

const cards = (page) =>
  page.locator('#chain-certificates li').evaluateAll((items) => items.map((li) => ({
    role: li.dataset.role, status: li.dataset.status, text: li.innerText,
  })));

test('a chain to the pasted anchor is valid with no key pasted, and every certificate is shown', async () => {
  const { page, watch, context } = await withChain(token('leaf', ['leaf', 'int']), {
    anchors: pem('root.pem'),
    crls: pem('crl-root.pem') + pem('crl-int.pem'),
    profile: 'udap',
  });
  const text = await verdictState(page, 'valid');
  assert.match(text, /^Valid/);
  assert.equal(await page.locator('#chain-section').isVisible(), true);
  assert.match(await page.locator('#chain-summary').innerText(), /builds to a trust anchor/);
  const shown = await cards(page);
  assert.deepEqual(shown.map((c) => [c.role, c.status]), [['leaf', 'ok'], ['intermediate', 'ok'], ['anchor', 'ok']]);
  assert.match(shown[0].text, /Subject\s+CN=Test UDAP Client/);
  assert.match(shown[0].text, /Issued by\s+CN=Test Intermediate CA/);
  assert.match(shown[0].text, /SAN URIs\s+https:\/\/client\.example\/udap/);
  assert.match(shown[0].text, /Valid\s+2025-01-01T00:00:00Z to 2035-01-01T00:00:00Z/);
  assert.match(shown[1].text, /CA\s+yes/);
  assert.match(await page.locator('#chain').innerText(), /a current CRL from each issuer/);
  await screenshot(page, 'chain-valid');
  assertClean(assert, watch);
  await context.close();
});

test('an expired leaf: the chain is refused and its card says where it fails', async () => {
  const { page, watch, context } = await withChain(token('leaf-expired', ['leaf-expired', 'int']), {
    anchors: pem('root.pem'),
    crls: pem('crl-root.pem') + pem('crl-int.pem'),
  });
  const text = await verdictState(page, 'invalid');
  assert.match(text, /chain_invalid/);
  assert.match(await page.locator('#chain-summary').innerText(), /^The chain is not trusted: .*expired/);
  const shown = await cards(page);
  assert.equal(shown[0].status, 'failed');
  assert.match(shown[0].text, /Fails here: .*expired at 2021-01-01T00:00:00Z/);
  await screenshot(page, 'chain-expired');
  assertClean(assert, watch);
  await context.close();
});

test('without trust anchors an x5c token is refused, and the chain section says why', async () => {
  const { page, watch, context } = await withChain(token('leaf', ['leaf', 'int']));
  const text = await verdictState(page, 'invalid');
  assert.match(text, /key_source_not_allowed/);
  assert.match(await page.locator('#chain-summary').innerText(), /carries 2 certificates.*No trust anchors are given/);
  assertClean(assert, watch);
  await context.close();
});

test('a token without x5c has no chain section', async () => {
  const { page, watch, context } = await openPage(session);
  await loadInspector(session, page);
  await verdictState(page, 'valid');
  assert.equal(await page.locator('#chain-section').isVisible(), false);
  assertClean(assert, watch);
  await context.close();
});
