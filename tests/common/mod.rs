//! Test-time signing and key publishing for the integration tests.
//!
//! The private keys are fixed fixtures under `tests/fixtures/` (made once by
//! `tests/fixtures/regenerate.sh` with openssl and ssh-keygen), so every run signs with the same
//! keys. Signing code lives only here and in dev-dependencies: the library itself only verifies.
#![allow(dead_code)]

use azlens::token::base64url;
use azlens::{Algorithm, KeySet, Limits, Verifier};
use serde_json::{json, Value};
use std::path::PathBuf;

/// The fixed "now" every claim-set helper is built around (2026-11-18).
pub const NOW: i64 = 1_795_000_000;
pub const ISSUER: &str = "https://as.example";
pub const AUDIENCE: &str = "https://fhir.example";

/// HMAC secrets of the exact minimum length for each hash, and one longer.
pub const HS256_SECRET: &[u8; 32] = b"azlens-test-hs256-secret-32bytes";
pub const HS512_SECRET: &[u8; 64] =
    b"azlens-test-hs512-secret-that-is-sixty-four-bytes-long-exactly!!";

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

pub fn fixture_str(name: &str) -> String {
    String::from_utf8(fixture(name)).expect("a text fixture")
}

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64url::encode(bytes.as_ref())
}

/// A deterministic CSPRNG stand-in for the few signers that need randomness (RSA-PSS salts):
/// SHA-256 in counter mode over a fixed seed, so PSS tokens are reproducible too.
pub struct TestRng {
    seed: [u8; 32],
    counter: u64,
    buf: Vec<u8>,
}

impl TestRng {
    pub fn new(label: &str) -> TestRng {
        use sha2::Digest;
        TestRng {
            seed: sha2::Sha256::digest(label.as_bytes()).into(),
            counter: 0,
            buf: Vec::new(),
        }
    }
}

