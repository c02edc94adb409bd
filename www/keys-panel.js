// The one network action of the page, "Fetch keys": done by a sandboxed frame (fetch-keys.html,
// see csp.mjs for why) that is created on the first click and given only an address. Which
// addresses may be fetched and how discovery goes (the document order, the exact issuer match,
// the jwks_uri under the same URL rules) are the core's rules (src/keycache/), asked here; the
// frame only fetches. The key set goes into the keys field, where the person can read it.

import { byId } from './dom.js';
import { KeySlots, KeyDiscovery } from '/js/pkg/azlens.js';

/** Local development issuers are served over loopback http; the fetcher's CSP allows it. */
const ALLOW_LOOPBACK_HTTP = true;
const encoder = new TextEncoder();

let frame = null;
let frameReady = null;
let nextId = 1;
const pending = new Map();

window.addEventListener('message', (event) => {
  if (!frame || event.source !== frame.contentWindow) return;
  const msg = event.data;
  if (msg?.type === 'ready') {
    frameReady?.resolve();
  } else if (msg?.type === 'result' && pending.has(msg.id)) {
    pending.get(msg.id)(msg);
    pending.delete(msg.id);
  }
});

function fetcher() {
  if (frame) return frameReady.promise;
  let resolve;
  const promise = new Promise((r) => {
    resolve = r;
  });
  frameReady = { promise, resolve };
  // allow-scripts without allow-same-origin: an opaque origin that can reach neither this page
  // nor its storage; it answers by postMessage only.
  frame = document.createElement('iframe');
  frame.setAttribute('sandbox', 'allow-scripts');
  frame.setAttribute('src', 'fetch-keys.html');
  frame.setAttribute('title', 'Key fetcher (works in the background)');
  frame.setAttribute('aria-hidden', 'true');
  frame.tabIndex = -1;
  frame.className = 'fetcher';
  document.body.append(frame);
  return promise;
}

/** One fetch by the frame: `{ ok, status, headers, text }` or `{ ok: false, message }`. */
async function fetched(url) {
  await Promise.race([
    fetcher(),
    new Promise((_, reject) => setTimeout(() => reject(new Error('The key fetcher did not start.')), 10_000)),
  ]);
  const id = nextId++;
  const answer = new Promise((resolve) => pending.set(id, resolve));
  frame.contentWindow.postMessage({ type: 'fetch', id, url }, '*');
  return answer;
}

/** A key set from `url`, once the core allows the address. */
async function keySetAt(url) {
  try {
    KeySlots.checkUrl(url, ALLOW_LOOPBACK_HTTP);
  } catch (e) {
    return { ok: false, message: e?.message ?? String(e) };
  }
  const got = await fetched(url);
  return got.ok ? { ok: true, text: got.text } : got;
}

/** The core's discovery of `issuer`, step by step, the frame fetching each document. */
async function discover(issuer) {
  const discovery = new KeyDiscovery(issuer, ALLOW_LOOPBACK_HTTP);
  try {
    let step = JSON.parse(discovery.start());
    while (step.step === 'fetch') {
      const got = await fetched(step.url);
      step = JSON.parse(
        got.ok ? discovery.complete(got.status, JSON.stringify(got.headers), encoder.encode(got.text)) : discovery.failed(got.message),
      );
    }
    if (step.step !== 'found') return { ok: false, message: `Discovery of ${issuer} failed: ${step.problem}` };
    const keys = await keySetAt(step.jwks_uri);
    if (!keys.ok) return keys;
    return { ok: true, text: keys.text, message: `Fetched the key set of ${issuer} from ${step.jwks_uri} (found by ${step.document}).` };
  } finally {
    discovery.free();
  }
}

/**
 * Fetch a key set. `kind` is 'issuer' (discovery) or 'jwks' (a key set address).
 * Resolves to `{ ok, text?, message }`.
 */
export async function fetchKeys(kind, url) {
  if (kind !== 'jwks') return discover(url);
  const got = await keySetAt(url);
  return got.ok ? { ...got, message: `Fetched the key set from ${url}.` } : got;
}

/** Wire the "Fetch keys" button; `onKeys(text)` receives the fetched key set. */
export function setUpFetch({ onKeys }) {
  const button = byId('fetch-button');
  const status = byId('fetch-status');
  button.addEventListener('click', async () => {
    const url = byId('fetch-url').value.trim();
    const kind = document.querySelector('input[name="fetch-kind"]:checked')?.value ?? 'issuer';
    if (url === '') {
      status.textContent = 'Give the issuer (or the key set address) first.';
      return;
    }
    button.disabled = true;
    status.textContent = kind === 'issuer' ? `Discovering the keys of ${url}…` : `Fetching ${url}…`;
    try {
      const got = await fetchKeys(kind, url);
      status.textContent = got.message;
      if (got.ok) onKeys(got.text);
    } catch (e) {
      status.textContent = e.message;
    } finally {
      button.disabled = false;
    }
  });
}
