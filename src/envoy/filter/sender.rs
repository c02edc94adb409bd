//! What a sender-constrained token needs from the connection, as Envoy tells it: the external
//! origin (`:scheme` and `:authority`, for a DPoP proof's `htu`; `token.public_origin` in the
//! policy overrides it when a TLS-terminating proxy stands in front) and the SHA-256 digest of
//! the client certificate of a mutual-TLS connection (RFC 8705). The checks are the core's.

use crate::guard::Request;
use proxy_wasm::hostcalls;

/// Fill in `req.client_cert_sha256` (`req.origin` comes with the headers:
/// [`crate::envoy::exchange::request_from_headers`]).
pub fn connection_facts(req: &mut Request) {
    // Present only on a TLS connection whose client sent a certificate; the TLS handshake
    // proved the client holds its private key.
    req.client_cert_sha256 =
        hostcalls::get_property(vec!["connection", "sha256_peer_certificate_digest"])
            .ok()
            .flatten()
            .and_then(|b| String::from_utf8(b).ok())
            .filter(|s| !s.is_empty());
}
