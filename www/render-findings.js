// The inspection's findings: what it noticed about the token, most serious first.

import { el } from './dom.js';

const ORDER = { error: 0, warning: 1, info: 2 };
const LABEL = { error: 'Error', warning: 'Warning', info: 'Note' };

/** A list of `{ severity, code, message, claim }`. */
export function renderFindingList(findings) {
  const sorted = [...findings].sort((a, b) => (ORDER[a.severity] ?? 3) - (ORDER[b.severity] ?? 3));
  return el(
    'ul',
    { class: 'problems findings' },
    sorted.map((f) =>
      el(
        'li',
        { 'data-code': f.code, class: `severity-${f.severity}` },
        el('strong', {}, `${LABEL[f.severity] ?? f.severity}: `),
        el('span', { class: 'message' }, f.message),
        ' ',
        el('code', { class: 'code' }, f.code),
        f.claim ? el('span', { class: 'claim' }, ' (', el('code', {}, f.claim), ')') : null,
      ),
    ),
  );
}

/** The findings panel for a report (null: nothing pasted). */
export function renderFindings(box, report) {
  if (!report) {
    box.replaceChildren(el('p', { class: 'hint' }, 'What the inspection notices about a token appears here.'));
    return;
  }
  if (report.findings.length === 0) {
    box.replaceChildren(el('p', {}, 'Nothing out of the ordinary.'));
    return;
  }
  box.replaceChildren(renderFindingList(report.findings));
}
