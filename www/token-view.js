// The pasted token shown again with its parts coloured: header, payload, signature (and the
// five parts of a JWE). Purely visual; the core's report says what the token is.

import { el, replace } from './dom.js';
import { segmentsOf } from './token-text.js';

const JWS_PARTS = ['header', 'payload', 'signature'];
const JWE_PARTS = ['header', 'encrypted-key', 'iv', 'ciphertext', 'tag'];

/** Render `token` into the segments box; hide it when there is nothing to show. */
export function renderSegments(box, code, token) {
  const parts = segmentsOf(token);
  box.hidden = parts.length < 2;
  if (box.hidden) {
    replace(code);
    return;
  }
  const names = parts.length === 5 ? JWE_PARTS : JWS_PARTS;
  const nodes = [];
  parts.forEach((part, i) => {
    if (i > 0) nodes.push(el('span', { class: 'seg-dot' }, '.'));
    const name = names[i] ?? 'extra';
    const cls = name === 'header' || name === 'payload' || name === 'signature' ? `seg-${name}` : 'seg-other';
    nodes.push(el('span', { class: cls, title: `${name} (${part.length} characters)` }, part));
  });
  replace(code, ...nodes);
  code.setAttribute('aria-label', parts.map((p, i) => `${names[i] ?? 'extra part'}: ${p.length} characters`).join(', '));
}