impl rand_core::TryRng for TestRng {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        use sha2::Digest;
        for byte in dst {
            if self.buf.is_empty() {
                let mut h = sha2::Sha256::new();
                h.update(self.seed);
                h.update(self.counter.to_be_bytes());
                self.counter += 1;
                self.buf = h.finalize().to_vec();
            }
            *byte = self.buf.pop().unwrap_or(0);
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for TestRng {}

/// A private key that can sign, with the public forms the verifier is given.
pub enum Signer {
    Rsa(rsa::RsaPrivateKey),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
    Hmac(Vec<u8>),
}

pub struct TestKey {
    /// The fixture base name (`rsa2048`, `p256`, …) or `hmac`.
    pub name: &'static str,
    pub signer: Signer,
}

impl TestKey {
    fn load(name: &'static str) -> TestKey {
        let pem = fixture_str(&format!("{name}.key.pem"));
        let signer = match name {
            n if n.starts_with("rsa") => {
                use rsa::pkcs8::DecodePrivateKey;
                Signer::Rsa(rsa::RsaPrivateKey::from_pkcs8_pem(&pem).expect("RSA fixture"))
            }
            "p256" => {
                use p256::pkcs8::DecodePrivateKey;
                Signer::P256(p256::ecdsa::SigningKey::from_pkcs8_pem(&pem).expect("P-256"))
            }
            "p384" => {
                use p384::pkcs8::DecodePrivateKey;
                Signer::P384(p384::ecdsa::SigningKey::from_pkcs8_pem(&pem).expect("P-384"))
            }
            "p521" => {
                use p521::pkcs8::DecodePrivateKey;
                Signer::P521(p521::ecdsa::SigningKey::from_pkcs8_pem(&pem).expect("P-521"))
            }
            "ed25519" => {
                use ed25519_dalek::pkcs8::DecodePrivateKey;
                Signer::Ed25519(ed25519_dalek::SigningKey::from_pkcs8_pem(&pem).expect("Ed25519"))
            }
            other => panic!("no fixture key {other}"),
        };
        TestKey { name, signer }
    }

    /// A key of the X.509 chain fixtures (`tests/fixtures/x509/{name}.key.pem`), RSA or P-256.
    pub fn x509(name: &str) -> TestKey {
        let pem = fixture_str(&format!("x509/{name}.key.pem"));
        let signer = {
            use p256::pkcs8::DecodePrivateKey as _;
            match p256::ecdsa::SigningKey::from_pkcs8_pem(&pem) {
                Ok(k) => Signer::P256(k),
                Err(_) => {
                    use rsa::pkcs8::DecodePrivateKey as _;
                    Signer::Rsa(rsa::RsaPrivateKey::from_pkcs8_pem(&pem).expect("RSA or P-256"))
                }
            }
        };
        TestKey {
            name: "x509",
            signer,
        }
    }

    pub fn rsa2048() -> TestKey {
        TestKey::load("rsa2048")
    }
    /// A second, unrelated RSA key (for "signed by someone else").
    pub fn rsa2048b() -> TestKey {
        TestKey::load("rsa2048b")
    }
    /// Below the 2048-bit floor: every form of it must be refused.
    pub fn rsa1024() -> TestKey {
        TestKey::load("rsa1024")
    }
    pub fn p256() -> TestKey {
        TestKey::load("p256")
    }
    pub fn p384() -> TestKey {
        TestKey::load("p384")
    }
    pub fn p521() -> TestKey {
        TestKey::load("p521")
    }
    pub fn ed25519() -> TestKey {
        TestKey::load("ed25519")
    }
    pub fn hmac(secret: &[u8]) -> TestKey {
        TestKey {
            name: "hmac",
            signer: Signer::Hmac(secret.to_vec()),
        }
    }

    /// The natural algorithm for this key.
    pub fn alg(&self) -> Algorithm {
        match &self.signer {
            Signer::Rsa(_) => Algorithm::RS256,
            Signer::P256(_) => Algorithm::ES256,
            Signer::P384(_) => Algorithm::ES384,
            Signer::P521(_) => Algorithm::ES512,
            Signer::Ed25519(_) => Algorithm::EdDSA,
            Signer::Hmac(_) => Algorithm::HS256,
        }
    }

    /// Sign `message` with `alg` (which must suit the key).
    pub fn sign(&self, alg: Algorithm, message: &[u8]) -> Vec<u8> {
        use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer as _};
        match (&self.signer, alg) {
            (Signer::Rsa(k), Algorithm::RS256) => {
                rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(k.clone())
                    .sign(message)
                    .to_vec()
            }
            (Signer::Rsa(k), Algorithm::RS384) => {
                rsa::pkcs1v15::SigningKey::<sha2::Sha384>::new(k.clone())
                    .sign(message)
                    .to_vec()
            }
            (Signer::Rsa(k), Algorithm::RS512) => {
                rsa::pkcs1v15::SigningKey::<sha2::Sha512>::new(k.clone())
                    .sign(message)
                    .to_vec()
            }
            (Signer::Rsa(k), Algorithm::PS256) => {
                rsa::pss::SigningKey::<sha2::Sha256>::new(k.clone())
                    .sign_with_rng(&mut TestRng::new("PS256"), message)
                    .to_vec()
            }
            (Signer::Rsa(k), Algorithm::PS384) => {
                rsa::pss::SigningKey::<sha2::Sha384>::new(k.clone())
                    .sign_with_rng(&mut TestRng::new("PS384"), message)
                    .to_vec()
            }
            (Signer::Rsa(k), Algorithm::PS512) => {
                rsa::pss::SigningKey::<sha2::Sha512>::new(k.clone())
                    .sign_with_rng(&mut TestRng::new("PS512"), message)
                    .to_vec()
            }
            (Signer::P256(k), Algorithm::ES256) => {
                let s: p256::ecdsa::Signature = k.sign(message);
                s.to_bytes().to_vec()
            }
            (Signer::P384(k), Algorithm::ES384) => {
                let s: p384::ecdsa::Signature = k.sign(message);
                s.to_bytes().to_vec()
            }
            (Signer::P521(k), Algorithm::ES512) => {
                let s: p521::ecdsa::Signature = k.sign(message);
                s.to_bytes().to_vec()
            }
            (Signer::Ed25519(k), Algorithm::EdDSA) => k.sign(message).to_bytes().to_vec(),
            (Signer::Hmac(secret), Algorithm::HS256) => {
                hmac_tag::<hmac::Hmac<sha2::Sha256>>(secret, message)
            }
            (Signer::Hmac(secret), Algorithm::HS384) => {
                hmac_tag::<hmac::Hmac<sha2::Sha384>>(secret, message)
            }
            (Signer::Hmac(secret), Algorithm::HS512) => {
                hmac_tag::<hmac::Hmac<sha2::Sha512>>(secret, message)
            }
            (_, alg) => panic!("the {} test key cannot sign {alg}", self.name),
        }
    }

    /// An ECDSA signature in ASN.1 DER (which JWS does not use), for negative tests.
    pub fn sign_ecdsa_der(&self, message: &[u8]) -> Vec<u8> {
        use p256::ecdsa::signature::Signer as _;
        match &self.signer {
            Signer::P256(k) => {
                let s: p256::ecdsa::Signature = k.sign(message);
                s.to_der().as_bytes().to_vec()
            }
            Signer::P384(k) => {
                let s: p384::ecdsa::Signature = k.sign(message);
                s.to_der().as_bytes().to_vec()
            }
            Signer::P521(k) => {
                let s: p521::ecdsa::Signature = k.sign(message);
                s.to_der().as_bytes().to_vec()
            }
            _ => panic!("{} is not an ECDSA key", self.name),
        }
    }

    /// The public key as a JWK object (no `kid`, `alg`, `use`).
    pub fn public_jwk(&self) -> Value {
        use rsa::traits::PublicKeyParts;
        fn ec(point: &[u8], crv: &str) -> Value {
            let w = (point.len() - 1) / 2;
            json!({"kty": "EC", "crv": crv, "x": b64(&point[1..1 + w]), "y": b64(&point[1 + w..])})
        }
        match &self.signer {
            Signer::Rsa(k) => {
                let p = k.to_public_key();
                json!({"kty": "RSA", "n": b64(p.n_bytes()), "e": b64(p.e_bytes())})
            }
            Signer::P256(k) => ec(k.verifying_key().to_sec1_point(false).as_bytes(), "P-256"),
            Signer::P384(k) => ec(k.verifying_key().to_sec1_point(false).as_bytes(), "P-384"),
            Signer::P521(k) => ec(k.verifying_key().to_sec1_point(false).as_bytes(), "P-521"),
            Signer::Ed25519(k) => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(k.verifying_key().to_bytes())})
            }
            Signer::Hmac(secret) => json!({"kty": "oct", "k": b64(secret)}),
        }
    }

    /// The public JWK with a `kid` (and nothing else added).
    pub fn jwk(&self, kid: &str) -> Value {
        let mut j = self.public_jwk();
        j["kid"] = json!(kid);
        j
    }

    /// A JWK Set holding just this key under `kid`.
    pub fn jwks(&self, kid: &str) -> String {
        json!({"keys": [self.jwk(kid)]}).to_string()
    }

    pub fn spki_pem(&self) -> String {
        fixture_str(&format!("{}.spki.pem", self.name))
    }
    /// The DER body of the SPKI PEM.
    pub fn spki_der(&self) -> Vec<u8> {
        pem_body(&self.spki_pem())
    }
    pub fn pkcs1_pem(&self) -> String {
        fixture_str(&format!("{}.pkcs1.pem", self.name))
    }
    pub fn cert_pem(&self) -> String {
        fixture_str(&format!("{}.crt.pem", self.name))
    }
    pub fn cert_der(&self) -> Vec<u8> {
        fixture(&format!("{}.cer", self.name))
    }
    pub fn ssh_line(&self) -> String {
        fixture_str(&format!("{}.ssh.pub", self.name))
            .trim()
            .to_owned()
    }
    pub fn private_pem(&self) -> String {
        fixture_str(&format!("{}.key.pem", self.name))
    }

    /// A KeySet holding this key's JWK under `kid`.
    pub fn keyset(&self, kid: &str) -> KeySet {
        KeySet::parse(self.jwks(kid).as_bytes(), &Limits::default()).expect("a key set")
    }
}

