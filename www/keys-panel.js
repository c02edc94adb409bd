// The one network action of the page, "Fetch keys": done by a sandboxed frame (fetch-keys.html,
// see csp.mjs for why) that is created on the first click and given only an address. The key
// set it fetches goes into the keys field, where the person can read it.

import { byId } from './dom.js';

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

/**
 * Ask the fetcher for a key set. `kind` is 'issuer' (discovery) or 'jwks' (a key set address).
 * Resolves to `{ ok, text?, jwksUri?, message }`.
 */
export async function fetchKeys(kind, url) {
  await Promise.race([
    fetcher(),
    new Promise((_, reject) => setTimeout(() => reject(new Error('The key fetcher did not start.')), 10_000)),
  ]);
  const id = nextId++;
  const answer = new Promise((resolve) => pending.set(id, resolve));
  frame.contentWindow.postMessage({ type: 'fetch', id, kind, url }, '*');
  return answer;
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
