// The inspector page: reads the fields, asks the core (through the JS shim) for an inspection
// report and a verdict, and shows them. Every decision is the core's; this file wires inputs to
// renderers. Nothing is sent anywhere, put in the URL, or stored.

import { init, inspect, verify, policySchema } from '/js/index.js';
import { byId } from './dom.js';
import { locateToken } from './token-text.js';
import { renderSegments, followScroll } from './token-view.js';
import { renderJson } from './json-view.js';
import { renderVerdict } from './render-verdict.js';
import { renderKind } from './render-kind.js';
import { renderClaims } from './render-claims.js';
import { renderProfile, autoProfile } from './render-profile.js';
import { renderFindings } from './render-findings.js';
import { renderChain } from './render-chain.js';
import { buildAlgorithmChoices, readPolicy } from './policy-form.js';
import { setUpFetch } from './keys-panel.js';
import { applyExample, fetchExample, forgetExampleIfReplaced } from './example.js';
import { setUpTheme } from './theme.js';
import { testRequest, suggestRequest } from './request-tester.js';

const POLICY_FIELDS = ['issuer', 'audience', 'jku', 'leeway', 'profile', 'now', 'crls'];
const FIELD_LABELS = { algorithms: 'algorithms', issuer: 'issuer', audience: 'audience', jku: 'allowed jku', leeway: 'leeway', now: '"now"', crls: 'CRLs' };

let generation = 0;
let fetchUrlFromToken = '';

/** Check the token as the fields now say, and show everything. */
async function update() {
  const run = ++generation;
  const verdictBox = byId('verdict-body');
  const text = byId('token').value;

  const policy = readPolicy();
  markFieldProblems(policy.problems);
  const nowGiven = policy.options.now !== undefined;
  const now = nowGiven ? policy.options.now : Math.floor(Date.now() / 1000);

  if (text.trim() === '') {
    renderKind(byId('token-kind'), null);
    renderJson(byId('header-json'), null);
    renderJson(byId('payload-json'), null);
    renderClaims(byId('claims'), null);
    renderFindings(byId('findings'), null);
    renderChain(byId('chain'), { header: null, chain: null, anchorsGiven: false });
    renderProfile(byId('profile-body'), null, { hint: byId('profile-hint'), choice: policy.profile });
    renderVerdict(verdictBox, { state: 'empty', now, nowGiven });
    await testRequest(byId('request-result'), { token: '', options: {}, reasons: [] });
    return;
  }

  const keys = byId('keys').value.trim();
  const reasons = policy.problems.map((p) => `Fix the ${FIELD_LABELS[p.field] ?? p.field}: ${p.message}`);

  // The report without keys says which profiles the token looks like; the profile whose rules
  // apply is the one chosen, or in "auto" the one the core detects (the CLI asks the same).
  let report = inspect(text, { now });
  const applied = policy.profile === 'auto' ? autoProfile(report) : policy.profile === 'none' ? undefined : policy.profile;

  // Then the report under the policy (and the keys): the same core verdict verify() gives, plus
  // the RFC 7662 view of a valid token. Text that is not a JWS gets no verification in a report,
  // so verify() says why it cannot be accepted.
  let result = null;
  let saml = false;
  const options = { ...policy.options, now };
  if (applied) options.profile = applied;
  if (keys !== '') options.keys = keys;
  if (reasons.length === 0) {
    try {
      report = inspect(text, options);
      // A SAML assertion is shown, never verified: say so instead of a JWS parse error.
      if (report.kind === 'saml') saml = true;
      else result = report.verification ?? (await verify(text, options));
    } catch (e) {
      const message = String(e?.message ?? e).replace(/^azlens: /, '');
      // The core names the policy member it lacks; point at the field that holds it.
      const field = /"audience"/.test(message) ? 'audience' : /"issuer"|`issuer`/.test(message) ? 'issuer' : null;
      if (field) {
        policy.problems.push({ field, message: `${message.replace(/^invalid policy: /, '')}.`.replace(/\.\.$/, '.') });
        markFieldProblems(policy.problems);
        reasons.push(`Fix the ${FIELD_LABELS[field]}: the ${applied ?? 'chosen'} profile needs it (see the highlighted field).`);
      } else {
        reasons.push(message.replace(/^keys: /, 'The keys cannot be used: '));
      }
    }
  }
  if (run !== generation) return; // a newer edit has taken over
  suggestRequest(report.payload);
  const policyReasons = [...reasons];
  if (saml) {
    reasons.push(
      'This is a SAML assertion: azlens shows what it says (see the findings) but does not verify SAML signatures. IUA Rev 2.x uses signed JWT access tokens.',
    );
  }
  const requestDone = testRequest(byId('request-result'), {
    token: locateToken(text).token,
    options,
    reasons: policyReasons,
    isCurrent: () => run === generation,
  });

  renderKind(byId('token-kind'), report);
  const undecodable = report.kind === 'jws' || report.kind === 'jwe' ? 'could not be decoded (see the findings)' : 'does not exist: this is not a JWT';
  renderJson(byId('header-json'), report.header, `The header ${undecodable}.`);
  renderJson(byId('payload-json'), report.payload, report.kind === 'jwe' ? 'The payload is encrypted.' : `The payload ${undecodable}.`);
  renderClaims(byId('claims'), report);
  renderFindings(byId('findings'), report);
  renderProfile(byId('profile-body'), report, {
    hint: byId('profile-hint'),
    choice: policy.profile,
    applied,
    introspection: report.introspection ?? null,
  });
  suggestFetchAddress(report.payload);
  const anchorsGiven = policy.options.trustAnchors !== undefined;
  renderChain(byId('chain'), { header: report.header, chain: result?.chain ?? null, anchorsGiven });

  // The core reads the verdict (src/report/reading.rs): valid, invalid, or unverified when no
  // trusted key was given (a chain to the anchors given brings its own). Text that is not a JWS
  // has no reading: verify() refused it.
  const reading = report.reading ?? { state: result?.valid ? 'valid' : 'invalid', errors: result?.errors ?? [] };
  const noKeys = report.reading ? !report.reading.signature_checked : keys === '';
  if (result) result = { ...result, errors: reading.errors };
  let state = reading.state;
  if (reasons.length > 0) state = 'unverified';
  else if (reading.note) reasons.push(reading.note);
  renderVerdict(verdictBox, { state, result, reasons, now, nowGiven, noKeys, noAudience: policy.options.audience === undefined });
  showKeysStatus(keys, result, reasons);
  await requestDone;
}

