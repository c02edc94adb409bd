// The key fetcher: runs in a sandboxed frame of the inspector (opaque origin, its own CSP that
// allows https: and loopback http). The page posts it an address; it fetches the key set with
// the JS shim's bounded HTTP (https only, no redirects, a timeout, a size cap) and discovery
// order, and posts back the text. It is never given the token.

import { fetchText, checkUrl } from '/js/http.js';
import { discoveryUrls } from '/js/keys.js';

const HTTP = { timeoutMs: 10_000, maxBytes: 65_536, allowLoopbackHttp: true };

async function viaDiscovery(issuer) {
  const problems = [];
  for (const url of discoveryUrls(issuer)) {
    let doc;
    try {
      doc = JSON.parse((await fetchText(url, HTTP)).text);
    } catch (e) {
      problems.push(e instanceof SyntaxError ? `${url} is not JSON.` : e.message);
      continue;
    }
    if (doc?.issuer !== issuer) {
      problems.push(`${url} names the issuer ${JSON.stringify(doc?.issuer)}, not "${issuer}" (refused: a mismatch means the wrong server).`);
      continue;
    }
    if (typeof doc.jwks_uri !== 'string') {
      problems.push(`${url} has no "jwks_uri".`);
      continue;
    }
    checkUrl(doc.jwks_uri, HTTP);
    const { text } = await fetchText(doc.jwks_uri, HTTP);
    return { text, message: `Fetched the key set of ${issuer} from ${doc.jwks_uri} (found by ${url}).` };
  }
  throw new Error(`Discovery of ${issuer} failed: ${problems.join(' ')}`);
}

async function direct(url) {
  const { text } = await fetchText(url, HTTP);
  return { text, message: `Fetched the key set from ${url}.` };
}

window.addEventListener('message', async (event) => {
  if (event.source !== window.parent) return;
  const { type, id, kind, url } = event.data ?? {};
  if (type !== 'fetch' || typeof url !== 'string') return;
  let answer;
  try {
    answer = { ok: true, ...(kind === 'jwks' ? await direct(url) : await viaDiscovery(url)) };
  } catch (e) {
    answer = { ok: false, message: e?.message ?? String(e) };
  }
  window.parent.postMessage({ type: 'result', id, ...answer }, '*');
});

window.parent.postMessage({ type: 'ready' }, '*');
