//! What the key-set lifecycle's tests (here and in the Envoy manager) share: a key-set URL, an
//! instant, key-set bytes, a fetch's completion and the timing they run under.

use super::freshness::Timing;
use super::response::Completion;
use crate::policy::hosts::KeyCache;

pub(crate) const URL: &str = "https://as.example/jwks";
/// An instant, in milliseconds since the epoch.
pub(crate) const T0: u64 = 1_800_000_000_000;

/// A JWKS of HMAC keys named `kids` (the same secret: only the `kid`s tell them apart).
pub(crate) fn jwks(kids: &[&str]) -> Vec<u8> {
    let keys: Vec<String> = kids
        .iter()
        .map(|k| format!(r#"{{"kty":"oct","kid":"{k}","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}}"#))
        .collect();
    format!(r#"{{"keys":[{}]}}"#, keys.join(",")).into_bytes()
}

/// A fetch answered with `status`, `headers` and `body`.
pub(crate) fn completion(status: u16, headers: &[(&str, &str)], body: Vec<u8>) -> Completion {
    Completion::Response {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body,
    }
}

/// A 30 s unknown-`kid` cooldown and 100 s of stale serving.
pub(crate) fn timing() -> Timing {
    Timing::of(&KeyCache {
        refetch_cooldown: 30,
        stale_for: 100,
        ..KeyCache::default()
    })
}
