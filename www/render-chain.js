// The token's certificate chain (`x5c`), as the core checked it against the trust anchors:
// each certificate's subject, issuer, validity, SANs and constraints, and where the path fails.
// The section shows only for tokens whose header carries x5c.

import { el, replace } from './dom.js';

const ROLE_LABELS = { leaf: 'Signing certificate (leaf)', intermediate: 'Intermediate CA', anchor: 'Trust anchor' };
const REVOCATION = {
  checked: 'Revocation: a current CRL from each issuer says no certificate is revoked.',
  not_checked: 'Revocation: not checked for every certificate (best effort, see the warning).',
  unknown: 'Revocation: unknown.',
};

/**
 * @param {HTMLElement} box
 * @param {{ header?: object|null, chain?: object|null, anchorsGiven: boolean }} o
 *   `chain`: the verdict's `chain` ({ valid, revocation, error?, certificates }), when checked.
 */
export function renderChain(box, { header, chain, anchorsGiven }) {
  const section = box.closest('section');
  const x5c = header && typeof header === 'object' ? header.x5c : undefined;
  if (x5c === undefined) {
    section.hidden = true;
    replace(box);
    return;
  }
  section.hidden = false;
  const count = Array.isArray(x5c) ? x5c.length : 0;
  const carried = `The token carries ${count} certificate${count === 1 ? '' : 's'} in its x5c header.`;
  if (!chain) {
    const why = anchorsGiven
      ? 'The chain was not checked (see the verdict for why).'
      : 'No trust anchors are given, so the chain is not checked and the token is refused. Paste the community\'s anchors under "Certificate chains" in the keys and policy.';
    replace(box, el('p', { id: 'chain-summary', 'data-state': 'unchecked' }, `${carried} ${why}`));
    return;
  }
  const summary = chain.valid
    ? `The chain builds to a trust anchor; the leaf's key is the one the signature is checked with. ${carried}`
    : `The chain is not trusted: ${chain.error ?? 'it does not build to a trust anchor'}.`;
  replace(
    box,
    el('p', { id: 'chain-summary', 'data-state': chain.valid ? 'valid' : 'invalid' }, summary),
    el('p', { class: 'hint' }, REVOCATION[chain.revocation] ?? `Revocation: ${chain.revocation}.`),
    el('ol', { class: 'chain', id: 'chain-certificates' }, (chain.certificates ?? []).map(certificate)),
  );
}

function certificate(c) {
  const failed = c.status !== 'ok' && c.status !== 'unchecked';
  const rows = [
    ['Subject', c.subject],
    ['Issued by', c.issuer],
    ['Valid', `${c.not_before} to ${c.not_after}`],
    c.san_uris?.length ? ['SAN URIs', c.san_uris.join(', ')] : null,
    c.san_dns?.length ? ['SAN DNS names', c.san_dns.join(', ')] : null,
    ['CA', c.ca ? `yes${c.path_len !== undefined ? `, path length at most ${c.path_len}` : ''}` : 'no'],
    c.key_usage?.length ? ['Key usage', c.key_usage.join(', ')] : null,
    ['Signed with', c.signature_algorithm],
    ['Serial', c.serial],
  ].filter(Boolean);
  return el(
    'li',
    { class: `cert${failed ? ' failed' : ''}`, 'data-role': c.role, 'data-status': failed ? 'failed' : c.status },
    el('p', { class: 'cert-role' }, ROLE_LABELS[c.role] ?? c.role),
    el('dl', {}, rows.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
    el(
      'p',
      { class: 'cert-status' },
      c.status === 'ok' ? 'Checked: fine.' : c.status === 'unchecked' ? 'Not reached: the path failed before it.' : `Fails here: ${c.status}`,
    ),
  );
}