fn hmac_tag<M: hmac::Mac + hmac::KeyInit>(secret: &[u8], message: &[u8]) -> Vec<u8> {
    let mut m = <M as hmac::KeyInit>::new_from_slice(secret).expect("any key length");
    m.update(message);
    m.finalize().into_bytes().to_vec()
}

/// The base64 body of the first PEM block, decoded.
pub fn pem_body(pem: &str) -> Vec<u8> {
    use base64::Engine;
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM base64")
}

/// Sign raw header and payload texts (so tests can sign JSON no serializer would produce).
pub fn sign_raw(header: &str, payload: &str, key: &TestKey, alg: Algorithm) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let sig = key.sign(alg, input.as_bytes());
    format!("{input}.{}", b64(sig))
}

/// Sign JSON values.
pub fn sign(header: &Value, payload: &Value, key: &TestKey, alg: Algorithm) -> String {
    sign_raw(&header.to_string(), &payload.to_string(), key, alg)
}

/// A header naming `alg` and `kid`.
pub fn header(alg: Algorithm, kid: &str) -> Value {
    json!({"alg": alg.name(), "kid": kid, "typ": "JWT"})
}

/// Claims that pass [`policy`] at [`NOW`].
pub fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "patient-42",
        "iat": NOW - 30,
        "nbf": NOW - 30,
        "exp": NOW + 600,
        "jti": "t-1",
    })
}

/// A signed token with [`claims`], the key's algorithm and `kid` "k1".
pub fn good_token(key: &TestKey) -> String {
    sign(&header(key.alg(), "k1"), &claims(), key, key.alg())
}

/// A policy trusting [`ISSUER`] for [`AUDIENCE`] with these algorithms.
pub fn policy(algs: &[Algorithm]) -> Value {
    json!({
        "algorithms": algs.iter().map(|a| a.name()).collect::<Vec<_>>(),
        "issuers": [{"issuer": ISSUER, "audience": AUDIENCE}],
    })
}

pub fn verifier(policy: &Value) -> Verifier {
    Verifier::from_json(&policy.to_string()).expect("a valid policy")
}

/// Every supported algorithm with a fixture key that signs it.
pub fn all_signing_keys() -> Vec<(TestKey, Algorithm)> {
    use Algorithm::*;
    let mut out = Vec::new();
    for alg in [RS256, RS384, RS512, PS256, PS384, PS512] {
        out.push((TestKey::rsa2048(), alg));
    }
    out.push((TestKey::p256(), ES256));
    out.push((TestKey::p384(), ES384));
    out.push((TestKey::p521(), ES512));
    out.push((TestKey::ed25519(), EdDSA));
    out.push((TestKey::hmac(HS256_SECRET), HS256));
    out.push((TestKey::hmac(HS512_SECRET), HS384));
    out.push((TestKey::hmac(HS512_SECRET), HS512));
    out
}
