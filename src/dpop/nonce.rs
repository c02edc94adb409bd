//! Server nonces (RFC 9449 §8–9), kept without state: a nonce is an HMAC of the current time
//! window under the policy's `token.dpop_nonce_secret`, so every isolate and every Envoy VM that
//! shares the policy issues and accepts the same nonces. A nonce is accepted in its window and
//! the next one (`token.dpop_max_age` seconds each), which bounds how long a proof made with it
//! can be used even before the replay memory and `iat` checks.

use crate::token::base64url;
use ::hmac::{KeyInit, Mac};
use subtle::ConstantTimeEq;

/// The shortest secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

fn window(now: i64, length: u64) -> i64 {
    now.div_euclid(i64::try_from(length.max(1)).unwrap_or(i64::MAX))
}

fn nonce_for(secret: &str, window: i64) -> String {
    // A secret of any length is a valid HMAC key; the policy check asks for 32 bytes or more.
    let Ok(mut mac) = ::hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(b"azlens dpop nonce ");
    mac.update(&window.to_be_bytes());
    base64url::encode(&mac.finalize().into_bytes()[..18])
}

/// The nonce to hand out at `now`.
pub fn current(secret: &str, now: i64, length: u64) -> String {
    nonce_for(secret, window(now, length))
}

/// Is `nonce` one this server issued for the current or the previous window?
pub fn accepts(secret: &str, nonce: &str, now: i64, length: u64) -> bool {
    let w = window(now, length);
    [w, w.saturating_sub(1)]
        .iter()
        .any(|w| bool::from(nonce_for(secret, *w).as_bytes().ct_eq(nonce.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a nonce secret of thirty-two bytes!";

    #[test]
    fn nonces_last_two_windows() {
        let n = current(SECRET, 1000, 60);
        assert_eq!(n.len(), 24);
        assert!(accepts(SECRET, &n, 1000, 60));
        assert!(accepts(SECRET, &n, 1079, 60));
        assert!(!accepts(SECRET, &n, 1080, 60));
        assert!(!accepts("another secret of thirty-two bytes", &n, 1000, 60));
        assert!(!accepts(SECRET, "", 1000, 60));
    }
}
