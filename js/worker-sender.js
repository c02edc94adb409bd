// What a sender-constrained token needs to know about the connection, as workerd tells it:
// the external origin the client called (a DPoP proof's `htu`) and the SHA-256 thumbprint of
// the client certificate Cloudflare verified (RFC 8705 certificate-bound tokens). The checks
// are the core's (src/dpop/); this only moves the facts.

/**
 * `{ origin, client_cert_sha256? }` for the core's request description. A certificate counts
 * only when Cloudflare verified it (`certVerified: "SUCCESS"`, mTLS on the zone).
 */
export function senderFacts(request, url) {
  const facts = { origin: url.origin };
  const tls = request.cf?.tlsClientAuth;
  const fingerprint = tls?.certFingerprintSHA256;
  if (tls?.certVerified === 'SUCCESS' && typeof fingerprint === 'string' && fingerprint !== '') {
    facts.client_cert_sha256 = fingerprint;
  }
  return facts;
}
