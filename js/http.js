// Bounded HTTP for key sets, discovery documents and introspection: a timeout, a size cap, no
// redirects. Which URLs may be fetched is the core's rule (`checkUrl`), asked by the callers
// before they fetch. Errors are FetchError with a sentence a person can act on; nothing here
// knows what the bytes mean.

import { engine } from './engine.js';

export class FetchError extends Error {
  constructor(message) {
    super(message);
    this.name = 'FetchError';
  }
}

/**
 * `url`, or a FetchError saying why it may not be fetched: the core's rule (https only; plain
 * http on loopback with `allowLoopbackHttp`), src/fetch_url.rs. Needs the wasm module.
 */
export function checkUrl(url, { allowLoopbackHttp = false } = {}) {
  try {
    engine().KeySlots.checkUrl(String(url), allowLoopbackHttp === true);
  } catch (e) {
    throw new FetchError(e?.message ?? String(e));
  }
  return url;
}

/**
 * Fetch `url` (checked by the caller) and return `{ status, headers, text }` for a 200 response.
 * @param {string} url
 * @param {{ timeoutMs: number, maxBytes: number, allowLoopbackHttp?: boolean,
 *           method?: string, headers?: Record<string,string>, body?: string }} opts
 */
export async function fetchText(url, opts) {
  const { timeoutMs, maxBytes } = opts;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    let res;
    try {
      res = await fetch(url, {
        method: opts.method ?? 'GET',
        headers: { accept: 'application/json, application/jwk-set+json', ...opts.headers },
        body: opts.body,
        redirect: 'manual',
        signal: controller.signal,
      });
    } catch (e) {
      throw controller.signal.aborted
        ? new FetchError(`${url} did not answer within ${timeoutMs} ms.`)
        : new FetchError(`${url} could not be fetched: ${e?.cause?.message ?? e?.message ?? e}.`);
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      const what = res.status >= 300 && res.status < 400 ? ' (redirects are not followed)' : '';
      throw new FetchError(`${url} answered HTTP ${res.status || 'redirect'}${what}.`);
    }
    const declared = Number(res.headers.get('content-length'));
    if (declared > maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw new FetchError(`${url} sent ${declared} bytes; the limit is ${maxBytes} bytes.`);
    }
    const bytes = await readCapped(res, url, maxBytes, controller, timeoutMs);
    let text;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new FetchError(`${url} sent a body that is not UTF-8 text.`);
    }
    return { status: res.status, headers: res.headers, text };
  } finally {
    clearTimeout(timer);
  }
}

async function readCapped(res, url, maxBytes, controller, timeoutMs) {
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        controller.abort();
        throw new FetchError(`${url} sent more than ${maxBytes} bytes; the limit is ${maxBytes} bytes.`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof FetchError) throw e;
    throw controller.signal.aborted
      ? new FetchError(`${url} did not finish sending within ${timeoutMs} ms.`)
      : new FetchError(`${url} broke off while sending: ${e?.message ?? e}.`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
