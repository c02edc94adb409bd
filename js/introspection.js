// RFC 7662 token introspection, for opaque (non-JWT) access tokens: POST the token to the
// authorization server's introspection endpoint with client authentication, and cache an active
// answer no longer than its `exp` (and `cacheSeconds`). Inactive answers and failures are not
// cached, so a revoked token is never remembered as good past its own expiry.

import { fetchText, checkUrl, FetchError } from './http.js';
import { MemoryStore } from './store.js';
import { OptionsError } from './options.js';

/** The code of every introspection failure (network, HTTP status, not an RFC 7662 answer). */
export const INTROSPECTION_FAILED = 'introspection_failed';

const sharedStore = new MemoryStore({ maxEntries: 10_000 });
const CLIENT_AUTH = new Set(['client_secret_basic', 'client_secret_post', 'none']);

// RFC 6749 §2.3.1: client id and secret are form-urlencoded before Basic encoding.
const formEncode = (s) => encodeURIComponent(s).replace(/%20/g, '+');

function checkOptions(o) {
  if (o === null || typeof o !== 'object') throw new OptionsError('introspect() needs options with an `endpoint`.');
  if (typeof o.endpoint !== 'string') throw new OptionsError('`endpoint` (the introspection URL) is required.');
  try {
    checkUrl(o.endpoint, { allowLoopbackHttp: o.allowLoopbackHttp === true });
  } catch (e) {
    throw new OptionsError(e.message);
  }
  const auth = o.clientAuth ?? (o.clientSecret !== undefined ? 'client_secret_basic' : 'none');
  if (!CLIENT_AUTH.has(auth)) throw new OptionsError(`\`clientAuth\` is one of ${[...CLIENT_AUTH].join(', ')}.`);
  if (auth !== 'none' && (typeof o.clientId !== 'string' || typeof o.clientSecret !== 'string')) {
    throw new OptionsError(`\`clientAuth: "${auth}"\` needs \`clientId\` and \`clientSecret\` strings.`);
  }
  if (o.bearer !== undefined && typeof o.bearer !== 'string') throw new OptionsError('`bearer` must be a string.');
  if (o.store !== undefined && !['get', 'set', 'delete'].every((m) => typeof o.store?.[m] === 'function')) {
    throw new OptionsError('`store` must have async get, set and delete methods.');
  }
  for (const k of ['timeoutMs', 'maxBytes', 'cacheSeconds']) {
    if (o[k] !== undefined && !(Number.isFinite(o[k]) && o[k] >= 0)) throw new OptionsError(`\`${k}\` must be a number ≥ 0.`);
  }
  return auth;
}

async function cacheKey(endpoint, clientId, token) {
  const data = new TextEncoder().encode(`${endpoint}\n${clientId ?? ''}\n${token}`);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return 'azlens:introspection:' + Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Ask the authorization server whether `token` is active.
 * @param {string} token
 * @param {{ endpoint: string, clientId?: string, clientSecret?: string,
 *   clientAuth?: 'client_secret_basic'|'client_secret_post'|'none', bearer?: string,
 *   tokenTypeHint?: string, timeoutMs?: number, maxBytes?: number, allowLoopbackHttp?: boolean,
 *   cacheSeconds?: number, store?: object }} options
 * @returns {Promise<{ active: boolean, response: object|null, cached: boolean,
 *   errors: Array<{code: string, message: string}> }>}  Never rejects on the token or the
 *   server's answer; rejects with OptionsError on bad options.
 */
export async function introspect(token, options) {
  // The endpoint is checked by the core's URL rule: the core must be loaded (idempotent).
  await (await import('./index.js')).init();
  const auth = checkOptions(options);
  const { endpoint, clientId, clientSecret } = options;
  const store = options.store ?? sharedStore;
  const cacheSeconds = options.cacheSeconds ?? 60;
  const fail = (message) => ({ active: false, response: null, cached: false, errors: [{ code: INTROSPECTION_FAILED, message }] });
  if (typeof token !== 'string' || token.length === 0) return fail('The token to introspect is empty or not a string.');

  const key = cacheSeconds > 0 ? await cacheKey(endpoint, clientId, token) : null;
  if (key) {
    let hit;
    try {
      hit = await store.get(key);
    } catch {
      hit = undefined;
    }
    if (hit && hit.until > Date.now() && hit.response?.active === true) {
      return { active: true, response: hit.response, cached: true, errors: [] };
    }
  }

  const form = new URLSearchParams({ token });
  if (options.tokenTypeHint) form.set('token_type_hint', options.tokenTypeHint);
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth === 'client_secret_basic') {
    headers.authorization = 'Basic ' + btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`);
  } else if (auth === 'client_secret_post') {
    form.set('client_id', clientId);
    form.set('client_secret', clientSecret);
  } else if (typeof clientId === 'string') {
    form.set('client_id', clientId);
  }
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;

  let text;
  try {
    ({ text } = await fetchText(endpoint, {
      method: 'POST',
      headers,
      body: form.toString(),
      timeoutMs: options.timeoutMs ?? 5000,
      maxBytes: options.maxBytes ?? 65536,
      allowLoopbackHttp: options.allowLoopbackHttp === true,
    }));
  } catch (e) {
    return fail(e instanceof FetchError ? e.message : `Introspection failed: ${e?.message ?? e}`);
  }
  let response;
  try {
    response = JSON.parse(text);
  } catch {
    return fail(`${endpoint} did not answer with JSON.`);
  }
  if (response === null || typeof response !== 'object' || Array.isArray(response) || typeof response.active !== 'boolean') {
    return fail(`${endpoint} did not answer with an RFC 7662 response (a JSON object with a boolean "active").`);
  }
  const active = response.active === true;
  if (key && active) {
    const nowMs = Date.now();
    let until = nowMs + cacheSeconds * 1000;
    if (typeof response.exp === 'number') until = Math.min(until, response.exp * 1000);
    if (until > nowMs) {
      try {
        await store.set(key, { response, until }, (until - nowMs) / 1000);
      } catch {
        // Not cached: the next call asks the server again.
      }
    }
  }
  return { active, response, cached: false, errors: [] };
}
