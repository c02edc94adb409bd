// An HTTP request as the core's guard reads it: `{ method, path, query, headers: [[name, value]],
// origin?, client_cert_sha256? }`. Accepts a Fetch API `Request` (workerd, browsers, Node) or a
// plain description (with `url`, or `path` and an optional `origin`).

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

/**
 * The core's request JSON for `request` (the core asks for the body separately).
 * The method and path go to the core as given: the core decides what a lower-case method or an
 * odd path means (it refuses them), not this shim. Throws OptionsError when it cannot describe one.
 */
export function requestJson(request, clientCertSha256) {
  if (request === null || typeof request !== 'object') {
    throw new OptionsError('the request must be a Request or { method, path, query?, headers?, body? }.');
  }
  // The external origin (for a DPoP proof's htu) and the verified client certificate's
  // thumbprint (for certificate-bound tokens) go to the core as given: the core checks them.
  const cert = clientCertSha256 ?? request.clientCertSha256;
  const extra = {};
  if (typeof cert === 'string') extra.client_cert_sha256 = cert;
  if (typeof request.origin === 'string') extra.origin = request.origin;
  const described = (o) => JSON.stringify({ ...o, ...extra });
  if (typeof request.url === 'string' && request.path === undefined) {
    const url = new URL(request.url, 'http://host.invalid');
    // Only an absolute URL says which origin the client called.
    if (/^https?:\/\//i.test(request.url) && extra.origin === undefined) extra.origin = url.origin;
    return described({
      method: String(request.method ?? 'GET'),
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
  return described({
    method: String(request.method ?? 'GET'),
    path,
    query: String(query),
    headers: headerPairs(request.headers),
  });
}

/**
 * The body of `request`, at most `max + 1` bytes of it (one past the guard's limit is
 * how the core knows it is too large). A Fetch API `Request` is read from a clone, so the caller
 * can still forward it; a plain description gives its `body` (a string or bytes).
 */
export async function bodyOf(request, max) {
  let bytes;
  if (typeof request.path !== 'string' && typeof request.clone === 'function') {
    bytes = await readCapped(request.clone().body, max + 1);
  } else if (typeof request.body === 'string') {
    bytes = new TextEncoder().encode(request.body);
  } else if (request.body instanceof Uint8Array || request.body instanceof ArrayBuffer) {
    bytes = new Uint8Array(request.body);
  } else {
    bytes = new Uint8Array(0);
  }
  return bytes.subarray(0, max + 1);
}

/**
 * At most `cap` bytes of a ReadableStream (null: none), as one array no longer than what came;
 * the stream is cancelled once `cap` bytes are in.
 */
export async function readCapped(stream, cap) {
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks = [];
  let total = 0;
  while (total < cap) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.byteLength;
  }
  if (total >= cap) await reader.cancel().catch(() => {});
  const out = new Uint8Array(Math.min(total, cap));
  let at = 0;
  for (const c of chunks) {
    const part = c.subarray(0, out.length - at);
    out.set(part, at);
    at += part.byteLength;
    if (at >= out.length) break;
  }
  return out;
}

/** Bytes of `text` in UTF-8, without encoding it. */
export function utf8Length(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4; // a surrogate pair
      i += 1;
    } else n += 3; // the rest of the BMP; a lone surrogate becomes U+FFFD
  }
  return n;
}

/**
 * The core's decision on a request description over `maxBytes`, from its length, method and
 * path alone (`oversized` is the core's `decideOversized`), or null: checked before the
 * description is copied into WebAssembly memory. UTF-16 length ≤ UTF-8 bytes, so a description
 * within `maxBytes` code units is at most three times that in bytes.
 */
export function oversizedRequest(json, maxBytes, oversized) {
  if (json.length <= maxBytes) return null;
  const { method, path } = JSON.parse(json);
  const step = oversized(String(method).slice(0, 16), String(path).slice(0, 1024), utf8Length(json));
  return step ? JSON.parse(step).decision : null;
}
