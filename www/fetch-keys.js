// The key fetcher: runs in a sandboxed frame of the inspector (opaque origin, its own CSP that
// allows https: and loopback http). It only moves bytes: the page posts it an address the core
// has already checked (keys-panel.js drives discovery and the URL rules through the core), it
// fetches with the JS shim's bounded HTTP (no redirects, a timeout, a size cap) and posts back
// the text and headers. It is never given the token.

import { fetchText } from '/js/http.js';

const HTTP = { timeoutMs: 10_000, maxBytes: 65_536 };

window.addEventListener('message', async (event) => {
  if (event.source !== window.parent) return;
  const { type, id, url } = event.data ?? {};
  if (type !== 'fetch' || typeof url !== 'string') return;
  let answer;
  try {
    const { status, headers, text } = await fetchText(url, HTTP);
    answer = { ok: true, status, headers: [...headers], text };
  } catch (e) {
    answer = { ok: false, message: e?.message ?? String(e) };
  }
  window.parent.postMessage({ type: 'result', id, ...answer }, '*');
});

window.parent.postMessage({ type: 'ready' }, '*');
