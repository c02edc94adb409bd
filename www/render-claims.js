// The claims table: every header parameter and claim with its meaning and the specification
// that defines it (from the inspection report), times as UTC dates and relative to "now",
// scopes as grants, IUA extension attributes with their codings, nested signed statements as
// expandable sections with their own tables.

import { el, replace } from './dom.js';
import { renderGrants } from './render-grants.js';
import { renderFindingList } from './render-findings.js';
import { renderJson } from './json-view.js';

const NO_CLAIMS = {
  jwe: 'An encrypted token has no readable claims: only the recipient can decrypt it. Its header is explained below.',
  opaque: 'This is not a JWT, so it has no claims to show: only its issuer can say what it means (RFC 7662 introspection).',
  empty: 'Paste a token to see its claims.',
};

/**
 * @param {HTMLElement} box
 * @param {object|null} report  the inspection report
 */
export function renderClaims(box, report) {
  if (!report) {
    replace(box, el('p', { class: 'hint' }, NO_CLAIMS.empty));
    return;
  }
  replace(box, ...claimsOf(report, 'claims'));
}

function claimsOf(report, idPrefix) {
  const parts = [];
  if (report.kind === 'saml' && report.saml) {
    parts.push(el('p', {}, 'A SAML assertion: what it says is shown; azlens does not verify SAML signatures.'), samlFacts(report.saml));
  } else if (report.claims.length === 0 && NO_CLAIMS[report.kind]) {
    parts.push(el('p', { class: 'hint' }, NO_CLAIMS[report.kind]));
  } else if (report.claims.length === 0 && report.kind === 'jws') {
    parts.push(el('p', { class: 'hint' }, 'The payload cannot be read as JSON claims (see the findings).'));
  }
  if (report.claims.length > 0) {
    parts.push(table(`${idPrefix}-payload`, 'Claims (payload)', report.claims, report));
  }
  if (report.header_parameters.length > 0) {
    parts.push(table(`${idPrefix}-header`, 'Header parameters', report.header_parameters, report, 'header.'));
  }
  if (report.nested.length > 0) {
    parts.push(el('h3', {}, `Signed statements inside (${report.nested.length})`));
    report.nested.forEach((n, i) => parts.push(nestedStatement(n, `${idPrefix}-nested-${i}`)));
  }
  return parts;
}

function table(id, caption, infos, report, prefix = '') {
  const names = new Set(infos.map((c) => c.name));
  const nestedClaims = new Set(report.nested.map((n) => n.claim));
  const rows = infos.map((c) => {
    const depth = c.name.split('.').length - 1;
    const hasChildren = [...names].some((n) => n.startsWith(`${c.name}.`));
    const leaf = c.name.split('.').at(-1);
    const parent = depth > 0 ? c.name.slice(0, -leaf.length) : '';
    return el(
      'tr',
      { 'data-claim': `${prefix}${c.name}`, class: `depth-${Math.min(depth, 3)}` },
      el('th', { scope: 'row', class: 'claim-name' }, parent ? el('span', { class: 'claim-parent' }, breakable(parent)) : null, leaf),
      el('td', { class: 'value', 'data-label': 'Value' }, value(c, { hasChildren, nested: nestedClaims.has(c.name), grants: prefix === '' ? report.grants : null })),
      el('td', { 'data-label': 'Meaning' }, c.meaning ?? el('span', { class: 'hint' }, 'not a registered name: private to the issuer')),
      el('td', { class: 'spec', 'data-label': 'Defined by' }, c.defined_by ?? '—'),
    );
  });
  return el(
    'div',
    { class: 'table-wrap', id },
    el(
      'table',
      { class: 'claims' },
      el('caption', {}, caption),
      el('colgroup', {}, ['name', 'value', 'meaning', 'spec'].map((c) => el('col', { class: `col-${c}` }))),
      el('thead', {}, el('tr', {}, ['Name', 'Value', 'Meaning', 'Defined by'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows),
    ),
  );
}

function value(c, { hasChildren, nested, grants }) {
  if (c.utc) {
    const pastDue = /^expired/.test(c.relative ?? '');
    return [
      el('span', { class: 'time-utc' }, `${c.utc.replace('T', ' ').replace(/Z$/, '')} UTC`),
      el('span', { class: `time-relative${pastDue ? ' past-due' : ''}` }, c.relative ?? ''),
      el('span', { class: 'hint' }, String(c.value)),
    ];
  }
  if (c.name === 'scope' && grants) return renderGrants(grants);
  if (nested) return [el('code', { class: 'chip' }, short(String(c.value))), el('span', { class: 'hint' }, ' a signed token: see "Signed statements inside"')];
  if (hasChildren) return el('span', { class: 'hint' }, 'its members are explained in the rows below');
  return plain(c.value);
}

/** A value as a person reads it: codings spelled out, lists as lists, anything else as JSON. */
export function plain(v) {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return el('code', {}, JSON.stringify(v));
  if (isCoding(v)) return coding(v);
  if (Array.isArray(v) && v.length > 0 && v.every(isCoding)) return el('ul', { class: 'attributes' }, v.map((x) => el('li', {}, coding(x))));
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
    return el('ul', { class: 'grants' }, v.map((x) => el('li', {}, el('code', { class: 'chip' }, x))));
  }
  return el('code', { class: 'json-inline' }, JSON.stringify(v));
}

function isCoding(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v.code === 'string';
}

/** A FHIR Coding: "Physician — 309343006 in http://snomed.info/sct". */
function coding(c) {
  return el(
    'span',
    { class: 'coding' },
    c.display ? el('strong', {}, String(c.display)) : null,
    c.display ? ' — ' : null,
    el('code', { class: 'chip' }, c.code),
    typeof c.system === 'string' ? [' in ', el('span', { class: 'system' }, c.system)] : ' (no system)',
  );
}

/** A dotted path that may wrap after each dot. */
function breakable(path) {
  return path.split('.').filter(Boolean).map((part) => [part, '.', el('wbr')]);
}

function short(s) {
  return s.length > 48 ? `${s.slice(0, 24)}…${s.slice(-12)}` : s;
}

function samlFacts(saml) {
  const rows = Object.entries(saml).filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0));
  return el('dl', { class: 'kv' }, rows.map(([k, v]) => [el('dt', {}, k), el('dd', {}, plain(v))]));
}

/** A claim holding a signed token: expandable, with the inner token's own report. */
function nestedStatement(n, id) {
  const r = n.report;
  const body = [el('p', {}, r.summary)];
  if (r.verification) {
    body.push(el('p', {}, r.verification.valid ? 'Verified with the given keys.' : `Not verified: ${r.verification.errors.map((e) => e.message).join(' ')}`));
  }
  const header = el('pre', { class: 'json', tabindex: '0', 'aria-label': `Header of the statement in ${n.claim}` });
  const payload = el('pre', { class: 'json', tabindex: '0', 'aria-label': `Payload of the statement in ${n.claim}` });
  renderJson(header, r.header);
  renderJson(payload, r.payload);
  body.push(el('h4', {}, 'Header'), header, el('h4', {}, 'Payload'), payload);
  if (r.findings.length > 0) body.push(el('h4', {}, 'Findings'), renderFindingList(r.findings));
  body.push(...claimsOf(r, id));
  return el('details', { class: 'nested', 'data-nested': n.claim }, el('summary', {}, 'In ', el('code', {}, n.claim), `: ${r.summary}`), body);
}
