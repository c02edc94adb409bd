//! ECDSA over P-256, P-384 and P-521 (RFC 7518 §3.4): the JWS form is the fixed-width `r ‖ s`,
//! never DER. `r` and `s` must lie in [1, n-1], which rules out the "psychic" all-zero signature
//! (CVE-2022-21449). All three curves run on the wasm32 kernel in [`super::kernels::ecdsa`].

use super::kernels::ecdsa::EcdsaError;
use super::KeyMaterial;
use super::{Algorithm, SignatureError};

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

/// ECDSA as X.509 certificates and CRLs carry it (RFC 5758 §3.2, RFC 3279 §2.2.3): a DER
/// `Ecdsa-Sig-Value`, and any SHA-2 hash on any curve, the digest cut to the group order's
/// length (SEC 1 §4.1.4 step 5; for P-256 and P-384 the order's bit length is a whole number
/// of bytes, and SHA-512 fits P-521's order).
pub(super) fn verify_der(
    hash: super::Hash,
    key: &KeyMaterial,
    message: &[u8],
    der_signature: &[u8],
) -> Result<(), SignatureError> {
    let width = match key {
        KeyMaterial::P256(_) => 32,
        KeyMaterial::P384(_) => 48,
        KeyMaterial::P521(_) => 66,
        other => {
            return Err(SignatureError::KeyMismatch(format!(
                "an ECDSA signature cannot be verified with {}",
                other.describe()
            )))
        }
    };
    let rs = der_to_fixed(der_signature, width).ok_or_else(|| {
        SignatureError::Invalid("the ECDSA signature is not a DER Ecdsa-Sig-Value".into())
    })?;
    let mut digest = hash.digest(message);
    digest.truncate(width.min(64));
    let outcome = match key {
        KeyMaterial::P256(k) => k.verify_prehash(&digest, &rs),
        KeyMaterial::P384(k) => k.verify_prehash(&digest, &rs),
        KeyMaterial::P521(k) => k.verify_prehash(&digest, &rs),
        _ => Err(EcdsaError::Mismatch),
    };
    kernel_outcome(outcome)
}

/// `SEQUENCE { r INTEGER, s INTEGER }` → `r ‖ s`, each left-padded to `width` bytes.
fn der_to_fixed(der: &[u8], width: usize) -> Option<Vec<u8>> {
    let mut outer = crate::der::Reader::new(der);
    let body = outer
        .element(crate::der::SEQUENCE, "an Ecdsa-Sig-Value")
        .ok()?;
    if !outer.is_empty() {
        return None;
    }
    let mut r = crate::der::Reader::new(body);
    let mut out = vec![0u8; 2 * width];
    for half in 0..2 {
        let n = r.unsigned_integer("r or s").ok()?;
        if n.len() > width {
            return None;
        }
        let end = (half + 1) * width;
        out[end - n.len()..end].copy_from_slice(n);
    }
    r.is_empty().then_some(out)
}
