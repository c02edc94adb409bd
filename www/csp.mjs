// The Content-Security-Policies of the inspector, in one place: the server sends them as
// headers, and the pages repeat them in a <meta http-equiv> (the tests check the two agree), so
// the page stays locked down even when opened from another static server.
//
// The page that holds the token can reach nothing but its own origin: `connect-src 'self'` is
// the wasm module. Fetching an issuer's keys is the one thing that needs the network, and it is
// done by a separate document, /fetch-keys.html, created only when the user clicks "Fetch keys",
// in a sandboxed iframe (opaque origin: it cannot read the page, and the page's scripts cannot
// borrow its network rights by reaching into it). The fetcher is told a URL and answers with the
// text it fetched; it never sees the token. Its own policy allows https: and loopback http
// (local development issuers) for connect-src and nothing else.
//
// `frame-ancestors` is honoured only as a header (browsers ignore and complain about it in
// <meta>), so the meta copies leave it out.

const common = ["default-src 'none'", "base-uri 'none'", "form-action 'none'"];

/** The page: scripts and the wasm module from this origin only, no network beyond it. */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  // Only for the key fetcher (same origin, sandboxed); nothing else may be framed.
  "frame-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The key fetcher: its own scripts, and connections to https: and loopback http. (No
 * `http://[::1]:*`: CSP host sources have no IPv6 literals, and Chromium reports the source as
 * invalid on every load; an IPv6 loopback issuer is reached as `localhost`.)
 */
export const FETCHER_CSP = [
  ...common.slice(0, 1),
  "script-src 'self'",
  'connect-src https: http://127.0.0.1:* http://localhost:*',
  ...common.slice(1),
  "frame-ancestors 'self'",
].join('; ');

/** The policy as a <meta http-equiv> carries it (without `frame-ancestors`). */
export function metaVersion(csp) {
  return csp
    .split('; ')
    .filter((d) => !d.startsWith('frame-ancestors'))
    .join('; ');
}
