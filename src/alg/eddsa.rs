//! Ed25519 (RFC 8037). Verification is strict: non-canonical `S`, small-order `R` and weak
//! (small-order) public keys are all rejected, so one message has no second accepted signature.

use super::SignatureError;
use ed25519_dalek::{Signature, VerifyingKey};

pub(super) fn verify(
    key: &VerifyingKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    let bytes: &[u8; 64] = signature.try_into().map_err(|_| {
        SignatureError::Invalid(format!(
            "an Ed25519 signature is 64 bytes; this one is {}",
            signature.len()
        ))
    })?;
    let sig = Signature::from_bytes(bytes);
    key.verify_strict(message, &sig)
        .map_err(|_| SignatureError::Invalid("the Ed25519 signature does not match".into()))
}
