//! Test-time signing for the profile and report tests: real-shaped tokens signed at test time
//! with fixed keys, so every run (and every snapshot) sees the same bytes.
//!
//! Keys are chosen by the header's `alg` and `kid`:
//! - `HS256`/`HS384`: one shared secret;
//! - `RS256`/`RS384`: the RSA-2048 key in `rsa2048.key.pem` (made once with openssl);
//! - `ES256`/`ES384`: a key derived from the `kid` text, so each authority (a software vendor,
//!   a device, an identity provider…) gets its own key just by naming it.
#![allow(dead_code)]

use azlens::token::base64url;
use azlens::{KeySet, Limits, Verifier};
use serde_json::{json, Value};
use sha2::Digest;

/// The fixed "now" of every test (2026-11-18T11:06:40Z).
pub const NOW: i64 = 1_795_000_000;

pub const HS_SECRET: &[u8] = b"azlens-profiles-test-secret-of-48-bytes-length!!";
const RSA_PEM: &str = include_str!("rsa2048.key.pem");

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64url::encode(bytes.as_ref())
}

fn p256_key(kid: &str) -> p256::ecdsa::SigningKey {
    let scalar = sha2::Sha256::digest(format!("azlens p256 {kid}").as_bytes());
    p256::ecdsa::SigningKey::from_slice(&scalar).expect("a P-256 scalar")
}

fn p384_key(kid: &str) -> p384::ecdsa::SigningKey {
    let scalar = sha2::Sha384::digest(format!("azlens p384 {kid}").as_bytes());
    p384::ecdsa::SigningKey::from_slice(&scalar).expect("a P-384 scalar")
}

fn rsa_key() -> rsa::RsaPrivateKey {
    use rsa::pkcs8::DecodePrivateKey;
    rsa::RsaPrivateKey::from_pkcs8_pem(RSA_PEM).expect("the RSA fixture")
}

/// Sign `claims` under `header` (which names `alg` and, for EC keys, the `kid` to derive from).
pub fn sign(header: Value, claims: Value) -> String {
    let kid = header["kid"].as_str().unwrap_or("default").to_owned();
    sign_as(&kid, header, claims)
}

/// Sign with the key of `kid` whatever the header says (for headers without a `kid`).
pub fn sign_as(kid: &str, header: Value, claims: Value) -> String {
    let alg = header["alg"].as_str().expect("alg").to_owned();
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let sig = signature(&alg, kid, input.as_bytes());
    format!("{input}.{}", b64(sig))
}

/// A token with an empty signature (for inspection of `alg: none` and the like).
pub fn unsigned(header: Value, claims: Value) -> String {
    format!("{}.{}.", b64(header.to_string()), b64(claims.to_string()))
}

fn signature(alg: &str, kid: &str, msg: &[u8]) -> Vec<u8> {
    use hmac::{KeyInit, Mac};
    use rsa::signature::{SignatureEncoding, Signer};
    match alg {
        "HS256" => {
            let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(HS_SECRET).expect("hmac key");
            m.update(msg);
            m.finalize().into_bytes().to_vec()
        }
        "HS384" => {
            let mut m = hmac::Hmac::<sha2::Sha384>::new_from_slice(HS_SECRET).expect("hmac key");
            m.update(msg);
            m.finalize().into_bytes().to_vec()
        }
        "RS256" => rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(rsa_key())
            .sign(msg)
            .to_vec(),
        "RS384" => rsa::pkcs1v15::SigningKey::<sha2::Sha384>::new(rsa_key())
            .sign(msg)
            .to_vec(),
        "ES256" => {
            let s: p256::ecdsa::Signature = p256_key(kid).sign(msg);
            s.to_bytes().to_vec()
        }
        "ES384" => {
            let s: p384::ecdsa::Signature = p384_key(kid).sign(msg);
            s.to_bytes().to_vec()
        }
        other => panic!("the test signer has no {other}"),
    }
}

/// The public JWK for `(alg, kid)`.
pub fn jwk(alg: &str, kid: &str) -> Value {
    match alg {
        "HS256" | "HS384" => json!({"kty": "oct", "kid": kid, "k": b64(HS_SECRET)}),
        "RS256" | "RS384" => {
            use rsa::traits::PublicKeyParts;
            let k = rsa_key().to_public_key();
            json!({"kty": "RSA", "kid": kid, "n": b64(k.n_bytes()), "e": b64(k.e_bytes())})
        }
        "ES256" => {
            let point = p256_key(kid).verifying_key().to_sec1_point(false);
            let b = point.as_bytes();
            json!({"kty": "EC", "crv": "P-256", "kid": kid, "x": b64(&b[1..33]), "y": b64(&b[33..65])})
        }
        "ES384" => {
            let point = p384_key(kid).verifying_key().to_sec1_point(false);
            let b = point.as_bytes();
            json!({"kty": "EC", "crv": "P-384", "kid": kid, "x": b64(&b[1..49]), "y": b64(&b[49..97])})
        }
        other => panic!("no JWK for {other}"),
    }
}

/// A JWK Set of the public keys for these `(alg, kid)` pairs.
pub fn jwks(keys: &[(&str, &str)]) -> String {
    let keys: Vec<Value> = keys.iter().map(|(a, k)| jwk(a, k)).collect();
    json!({ "keys": keys }).to_string()
}

pub fn key_set(keys: &[(&str, &str)]) -> KeySet {
    KeySet::parse(jwks(keys).as_bytes(), &Limits::default()).expect("a key set")
}

pub fn verifier(policy: Value) -> Verifier {
    Verifier::from_json(&policy.to_string()).expect("a valid policy")
}

/// Merge `patch` into `base` (top level); `null` removes a member.
pub fn with(base: &Value, patch: Value) -> Value {
    let mut m = base.as_object().cloned().unwrap_or_default();
    for (k, v) in patch.as_object().cloned().unwrap_or_default() {
        if v.is_null() {
            m.remove(&k);
        } else {
            m.insert(k, v);
        }
    }
    Value::Object(m)
}

/// The codes of a verdict's errors and the rule names their messages start with.
pub fn error_summary(v: &azlens::Verdict) -> Vec<String> {
    v.errors
        .iter()
        .map(|e| {
            let rule = e.message.split(':').next().unwrap_or("");
            if rule.contains('.') && !rule.contains(' ') {
                format!("{} {rule}", e.code)
            } else {
                e.code.to_string()
            }
        })
        .collect()
}
