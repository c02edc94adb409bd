//! A public key ready to verify with, whatever format it arrived in. Constructors validate:
//! RSA moduli of at least 2048 bits, EC points on their curve, Ed25519 keys not of small order.

use super::kernels::ecdsa::{
    Curve, EcdsaKey, NistP256, NistP384, NistP521, P256Key, P384Key, P521Key,
};
use super::kernels::field::FieldSpec;
use super::kernels::rsa_modexp::RsaPublicKey;

/// RSA keys below this size are refused (RFC 7518 §3.3 requires 2048 bits or more).
pub const MIN_RSA_BITS: usize = 2048;
const MAX_RSA_BITS: usize = 8192;

/// Verification key material.
#[derive(Clone)]
pub enum KeyMaterial {
    Rsa(RsaPublicKey),
    /// An RSA key published as `id-RSASSA-PSS` (RFC 4055 §1.2): for RSASSA-PSS only, so PS*
    /// tokens and never RS*.
    RsaPss(RsaPublicKey),
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

    /// EC public keys in their SEC 1 form, uncompressed or compressed: decoded, decompressed
    /// and checked to be on the curve by the verification kernel, then kept prepared.
    pub fn p256_sec1(point: &[u8]) -> Result<KeyMaterial, String> {
        ec_key::<NistP256, _>("P-256", point).map(KeyMaterial::P256)
    }

    pub fn p384_sec1(point: &[u8]) -> Result<KeyMaterial, String> {
        ec_key::<NistP384, _>("P-384", point).map(KeyMaterial::P384)
    }

    pub fn p521_sec1(point: &[u8]) -> Result<KeyMaterial, String> {
        ec_key::<NistP521, _>("P-521", point).map(KeyMaterial::P521)
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
            KeyMaterial::RsaPss(k) => {
                format!("an RSA {}-bit key for RSASSA-PSS only", k.size() * 8)
            }
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
            KeyMaterial::Rsa(_) | KeyMaterial::RsaPss(_) => "RSA",
            KeyMaterial::P256(_) | KeyMaterial::P384(_) | KeyMaterial::P521(_) => "EC",
            KeyMaterial::Ed25519(_) => "OKP",
            KeyMaterial::Oct(_) => "oct",
        }
    }
}

/// A prepared EC key from its SEC 1 encoding, or why it was refused: its form, or its place on
/// the curve.
fn ec_key<C: Curve<N>, const N: usize>(
    curve: &str,
    point: &[u8],
) -> Result<EcdsaKey<C, N>, String> {
    if let Some(key) = EcdsaKey::from_sec1(point) {
        return Ok(key);
    }
    let field = C::Field::BYTES;
    let Some(&tag) = point.first() else {
        return Err(format!("the {curve} public key is empty"));
    };
    Err(match (tag, point.len()) {
        (0x04, l) if l == 1 + 2 * field => {
            format!("the {curve} public key is not a point on the curve")
        }
        (0x02 | 0x03, l) if l == 1 + field => {
            format!("the {curve} public key's x-coordinate is not on the curve")
        }
        _ => {
            // Name the forms people meet that SEC 1 public keys must not take.
            let form = match tag {
                0x00 => " (the point at infinity)",
                0x05 => " (the non-standard compact form)",
                0x06 | 0x07 => " (the hybrid form)",
                _ => "",
            };
            format!(
                "the {curve} public key is not a SEC 1 point: expected 04‖x‖y ({} bytes) or \
                 02/03‖x ({} bytes), got {} bytes beginning with {tag:02x}{form}",
                1 + 2 * field,
                1 + field,
                point.len()
            )
        }
    })
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
