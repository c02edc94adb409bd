// A "Copy" button for a piece of text, saying what happened (for screen readers too).

import { el } from './dom.js';

/** A button that copies `getText()`; `what` names it ("the ATNA user name"). */
export function copyButton(what, getText) {
  const status = el('span', { class: 'copy-status', role: 'status' });
  const button = el('button', { type: 'button', class: 'ghost small' }, 'Copy');
  button.setAttribute('aria-label', `Copy ${what}`);
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(getText());
      status.textContent = 'Copied.';
    } catch {
      status.textContent = 'Copying was refused by the browser; select the text instead.';
    }
    setTimeout(() => {
      status.textContent = '';
    }, 3000);
  });
  return el('span', { class: 'copy' }, button, status);
}
