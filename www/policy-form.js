// The policy fields → options for the shim's verify(). Fields left empty check nothing extra;
// a value that cannot be read is reported next to its field and the token is not verified.

import { byId, el } from './dom.js';

// The vocabulary (algorithms, leeway bounds and default) is the core's: policySchema() from the
// shim, handed in once the WebAssembly module is loaded.
let leewayMember = null;

/** Put the algorithm checkboxes into their fieldset and the leeway's bounds on its field. */
export function buildAlgorithmChoices(schema) {
  leewayMember = schema.policy.find((m) => m.name === 'leeway');
  const box = byId('algorithms');
  for (const { name, shared_secret: secret } of schema.algorithms) {
    // A shared secret (HMAC) is pasted as the "key": off unless the person chooses it.
    const input = el('input', { type: 'checkbox', name: 'alg', value: name, checked: !secret });
    box.append(el('label', { class: 'alg' }, input, ` ${name}`));
  }
  const secrets = schema.algorithms.filter((a) => a.shared_secret).map((a) => a.name);
  box.append(el('p', { class: 'hint' }, `${secrets.join(', ')} use a shared secret (paste it as a JWK of kty "oct"); they are off unless you tick them.`));
  const leeway = byId('leeway');
  leeway.min = String(leewayMember.min);
  leeway.max = String(leewayMember.max);
  leeway.value = String(leewayMember.default);
}

/** Read "now": empty → undefined (the clock), seconds since 1970, or an ISO 8601 date and time. */
export function parseNow(text) {
  const t = text.trim();
  if (t === '') return { now: undefined };
  if (/^\d{1,12}(\.\d+)?$/.test(t)) return { now: Number(t) };
  // A date and time without a zone is read as UTC, as the hint says.
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(t) || !t.includes('T') ? t : `${t}Z`;
  const ms = /^\d{4}-\d{2}-\d{2}/.test(zoned) ? Date.parse(zoned) : NaN;
  if (!Number.isFinite(ms)) {
    return { error: `"${t}" is not a date: write it as 2026-11-02T09:30:00Z (UTC) or as seconds since 1970.` };
  }
  return { now: ms / 1000 };
}

/** An epoch time as the "now" field shows it. */
export function formatNow(seconds) {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * The verify() options the fields describe (without keys), or the problems that keep them from
 * being used: `{ options, profile, problems: [{ field, message }] }`.
 */
export function readPolicy() {
  const problems = [];
  const algorithms = [...document.querySelectorAll('#algorithms input[name="alg"]:checked')].map((i) => i.value);
  if (algorithms.length === 0) problems.push({ field: 'algorithms', message: 'Tick at least one accepted algorithm.' });

  const issuer = byId('issuer').value.trim();
  const audience = byId('audience').value.trim().split(/\s+/).filter(Boolean);

  const leewayText = byId('leeway').value.trim();
  const { default: fallback, min, max } = leewayMember;
  const leeway = leewayText === '' ? fallback : Number(leewayText);
  if (!Number.isInteger(leeway) || leeway < min || leeway > max) {
    problems.push({ field: 'leeway', message: `The leeway is a whole number of seconds from ${min} to ${max}.` });
  }

  const jku = byId('jku').value.trim().split(/\s+/).filter(Boolean);
  if (jku.length > 0 && !issuer) problems.push({ field: 'jku', message: 'An allowed jku belongs to an issuer: fill in the expected issuer too.' });

  const when = parseNow(byId('now').value);
  if (when.error) problems.push({ field: 'now', message: when.error });

  // Certificate chains: anchors and CRLs as pasted (the core reads the PEM and says what is wrong).
  const anchors = byId('trust-anchors').value.trim();
  const crls = byId('crls').value.trim();
  if (crls && !anchors) problems.push({ field: 'crls', message: 'CRLs are used only with trust anchors: paste the anchors too.' });

  const options = { algorithms, leeway };
  if (anchors) {
    options.trustAnchors = anchors;
    if (crls) options.crls = [crls];
    if (byId('revocation-best-effort').checked) options.revocation = 'best_effort';
  }
  if (issuer) options.issuer = issuer;
  if (issuer && jku.length > 0) options.jku = jku;
  if (audience.length > 0) options.audience = audience.length === 1 ? audience[0] : audience;
  if (when.now !== undefined) options.now = when.now;
  return { options, profile: byId('profile').value, problems };
}
