// An HTTP request as the core's guard reads it: `{ method, path, query, headers: [[name, value]] }`.
// Accepts a Fetch API `Request` (workerd, browsers, Node) or a plain description.

import { OptionsError } from './options.js';

function headerPairs(headers) {
  if (headers === undefined || headers === null) return [];
  if (typeof headers.entries === 'function' && !Array.isArray(headers)) return [...headers.entries()];
  if (Array.isArray(headers)) return headers.map(([k, v]) => [String(k), String(v)]);
  if (typeof headers === 'object') {
    return Object.entries(headers).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, String(x)]) : [[k, String(v)]]));
  }
  throw new OptionsError('request headers must be a Headers object, an array of [name, value] or an object.');
}

/** The core's request JSON for `request`. Throws OptionsError when it cannot describe one. */
export function requestJson(request) {
  if (request === null || typeof request !== 'object') {
    throw new OptionsError('the request must be a Request or { method, path, query?, headers? }.');
  }
  if (typeof request.url === 'string' && request.path === undefined) {
    const url = new URL(request.url, 'http://host.invalid');
    return JSON.stringify({
      method: String(request.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: url.search.slice(1),
      headers: headerPairs(request.headers),
    });
  }
  if (typeof request.path !== 'string') throw new OptionsError('the request needs a `path` (or a `url`).');
  let { path, query = '' } = request;
  const at = path.indexOf('?');
  if (at >= 0 && request.query === undefined) {
    query = path.slice(at + 1);
    path = path.slice(0, at);
  }
  return JSON.stringify({
    method: String(request.method ?? 'GET').toUpperCase(),
    path,
    query: String(query),
    headers: headerPairs(request.headers),
  });
}
