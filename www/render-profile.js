// The profile panel: which healthcare profiles the token looks like and what each lacks (the
// report's profile matches), the ATNA audit user name, and the RFC 7662 introspection view,
// each with a copy button.

import { el, replace } from './dom.js';
import { copyButton } from './copy-button.js';
import { renderFindingList } from './render-findings.js';
import { renderJson } from './json-view.js';

export const PROFILE_LABELS = {
  iua: 'IHE IUA',
  smart: 'SMART on FHIR',
  'smart-backend': 'SMART Backend Services',
  'cds-hooks': 'CDS Hooks',
  oidc: 'OpenID Connect',
};

/** The profiles the token looks like, the one auto-detect applies first (the core marks it). */
export function detectedProfiles(report) {
  const like = (report?.profiles ?? []).filter((p) => p.matches || p.detected);
  return [...like.filter((p) => p.detected), ...like.filter((p) => !p.detected)].map((p) => p.name);
}

/** The profile whose rules "auto-detect" applies: the core's choice (`detected`), as in the CLI. */
export function autoProfile(report) {
  return (report?.profiles ?? []).find((p) => p.detected)?.name;
}

/**
 * @param {HTMLElement} box
 * @param {object|null} report
 * @param {{ hint: HTMLElement, choice: string, applied?: string, introspection?: object|null }} o
 *   `choice`: the profile field ("auto", "none" or a name); `applied`: the profile verify used;
 *   `introspection`: the RFC 7662 response, when the token verified.
 */
export function renderProfile(box, report, { hint, choice, applied, introspection }) {
  const detected = detectedProfiles(report);
  hint.textContent = profileHint(choice, detected, applied);
  if (!report || report.kind === 'empty') {
    replace(box, el('p', { class: 'hint' }, 'Paste a token to see which profile it follows.'));
    return;
  }
  const parts = [];
  // The profiles it looks like, and the one whose rules are applied, are shown open.
  const matched = report.profiles.filter((p) => p.matches || p.name === applied);
  const others = report.profiles.filter((p) => !matched.includes(p));
  if (!report.profiles.some((p) => p.matches)) {
    parts.push(el('p', {}, report.profiles.length > 0 ? 'It does not look like any of the healthcare profiles azlens knows.' : 'Profiles apply to signed JWTs only.'));
  }
  for (const p of matched) parts.push(profileBlock(p, p.matches, applied));
  if (others.length > 0) {
    parts.push(
      el(
        'details',
        { class: 'other-profiles' },
        el('summary', {}, 'What the other profiles would need'),
        others.map((p) => profileBlock(p, false, applied)),
      ),
    );
  }

  parts.push(el('h3', {}, 'ATNA audit user name'));
  if (report.atna_user) {
    parts.push(
      el('p', { class: 'hint' }, 'The ActiveParticipant UserName an IUA resource server records for this request: alias<user@issuer>, from aud, sub and iss.'),
      el('p', { class: 'copyable' }, el('code', { id: 'atna-user' }, report.atna_user), copyButton('the ATNA user name', () => report.atna_user)),
    );
  } else {
    parts.push(el('p', { class: 'hint' }, 'None: it needs string "sub" and "iss" claims.'));
  }

  if (report.kind !== 'jws') {
    replace(box, ...parts);
    return;
  }
  // IUA's Introspect Token [ITI-102] is RFC 7662 with the token's JWT content, extensions included.
  const iua = applied === 'iua';
  parts.push(el('h3', {}, iua ? 'Introspection view (RFC 7662, IHE ITI-102)' : 'RFC 7662 introspection view'));
  const view = introspection ?? { active: false };
  const pre = el('pre', { class: 'json', id: 'introspection-json', tabindex: '0', 'aria-label': 'Introspection response as JSON' });
  renderJson(pre, view);
  parts.push(
    el(
      'p',
      { class: 'hint' },
      introspection
        ? `What an introspection endpoint would answer for this token, now that it verified.${iua ? ' Under IUA (ITI-102) that is the token\'s JWT content with its extensions; a resource server caches it no longer than its "exp".' : ''}`
        : `An introspection endpoint says only "active": false for a token that does not verify (RFC 7662 §2.2)${iua ? ', and an IUA resource server then answers 401 to every request carrying it (ITI-102)' : ''}; the full answer appears once it verifies with the keys and policy given.`,
    ),
    pre,
    el('p', {}, copyButton('the introspection response', () => JSON.stringify(view, null, 2))),
  );
  replace(box, ...parts);
}

function profileBlock(p, matched, applied) {
  const label = PROFILE_LABELS[p.name] ?? p.name;
  const block = [el('h3', {}, matched ? `Looks like ${label}` : label)];
  if (p.name === applied) block.push(el('p', { class: 'applied' }, 'Its rules are part of the verdict above.'));
  if (matched && p.signals.length > 0) block.push(el('p', { class: 'hint' }, `Why: ${p.signals.join('; ')}.`));
  if (p.missing.length > 0) {
    block.push(el('p', {}, 'Lacks: ', p.missing.map((m, i) => [i > 0 ? ', ' : '', el('code', {}, m)])));
  }
  if (p.problems.length > 0) {
    block.push(renderFindingList(p.problems));
  } else if (p.missing.length === 0) {
    block.push(el('p', {}, 'Has every claim it requires and breaks none of its rules.'));
  }
  return el('div', { class: 'profile', 'data-profile': p.name }, block);
}

function profileHint(choice, detected, applied) {
  const names = detected.map((d) => PROFILE_LABELS[d] ?? d);
  const seen = names.length > 0 ? `Detected: ${names.join(', ')}.` : 'No profile detected.';
  if (choice === 'auto') {
    return applied ? `${seen} Checking ${PROFILE_LABELS[applied] ?? applied}'s rules; choose another to override.` : `${seen} Only the core checks apply.`;
  }
  if (choice === 'none') return `${seen} Profile rules are off; only the core checks apply.`;
  return `${seen} Checking ${PROFILE_LABELS[choice] ?? choice}'s rules, as chosen.`;
}
