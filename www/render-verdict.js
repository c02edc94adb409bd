// The verdict banner: valid, invalid or not verified, with every error and warning as the core
// worded it (its stable code shown beside the sentence).

import { el, replace } from './dom.js';
import { formatNow } from './policy-form.js';

/**
 * @param {HTMLElement} box
 * @param {{ state: 'empty'|'loading'|'valid'|'invalid'|'unverified'|'broken',
 *           result?: object, reasons?: string[], now: number, nowGiven: boolean }} v
 *   `reasons`: why the token was not verified (no keys, a policy field to fix).
 */
export function renderVerdict(box, v) {
  const section = box.closest('.verdict');
  section.dataset.state = v.state;
  const when = v.nowGiven ? `as of ${formatNow(v.now)} (the "now" you set)` : `as of now (${formatNow(v.now)})`;
  const parts = [];
  switch (v.state) {
    case 'empty':
      parts.push(title('Nothing to check yet'), el('p', {}, 'Paste a token above, or load the example.'));
      break;
    case 'loading':
      parts.push(title('Loading the verifier…'));
      break;
    case 'broken':
      parts.push(title('The verifier could not start'), el('p', {}, ...v.reasons));
      break;
    case 'valid': {
      const key = v.result.key;
      const by = key ? ` with the ${key.kty} key${key.kid ? ` "${key.kid}"` : ''} (${key.alg})` : '';
      parts.push(title('Valid'), el('p', {}, `The signature verifies${by} and every check passes ${when}.`));
      break;
    }
    case 'invalid':
      parts.push(
        title('Invalid'),
        el('p', {}, `${count(v.result.errors.length, 'problem')} found ${when}:`),
        problemList(v.result.errors, 'errors'),
      );
      break;
    case 'unverified': {
      parts.push(title('Not verified'), el('ul', { class: 'reasons' }, v.reasons.map((r) => el('li', {}, r))));
      const others = v.result?.errors ?? [];
      if (others.length > 0) {
        parts.push(el('p', {}, `Other problems found ${when}, without the signature check:`), problemList(others, 'errors'));
      }
      break;
    }
    default:
      break;
  }
  if (['valid', 'invalid', 'unverified'].includes(v.state) && v.result?.payload) parts.push(checksLine(v));
  // With no audience asked for, the page says so once in the checks line instead of warning
  // about it on every token (the API keeps the warning: a server that forgot its audience
  // must hear it; a person inspecting a token has simply not typed one yet).
  const warnings = (v.result?.warnings ?? []).filter((w) => !(v.noAudience && w.code === 'audience_not_checked'));
  if (v.state !== 'empty' && warnings.length > 0) {
    parts.push(el('p', { class: 'warnings-title' }, `${count(warnings.length, 'warning')}:`), problemList(warnings, 'warnings'));
  }
  replace(box, ...parts);
}

const SIGNATURE_CODES = new Set(['signature_invalid', 'key_not_found', 'key_invalid', 'key_set_unavailable', 'alg_not_allowed', 'crit_unsupported', 'key_source_not_allowed', 'chain_invalid', 'malformed']);
const TIME_CODES = new Set(['expired', 'not_yet_valid', 'issued_in_future', 'token_too_old']);

/** Signature and times, each ✓ or ✗ (or not checked), the way jwt.io users look for them. */
function checksLine(v) {
  const errors = v.result.errors ?? [];
  const signature = v.noKeys
    ? ['unchecked', '– Signature not checked (no keys)']
    : errors.some((e) => SIGNATURE_CODES.has(e.code)) ? ['bad', '✗ Signature invalid'] : ['good', '✓ Signature verified'];
  const times = errors.some((e) => TIME_CODES.has(e.code)) ? ['bad', '✗ Times (exp, nbf, iat) wrong'] : ['good', '✓ Times (exp, nbf, iat) valid'];
  const items = [signature, times];
  if (v.noAudience) items.push(['unchecked', '– Audience not checked (none given)']);
  return el(
    'p',
    { class: 'checks' },
    items.map(([state, text], i) => [i > 0 ? ' · ' : null, el('span', { class: `check ${state}`, 'data-check': ['signature', 'times', 'audience'][i] }, text)]).flat(),
  );
}

function title(text) {
  return el('p', { class: 'verdict-title' }, text);
}

function count(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Errors or warnings: `{ code, message, claim? }` each. */
export function problemList(items, kind) {
  return el(
    'ul',
    { class: `problems ${kind}` },
    items.map((p) =>
      el(
        'li',
        { 'data-code': p.code },
        el('code', { class: 'code' }, p.code),
        ' ',
        el('span', { class: 'message' }, p.message),
        p.claim ? el('span', { class: 'claim' }, ' (', el('code', {}, p.claim), ')') : null,
      ),
    ),
  );
}
