//! ECDSA over P-256, P-384 and P-521 (RFC 7518 §3.4): the JWS form is the fixed-width `r ‖ s`,
//! never DER. `r` and `s` must lie in [1, n-1], which rules out the "psychic" all-zero signature
//! (CVE-2022-21449). All three curves run on the wasm32 kernel in [`super::kernels::ecdsa`].

use super::kernels::ecdsa::EcdsaError;
use super::{Algorithm, SignatureError};
use crate::keys::KeyMaterial;

pub(super) fn verify(
    alg: Algorithm,
    key: &KeyMaterial,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    let digest = alg.hash().digest(message);
    let outcome = match (alg, key) {
        (Algorithm::ES256, KeyMaterial::P256(k)) => {
            check_width(signature, 32)?;
            k.verify_prehash(&digest, signature)
        }
        (Algorithm::ES384, KeyMaterial::P384(k)) => {
            check_width(signature, 48)?;
            k.verify_prehash(&digest, signature)
        }
        (Algorithm::ES512, KeyMaterial::P521(k)) => {
            check_width(signature, 66)?;
            k.verify_prehash(&digest, signature)
        }
        _ => {
            let curve = match alg {
                Algorithm::ES256 => "P-256",
                Algorithm::ES384 => "P-384",
                _ => "P-521",
            };
            return Err(SignatureError::KeyMismatch(format!(
                "{alg} needs an EC key on {curve}, not {}",
                key.describe()
            )));
        }
    };
    kernel_outcome(outcome)
}

fn kernel_outcome(outcome: Result<(), EcdsaError>) -> Result<(), SignatureError> {
    outcome.map_err(|e| match e {
        EcdsaError::OutOfRange => out_of_range(),
        EcdsaError::Length | EcdsaError::Mismatch => mismatch(),
    })
}

fn mismatch() -> SignatureError {
    SignatureError::Invalid("the ECDSA signature does not match".into())
}

fn check_width(signature: &[u8], scalar_len: usize) -> Result<(), SignatureError> {
    if signature.len() == 2 * scalar_len {
        return Ok(());
    }
    let hint = if signature.first() == Some(&0x30) {
        " (it looks DER-encoded, which JWS does not use)"
    } else {
        ""
    };
    Err(SignatureError::Invalid(format!(
        "an ECDSA signature here is r‖s, {} bytes; this one is {} bytes{hint}",
        2 * scalar_len,
        signature.len()
    )))
}

fn out_of_range() -> SignatureError {
    SignatureError::Invalid("r or s is zero or not below the group order".into())
}