/** One line under the keys field: what the keys did for this token. */
function showKeysStatus(keys, result, reasons) {
  const status = byId('keys-status');
  const unusable = reasons.find((r) => r.startsWith('The keys cannot be used'));
  if (keys === '') status.textContent = 'No keys given: the signature is not checked.';
  else if (unusable) status.textContent = unusable;
  else if (result?.key) status.textContent = `The signature verifies with the ${result.key.kty} key${result.key.kid ? ` "${result.key.kid}"` : ''} (${result.key.alg}).`;
  else if (result) status.textContent = 'None of these keys verifies the signature (see the verdict).';
  else status.textContent = '';
}

/** Flag fields whose value cannot be used (aria-invalid plus the message under the field). */
function markFieldProblems(problems) {
  for (const id of ['algorithms', ...POLICY_FIELDS]) {
    const field = byId(id);
    const problem = problems.find((p) => p.field === id);
    if (problem) field.setAttribute('aria-invalid', 'true');
    else field.removeAttribute('aria-invalid');
    const old = document.getElementById(`${id}-problem`);
    if (problem) {
      const p = old ?? Object.assign(document.createElement('p'), { id: `${id}-problem`, className: 'field-problem' });
      p.textContent = problem.message;
      if (!old) (field.closest('.field') ?? field).append(p);
      field.setAttribute('aria-errormessage', p.id);
    } else {
      old?.remove();
      field.removeAttribute('aria-errormessage');
    }
  }
}

