//! What a finished fetch of a key-set URL is worth: only a 200 whose body is a readable key set
//! with at least one usable key (or CRL) replaces what is served. An error page, an empty set or
//! garbage is a failure: the last good set stays, and the slot backs off ([`super::Slot::record`]).

use super::freshness::Timing;
use super::response::Completion;
use crate::keys::KeySet;
use crate::limits::Limits;
use sha2::Digest;

/// A response worth serving.
#[derive(Debug, Clone)]
pub struct Good {
    /// The parsed set (parsed once, here).
    pub keys: KeySet,
    pub fresh: Fresh,
}

/// What the slot keeps of a usable document ([`super::Slot::record`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fresh {
    /// SHA-256 of the bytes, hex: the same bytes are the same generation.
    pub digest: String,
    /// Milliseconds it stays fresh from its arrival.
    pub fresh_for: u64,
}

/// Read the completion of a fetch of `url` that finished at `now`.
pub fn check(
    url: &str,
    completion: &Completion,
    now: u64,
    timing: &Timing,
    limits: &Limits,
) -> Result<Good, String> {
    let body = completion.ok_body(url)?;
    let keys = KeySet::parse(body, limits)
        .map_err(|p| format!("{url} holds no usable key set: {}", p.message))?;
    if keys.is_empty() && keys.crls().is_empty() {
        return Err(format!(
            "{url} holds no usable key set: the response holds no usable key (or CRL)"
        ));
    }
    Ok(Good {
        keys,
        fresh: Fresh {
            digest: digest(body),
            fresh_for: timing.fresh_for_response(completion, now),
        },
    })
}

/// SHA-256 of `bytes`, hex.
pub fn digest(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
#[path = "complete_tests.rs"]
mod tests;
