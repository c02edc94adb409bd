// The request tester: "would this token be allowed to make this request?" The page describes
// the request (method, path and query, headers, the token as `Authorization: Bearer`) and asks
// the JS shim's decide() — the gate the edge worker and the Envoy filter run — under the page's
// policy plus one route: the FHIR base path. Keys are the pasted ones only (`fetchKeys: false`:
// the page never fetches without a click). It draws the decision as the core gives it.

import { createVerifier, iuaRulesAlone } from '/js/index.js';
import { byId, el, replace } from './dom.js';
import { problemList } from './render-verdict.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** The request the fields describe, or a problem with one of them. */
export function readRequest() {
  const method = byId('req-method').value;
  let target = byId('req-path').value.trim();
  // a full URL is read for its path and query
  const scheme = target.indexOf('://');
  if (scheme > 0) {
    const slash = target.indexOf('/', scheme + 3);
    target = slash < 0 ? '/' : target.slice(slash);
  }
  if (!target.startsWith('/')) return { problem: 'Give the path from its first "/", e.g. /fhir/Observation?patient=123 (or a full URL).' };
  const [path, ...rest] = target.split('?');
  const headers = [];
  for (const line of byId('req-headers').value.split('\n')) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return { problem: `"${line.trim()}" is not a header: write one "Name: value" a line.` };
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  const fhirBase = byId('req-fhir-base').value.trim().replace(/\/+$/, '');
  if (fhirBase !== '' && !fhirBase.startsWith('/')) return { problem: 'The FHIR base path starts with "/", e.g. /fhir.' };
  const iuaText = byId('req-iua')?.value.trim() ?? '';
  let iua = null;
  if (iuaText !== '') {
    try {
      iua = JSON.parse(iuaText);
    } catch (e) {
      return { problem: `The IUA rules are not JSON: ${e.message}` };
    }
    if (iua === null || typeof iua !== 'object' || Array.isArray(iua)) return { problem: 'The IUA rules are one JSON object, e.g. {"consent": "patient"}.' };
    if (fhirBase === '') return { problem: 'IUA rules apply to the FHIR route: give its base path.' };
  }
  return { method: METHODS.has(method) ? method : 'GET', path, query: rest.join('?'), headers, fhirBase, iua };
}

/**
 * Decide and draw. `token`: the token as the core read it (no scheme word); `options`: the
 * verify() options the page's policy fields and keys make (with "now").
 */
export async function testRequest(box, { token, options, reasons, isCurrent = () => true }) {
  const request = readRequest();
  if (request.problem) {
    replace(box, el('p', { class: 'field-problem' }, request.problem));
    box.dataset.state = 'problem';
    return;
  }
  if (token === '') {
    replace(box, el('p', { class: 'hint' }, 'Paste a token above to test a request with it.'));
    box.dataset.state = 'empty';
    return;
  }
  if (reasons.length > 0) {
    replace(box, el('p', { class: 'hint' }, 'The keys and policy below need fixing first: ', reasons.join(' ')));
    box.dataset.state = 'problem';
    return;
  }
  const headers = [...request.headers, ['authorization', `Bearer ${token}`]];
  const { now, ...policy } = options;
  const decideWith = (iua) => {
    const route = { path_prefix: request.fhirBase, fhir: true, ...(iua ? { iua } : {}) };
    return createVerifier({ ...policy, routes: request.fhirBase === '' ? [] : [route] }).decide(
      { method: request.method, path: request.path, query: request.query, headers },
      { now, fetchKeys: false },
    );
  };
  let d;
  let rules = [];
  try {
    d = await decideWith(request.iua);
    rules = await eachRule(request.iua, decideWith);
  } catch (e) {
    if (!isCurrent()) return;
    replace(box, el('p', { class: 'field-problem' }, String(e?.message ?? e)));
    box.dataset.state = 'problem';
    return;
  }
  if (!isCurrent()) return; // a newer edit has taken over
  renderDecision(box, d, { request, noKeys: options.keys === undefined, rules });
}

/** Each IUA rule alone (the core splits them and decides each): [name, what became of it]. */
async function eachRule(iua, decideWith) {
  if (!iua) return [];
  const out = [];
  for (const [name, alone] of iuaRulesAlone(iua)) {
    const d = await decideWith(alone);
    const rule = typeof d.log.rule === 'string' ? d.log.rule : '';
    if (d.allow) out.push([name, 'met']);
    else if (rule.startsWith('iua.')) out.push([name, `not met: ${d.log.reason}`]);
    else out.push([name, `not reached: the request is refused before it (${rule || d.log.reason})`]);
  }
  return out;
}

function renderDecision(box, d, { request, noKeys, rules = [] }) {
  box.dataset.state = d.allow ? 'allowed' : 'refused';
  box.dataset.status = String(d.status);
  const body = parseBody(d.body);
  const code = body?.error ? ` ${body.error}` : '';
  const parts = [
    el('p', { class: 'decision-title' }, d.allow ? `Allowed (${d.status})` : `Refused: ${d.status}${code}`),
    el('p', { class: 'decision-reason' }, d.log.reason),
  ];
  const facts = [
    ['Request', `${request.method} ${request.path}${request.query ? `?${request.query}` : ''}`],
    [
      'Route',
      d.log.route
        ? `${d.log.route}${d.log.route === request.fhirBase ? ' (FHIR: the request is read as a FHIR interaction and needs a SMART scope that grants it)' : ''}`
        : 'none: a valid token is all this path needs',
    ],
  ];
  if (d.log.interaction) facts.push(['FHIR interaction', d.log.interaction]);
  if (d.log.scope) facts.push([d.allow ? 'Granted by' : 'Scope needed', d.log.scope]);
  if (d.log.rule) facts.push(['Rule', d.log.rule]);
  if (d.break_glass) facts.push(['Break-the-glass', 'allowed only by an emergency purpose of use; flagged upstream and in the audit record']);
  for (const [name, outcome] of rules) facts.push([`IUA rule ${name}`, outcome]);
  if (d.upstream_path) facts.push(['Forwarded as', d.upstream_path]);
  if (d.www_authenticate) facts.push(['WWW-Authenticate', d.www_authenticate]);
  for (const [name, value] of d.set_headers) facts.push([`Sent upstream: ${name}`, value]);
  parts.push(el('dl', { class: 'kv' }, facts.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])));
  const errors = body?.errors ?? [];
  if (errors.length > 0) parts.push(problemList(errors, 'errors'));
  if (!d.allow && noKeys && errors.some((e) => e.code === 'key_not_found')) {
    parts.push(el('p', { class: 'hint' }, "No trusted keys are given: paste the issuer's key set above to check the signature."));
  }
  if (d.audit_event) {
    parts.push(el('details', { class: 'audit-event', id: 'audit-event' },
      el('summary', {}, 'Audit record: the IHE BALP AuditEvent (FHIR R4) the gateway writes for this decision'),
      el('pre', {}, JSON.stringify(d.audit_event, null, 2))));
  }
  replace(box, ...parts);
}

function parseBody(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** Offer a FHIR request in the token's patient compartment, until the person types their own. */
let suggested = '';
export function suggestRequest(payload) {
  const field = byId('req-path');
  const base = byId('req-fhir-base').value.trim().replace(/\/+$/, '') || '/fhir';
  const patient = typeof payload?.patient === 'string' ? payload.patient : '';
  const want = patient ? `${base}/Observation?patient=${encodeURIComponent(patient)}` : `${base}/Patient`;
  if (field.value === '' || field.value === suggested) {
    field.value = want;
    suggested = want;
  }
}