/** Offer the token's issuer as the address to fetch keys from (unless the person typed one). */
function suggestFetchAddress(payload) {
  const field = byId('fetch-url');
  const iss = typeof payload?.iss === 'string' ? payload.iss : '';
  if (field.value === '' || field.value === fetchUrlFromToken) {
    field.value = iss;
    fetchUrlFromToken = iss;
  }
}

// While an edit waits to be checked the verdict is marked busy (aria-busy: screen readers wait
// for the new verdict instead of reading the old one; the tests wait on it too).
let timer = null;
let scheduled = false;

/** Colour the token at once (the backdrop must always repeat the textarea's text exactly). */
function showSegments() {
  const text = byId('token').value;
  const { token, start } = locateToken(text);
  renderSegments({ backdrop: byId('segments-code'), legend: byId('segments'), text, token, start });
}

function soon() {
  clearTimeout(timer);
  scheduled = true;
  byId('verdict').setAttribute('aria-busy', 'true');
  timer = setTimeout(() => {
    scheduled = false;
    const done = update();
    const mine = generation;
    done.catch(showBroken).finally(() => {
      if (!scheduled && mine === generation) byId('verdict').removeAttribute('aria-busy');
    });
  }, 120);
}

function showBroken(e) {
  renderVerdict(byId('verdict-body'), {
    state: 'broken',
    reasons: [`Something went wrong in the page: ${e?.message ?? e}`],
    now: Date.now() / 1000,
    nowGiven: false,
  });
}

async function loadExample() {
  const example = await fetchExample();
  const first = inspect(example.token, { now: Math.floor(Date.now() / 1000) });
  applyExample(example, first.payload);
  showSegments();
  soon();
}

async function main() {
  setUpTheme();
  renderVerdict(byId('verdict-body'), { state: 'loading', now: Date.now() / 1000, nowGiven: false });
  try {
    await init();
  } catch (e) {
    renderVerdict(byId('verdict-body'), {
      state: 'broken',
      reasons: [`The WebAssembly module did not load (${e?.message ?? e}). Was it built? Run \`make serve\` from the repository.`],
      now: Date.now() / 1000,
      nowGiven: false,
    });
    return;
  }
  buildAlgorithmChoices(policySchema());

  const syncScroll = followScroll(byId('token'), byId('segments-code'));
  byId('token').addEventListener('input', () => {
    forgetExampleIfReplaced(byId('token').value);
    showSegments();
    syncScroll();
    soon();
  });
  for (const id of ['keys', 'issuer', 'audience', 'jku', 'leeway', 'now', 'trust-anchors', 'crls']) byId(id).addEventListener('input', soon);
  byId('revocation-best-effort').addEventListener('change', soon);
  // "Use the token's iss / aud": fill the expectation from the token (as read, not trusted).
  for (const [button, field, claim] of [['use-token-iss', 'issuer', 'iss'], ['use-token-aud', 'audience', 'aud']]) {
    byId(button).addEventListener('click', () => {
      const payload = inspect(byId('token').value, { now: Math.floor(Date.now() / 1000) }).payload ?? {};
      const value = payload[claim];
      byId(field).value = Array.isArray(value) ? value.filter((v) => typeof v === 'string').join(' ') : typeof value === 'string' ? value : '';
      soon();
    });
  }
  byId('profile').addEventListener('change', soon);
  for (const id of ['req-path', 'req-fhir-base', 'req-iua', 'req-headers']) byId(id).addEventListener('input', soon);
  byId('req-method').addEventListener('change', soon);
  byId('algorithms').addEventListener('change', soon);
  byId('now-clear').addEventListener('click', () => {
    byId('now').value = '';
    soon();
  });
  byId('clear-token').addEventListener('click', () => {
    byId('token').value = '';
    forgetExampleIfReplaced('');
    showSegments();
    byId('token').focus();
    soon();
  });
  byId('load-example').addEventListener('click', () => loadExample().catch(showBroken));
  setUpFetch({
    onKeys: (text) => {
      byId('keys').value = text;
      soon();
    },
  });
  await loadExample();
}

main().catch(showBroken);
