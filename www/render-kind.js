// One line on what the pasted text is, from the report's kind and summary.

import { el, replace } from './dom.js';

const KIND_LABELS = {
  jws: 'Signed token (JWS)',
  jwe: 'Encrypted token (JWE)',
  saml: 'SAML 2.0 assertion',
  opaque: 'Not a JWT',
  empty: 'Empty',
};

/** `report` may be null (nothing pasted). */
export function renderKind(box, report) {
  if (!report) {
    replace(box);
    return;
  }
  replace(
    box,
    el('span', { class: `badge kind-${report.kind}` }, KIND_LABELS[report.kind] ?? report.kind),
    ' ',
    el('span', { class: 'summary' }, report.summary),
  );
}
