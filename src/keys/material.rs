//! A public key ready to verify with, whatever format it arrived in. Constructors validate:
//! RSA moduli of at least 2048 bits, EC points on their curve, Ed25519 keys not of small order.

use crate::alg::kernels::ecdsa::{P256Key, P384Key, P521Key};
use crate::alg::kernels::rsa_modexp::RsaPublicKey;

/// RSA keys below this size are refused (RFC 7518 §3.3 requires 2048 bits or more).
pub const MIN_RSA_BITS: usize = 2048;
const MAX_RSA_BITS: usize = 8192;

/// Verification key material.
#[derive(Clone)]
pub enum KeyMaterial {
    Rsa(RsaPublicKey),
    P256(P256Key),
    P384(P384Key),
    P521(P521Key),
    Ed25519(ed25519_dalek::VerifyingKey),
    /// A shared secret for HMAC.
    Oct(Vec<u8>),
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secret bytes.
        f.write_str(&self.describe())
    }
}

impl KeyMaterial {
    /// RSA from big-endian modulus and exponent.
    pub fn rsa(n: &[u8], e: &[u8]) -> Result<KeyMaterial, String> {
        let n = strip_zeros(n);
        let e = strip_zeros(e);
        let bits = bit_length(n);
        if bits < MIN_RSA_BITS {
            return Err(format!(
                "the RSA key is {bits} bits; azlens requires at least {MIN_RSA_BITS} (RFC 7518 §3.3)"
            ));
        }
        if bits > MAX_RSA_BITS {
            return Err(format!(
                "the RSA key is {bits} bits; the largest accepted is {MAX_RSA_BITS}"
            ));
        }
        if e.len() > 8 {
            return Err("the RSA public exponent is implausibly large".into());
        }
        // Parsed once: the modulus goes into limbs with its Montgomery constants, so every
        // verification with this key starts at the exponentiation.
        let key = RsaPublicKey::new(n, e).map_err(|e| format!("the RSA key is not valid ({e})"))?;
        Ok(KeyMaterial::Rsa(key))
    }

    /// The point is decoded (and decompressed) by the `p256` crate, then prepared for the
    /// verification kernel, which checks it is on the curve once more.
    pub fn p256_sec1(point: &[u8]) -> Result<KeyMaterial, String> {
        const NOT_ON_CURVE: &str = "the P-256 public key is not a point on the curve";
        let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| NOT_ON_CURVE)?;
        let sec1 = key.to_sec1_point(false);
        let (x, y) = uncompressed_coordinates(sec1.as_bytes(), 32).ok_or(NOT_ON_CURVE)?;
        P256Key::from_coordinates(x, y)
            .map(KeyMaterial::P256)
            .ok_or_else(|| NOT_ON_CURVE.into())
    }

    pub fn p384_sec1(point: &[u8]) -> Result<KeyMaterial, String> {
        const NOT_ON_CURVE: &str = "the P-384 public key is not a point on the curve";
        let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| NOT_ON_CURVE)?;
        let sec1 = key.to_sec1_point(false);
        let (x, y) = uncompressed_coordinates(sec1.as_bytes(), 48).ok_or(NOT_ON_CURVE)?;
        P384Key::from_coordinates(x, y)
            .map(KeyMaterial::P384)
            .ok_or_else(|| NOT_ON_CURVE.into())
    }

    pub fn p521_sec1(point: &[u8]) -> Result<KeyMaterial, String> {
        const NOT_ON_CURVE: &str = "the P-521 public key is not a point on the curve";
        let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| NOT_ON_CURVE)?;
        let sec1 = key.to_sec1_point(false);
        let (x, y) = uncompressed_coordinates(sec1.as_bytes(), 66).ok_or(NOT_ON_CURVE)?;
        P521Key::from_coordinates(x, y)
            .map(KeyMaterial::P521)
            .ok_or_else(|| NOT_ON_CURVE.into())
    }

    pub fn ed25519(bytes: &[u8]) -> Result<KeyMaterial, String> {
        let arr: &[u8; 32] = bytes.try_into().map_err(|_| {
            format!(
                "an Ed25519 public key is 32 bytes; this one is {}",
                bytes.len()
            )
        })?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(arr)
            .map_err(|_| "the Ed25519 public key is not a valid curve point".to_owned())?;
        if key.is_weak() {
            return Err(
                "the Ed25519 public key has small order, so any signature could verify".into(),
            );
        }
        Ok(KeyMaterial::Ed25519(key))
    }

    pub fn oct(secret: &[u8]) -> Result<KeyMaterial, String> {
        if secret.is_empty() {
            return Err("the symmetric key is empty".into());
        }
        Ok(KeyMaterial::Oct(secret.to_vec()))
    }

    /// "an RSA 2048-bit key", "an EC P-256 key", …
    pub fn describe(&self) -> String {
        match self {
            KeyMaterial::Rsa(k) => format!("an RSA {}-bit key", k.size() * 8),
            KeyMaterial::P256(_) => "an EC P-256 key".into(),
            KeyMaterial::P384(_) => "an EC P-384 key".into(),
            KeyMaterial::P521(_) => "an EC P-521 key".into(),
            KeyMaterial::Ed25519(_) => "an Ed25519 key".into(),
            KeyMaterial::Oct(k) => format!("a {}-byte symmetric key", k.len()),
        }
    }

    /// The JWK `kty` this material corresponds to.
    pub fn kty(&self) -> &'static str {
        match self {
            KeyMaterial::Rsa(_) => "RSA",
            KeyMaterial::P256(_) | KeyMaterial::P384(_) | KeyMaterial::P521(_) => "EC",
            KeyMaterial::Ed25519(_) => "OKP",
            KeyMaterial::Oct(_) => "oct",
        }
    }
}

/// `(x, y)` from an uncompressed SEC1 point `04 ‖ x ‖ y`.
fn uncompressed_coordinates(sec1: &[u8], len: usize) -> Option<(&[u8], &[u8])> {
    match sec1.split_first() {
        Some((0x04, xy)) if xy.len() == 2 * len => Some(xy.split_at(len)),
        _ => None,
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let skip = b.iter().take_while(|&&x| x == 0).count();
    &b[skip..]
}

fn bit_length(b: &[u8]) -> usize {
    match b.first() {
        None => 0,
        Some(&top) => (b.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
    }
}
