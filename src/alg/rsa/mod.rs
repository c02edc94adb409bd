//! RSASSA-PKCS1-v1_5 (RS*) and RSASSA-PSS (PS*, MGF1 with the same hash, salt length = hash
//! length, RFC 7518 §3.5), on the wasm32 kernel in [`super::kernels::rsa_modexp`].
//!
//! Verification runs RSAVP1 (`s^e mod n`) and then checks the encoded message: PKCS#1 v1.5 by
//! building the one expected encoding and comparing bytes (no parsing of the decrypted block,
//! so no parser to fool), PSS by EMSA-PSS-VERIFY.

mod emsa_pkcs1v15;
mod emsa_pss;

use super::kernels::rsa_modexp::RsaPublicKey;
use super::{Hash, SignatureError};

pub(super) fn verify_pkcs1(
    hash: Hash,
    key: &RsaPublicKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    let em = public_op(key, signature)?;
    if emsa_pkcs1v15::matches(hash, &hash.digest(message), &em) {
        Ok(())
    } else {
        Err(SignatureError::Invalid(
            "the RSA PKCS#1 v1.5 signature does not match".into(),
        ))
    }
}

pub(super) fn verify_pss(
    hash: Hash,
    key: &RsaPublicKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    let em = public_op(key, signature)?;
    if emsa_pss::verify(hash, &hash.digest(message), &em, key.bits() - 1) {
        Ok(())
    } else {
        Err(SignatureError::Invalid(
            "the RSA-PSS signature does not match".into(),
        ))
    }
}

/// RSAVP1 after the length check: the encoded message, `key.size()` bytes.
fn public_op(key: &RsaPublicKey, signature: &[u8]) -> Result<Vec<u8>, SignatureError> {
    if signature.len() != key.size() {
        return Err(SignatureError::Invalid(format!(
            "an RSA signature for this {}-bit key is {} bytes, this one is {}",
            key.size() * 8,
            key.size(),
            signature.len()
        )));
    }
    key.public_op(signature).ok_or_else(|| {
        SignatureError::Invalid("the RSA signature is not below the key's modulus".into())
    })
}
