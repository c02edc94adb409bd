// The example: a SMART on FHIR access token with IHE IUA extensions and the key set that signed
// it (www/demo/, made by make-demo.mjs). Like a real access token it lives five minutes, so the
// example is checked as of its `iat`: the "now" field is set to that moment, and the page says
// so. The fields the example filled in are cleared again once the token is replaced, unless the
// person changed them.

import { byId } from './dom.js';
import { formatNow } from './policy-form.js';

let example = null; // { token, fields: { id: value } } while the example's settings are in place

/** Fetch the example files (same origin) → `{ token, jwks }`. */
export async function fetchExample() {
  const [token, jwks] = await Promise.all(['demo/token.txt', 'demo/jwks.json'].map(async (path) => {
    const res = await fetch(path, { cache: 'no-store' });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return (await res.text()).trim();
  }));
  return { token, jwks };
}

/** Fill the token, keys and policy fields for the example; `payload` is its decoded claims. */
export function applyExample({ token, jwks }, payload) {
  const fields = {
    keys: jwks,
    issuer: typeof payload?.iss === 'string' ? payload.iss : '',
    audience: typeof payload?.aud === 'string' ? payload.aud : '',
    now: Number.isFinite(payload?.iat) ? formatNow(payload.iat) : '',
  };
  byId('token').value = token;
  for (const [id, value] of Object.entries(fields)) byId(id).value = value;
  example = { token, fields };
  const note = byId('example-note');
  note.hidden = false;
  note.textContent = Number.isFinite(payload?.iat)
    ? `This is the example token, with its key set, issuer and audience filled in below. It lives five minutes, like a real access token, so "now" is set to the moment it was issued (${formatNow(payload.iat)}); choose "Use the current time" to see it expired.`
    : 'This is the example token, with its key set filled in below.';
}

/**
 * After the token changed: if it is no longer the example, clear the fields that still hold the
 * example's values. Returns a sentence saying what was cleared, or null.
 */
export function forgetExampleIfReplaced(currentToken) {
  if (!example || currentToken.trim() === example.token) return null;
  const cleared = [];
  for (const [id, value] of Object.entries(example.fields)) {
    const field = byId(id);
    if (value !== '' && field.value === value) {
      field.value = '';
      cleared.push(id === 'now' ? '"now"' : id);
    }
  }
  example = null;
  const note = byId('example-note');
  if (cleared.length === 0) {
    note.hidden = true;
    return null;
  }
  note.hidden = false;
  note.textContent = `The token is no longer the example, so the example's ${list(cleared)} ${cleared.length === 1 ? 'was' : 'were'} cleared.`;
  return note.textContent;
}

function list(items) {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
