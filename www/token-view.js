// The pasted token coloured where it is typed: a backdrop under the (transparent-text) textarea
// repeats the text exactly, with the header, payload and signature in their colours, and a
// legend under it names the parts and their lengths. Purely visual; the core's report says what
// the token is.

import { el, replace } from './dom.js';
import { segmentsOf } from './token-text.js';

const JWS_PARTS = ['header', 'payload', 'signature'];
const JWE_PARTS = ['header', 'encrypted key', 'initialization vector', 'ciphertext', 'authentication tag'];

/**
 * @param {{ backdrop: HTMLElement, legend: HTMLElement, text: string, token: string, start: number }} o
 *   `text` is the textarea's value; `token` the part of it at `start` that is checked.
 */
export function renderSegments({ backdrop, legend, text, token, start }) {
  const parts = segmentsOf(token);
  const names = parts.length === 5 ? JWE_PARTS : JWS_PARTS;
  const coloured = parts.length === 3 || parts.length === 5;
  const nodes = [text.slice(0, start)];
  if (coloured) {
    parts.forEach((part, i) => {
      if (i > 0) nodes.push(el('span', { class: 'seg-dot' }, '.'));
      nodes.push(el('span', { class: classFor(i, parts.length) }, part));
    });
  } else {
    nodes.push(token);
  }
  // A final line break needs something after it to take up a line, as it does in the textarea.
  nodes.push(text.slice(start + token.length), '\u200b');
  replace(backdrop, ...nodes);

  legend.hidden = !coloured;
  if (coloured) {
    replace(
      legend,
      parts.map((p, i) => [
        i > 0 ? ' · ' : '',
        el('span', { class: classFor(i, parts.length) }, names[i]),
        ` (${p.length} characters)`,
      ]),
    );
  }
}

/** The first part is coloured as a header, the last as a signature (a JWE's tag), the rest as payload. */
function classFor(i, n) {
  if (i === 0) return 'seg-header';
  return i === n - 1 ? 'seg-signature' : 'seg-payload';
}

/** Keep the backdrop scrolled with the textarea. */
export function followScroll(textarea, backdrop) {
  const sync = () => {
    backdrop.scrollTop = textarea.scrollTop;
    backdrop.scrollLeft = textarea.scrollLeft;
  };
  textarea.addEventListener('scroll', sync);
  return sync;
}
