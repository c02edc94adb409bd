//! HMAC with SHA-2 (RFC 7518 §3.2). The comparison is constant-time, and the key must be at
//! least as long as the hash output.

use super::{Hash, SignatureError};
use ::hmac::{KeyInit, Mac};

pub(super) fn verify(
    hash: Hash,
    secret: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    if secret.len() < hash.output_len() {
        return Err(SignatureError::KeyMismatch(format!(
            "an HMAC key for this algorithm must be at least {} bytes; this one is {}",
            hash.output_len(),
            secret.len()
        )));
    }
    let ok = match hash {
        Hash::Sha256 => mac::<::hmac::Hmac<sha2::Sha256>>(secret, message, signature),
        Hash::Sha384 => mac::<::hmac::Hmac<sha2::Sha384>>(secret, message, signature),
        Hash::Sha512 => mac::<::hmac::Hmac<sha2::Sha512>>(secret, message, signature),
    };
    if ok {
        Ok(())
    } else {
        Err(SignatureError::Invalid("the HMAC does not match".into()))
    }
}

fn mac<M: Mac + KeyInit>(secret: &[u8], message: &[u8], tag: &[u8]) -> bool {
    match <M as KeyInit>::new_from_slice(secret) {
        Ok(mut m) => {
            m.update(message);
            // verify_slice compares in constant time and rejects truncated tags.
            m.verify_slice(tag).is_ok()
        }
        Err(_) => false,
    }
}
