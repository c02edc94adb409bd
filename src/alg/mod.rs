//! JWS algorithms (RFC 7518 §3, RFC 8037): names, families, and one verifier per family.
//!
//! Only verification lives here. `none` is not an algorithm azlens knows, in any spelling.

mod ecdsa;
mod eddsa;
mod hmac;
pub mod kernels;
mod material;
mod rsa;

pub use material::{KeyMaterial, MIN_RSA_BITS};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A JWS signature algorithm azlens can verify.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    EdDSA,
    HS256,
    HS384,
    HS512,
}

/// The digest an algorithm signs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub fn output_len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        use sha2::Digest;
        match self {
            Hash::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

/// Families share a key type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    RsaPkcs1,
    RsaPss,
    Ecdsa,
    EdDsa,
    Hmac,
}

impl Algorithm {
    pub const ALL: [Algorithm; 13] = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
        Algorithm::EdDSA,
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
    ];

    /// The registered name, compared exactly (JOSE names are case-sensitive).
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::ES512 => "ES512",
            Algorithm::EdDSA => "EdDSA",
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
        }
    }

    pub fn family(self) -> Family {
        use Algorithm::*;
        match self {
            RS256 | RS384 | RS512 => Family::RsaPkcs1,
            PS256 | PS384 | PS512 => Family::RsaPss,
            ES256 | ES384 | ES512 => Family::Ecdsa,
            EdDSA => Family::EdDsa,
            HS256 | HS384 | HS512 => Family::Hmac,
        }
    }

    pub fn hash(self) -> Hash {
        use Algorithm::*;
        match self {
            RS256 | PS256 | ES256 | HS256 => Hash::Sha256,
            RS384 | PS384 | ES384 | HS384 => Hash::Sha384,
            RS512 | PS512 | ES512 | HS512 | EdDSA => Hash::Sha512,
        }
    }

    /// Symmetric algorithms need the verifier to hold the signer's secret.
    pub fn is_symmetric(self) -> bool {
        self.family() == Family::Hmac
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Algorithm {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Algorithm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        if name.eq_ignore_ascii_case("none") {
            return Err(serde::de::Error::custom(
                "\"none\" is never an allowed algorithm: an unsigned token proves nothing",
            ));
        }
        Algorithm::from_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown algorithm \"{name}\" (known: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, HS256, HS384, HS512)"
            ))
        })
    }
}

/// Why a signature check failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// The key cannot serve this algorithm (type, curve or size).
    KeyMismatch(String),
    /// The signature is not valid for this key and message.
    Invalid(String),
}

/// Verify `signature` over `message` with `key` under `alg`.
pub fn verify(
    alg: Algorithm,
    key: &KeyMaterial,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    match (alg.family(), key) {
        (Family::RsaPkcs1, KeyMaterial::Rsa(k)) => {
            rsa::verify_pkcs1(alg.hash(), k, message, signature)
        }
        (Family::RsaPss, KeyMaterial::Rsa(k) | KeyMaterial::RsaPss(k)) => {
            rsa::verify_pss(alg.hash(), k, message, signature)
        }
        (Family::Ecdsa, _) => ecdsa::verify(alg, key, message, signature),
        (Family::EdDsa, KeyMaterial::Ed25519(k)) => eddsa::verify(k, message, signature),
        (Family::Hmac, KeyMaterial::Oct(secret)) => {
            hmac::verify(alg.hash(), secret, message, signature)
        }
        _ => Err(SignatureError::KeyMismatch(format!(
            "{alg} cannot be verified with {}",
            key.describe()
        ))),
    }
}

/// Verify a DER-encoded ECDSA signature (the form X.509 certificates and CRLs carry) over
/// `message` hashed with `hash`, on any of the three curves.
pub fn verify_ecdsa_der(
    hash: Hash,
    key: &KeyMaterial,
    message: &[u8],
    der_signature: &[u8],
) -> Result<(), SignatureError> {
    ecdsa::verify_der(hash, key, message, der_signature)
}
