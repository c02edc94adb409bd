// A scope claim as the grants it makes, as the core parsed them (the report's `grants`):
// patient/Observation.rs → read and search of Observation of the patient in context.

import { el } from './dom.js';

const LETTERS = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };

/** @param {{ scopes: object[], invalid?: object[] }} grants */
export function renderGrants(grants) {
  const items = grants.scopes.map((g) => el('li', {}, el('code', { class: 'chip' }, g.scope), ' ', describe(g)));
  for (const bad of grants.invalid ?? []) {
    items.push(el('li', { class: 'severity-error' }, el('code', { class: 'chip' }, bad.scope), ` grants nothing: ${bad.reason}`));
  }
  return el('ul', { class: 'grants' }, items);
}

function describe(g) {
  switch (g.kind) {
    case 'resource': {
      const what = Object.entries(LETTERS).filter(([k]) => g.permissions?.[k]).map(([, v]) => v);
      const type = g.resource_type === '*' ? 'every resource type' : g.resource_type;
      const query = (g.query ?? []).map((q) => `${q.name}=${q.value}`).join('&');
      const whose = { patient: 'of the patient in context', user: 'the user may see', system: 'the client may see' }[g.level] ?? '';
      return `${what.join(', ') || 'nothing'} of ${type} ${whose}${query ? `, only where ${query}` : ''}`;
    }
    case 'launch':
      return g.context ? `asks for a ${g.context} to be chosen at launch` : 'EHR launch';
    case 'identity':
      return 'identity of the user';
    case 'refresh':
      return 'a refresh token';
    default:
      return 'not a SMART scope';
  }
}
