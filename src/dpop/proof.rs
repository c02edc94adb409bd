//! One DPoP proof (RFC 9449 §4.3) checked against the request it came with: the checks 1–12 of
//! the RFC, each with its own rule name so a refusal says which one failed.

use super::htu::{self, Origin};
use super::thumbprint::jwk_thumbprint;
use super::Refusal;
use crate::alg::{self, Algorithm};
use crate::keys::jwk::from_jwk;
use crate::limits::Limits;
use crate::token::{self, base64url, header::typ_matches};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The longest proof read, in bytes: an RSA-4096 key in the header and a signature fit in
/// about 2 KiB; four times that leaves room and still bounds the work on hostile input.
pub const MAX_PROOF_BYTES: usize = 8 * 1024;
/// The longest `jti` remembered, in bytes (RFC 9449 §4.2 asks for about 96 bits of randomness;
/// a UUID is 36 characters).
pub const MAX_JTI_BYTES: usize = 256;

/// What the proof must match.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// The request's method, as decided.
    pub method: &'a str,
    /// The request's external origin and canonical path.
    pub origin: &'a Origin,
    pub path: &'a str,
    /// The access token the proof must be bound to (`ath`).
    pub access_token: &'a str,
    pub algorithms: &'a [Algorithm],
    pub now: i64,
    pub max_age: u64,
    pub leeway: u64,
}

/// A proof that passed every check but the replay check and the token binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// RFC 7638 thumbprint of the proof's key.
    pub jkt: String,
    pub jti: String,
    pub iat: i64,
    /// The nonce the proof carries, if any.
    pub nonce: Option<String>,
}

fn refuse(rule: &'static str, message: impl Into<String>) -> Refusal {
    Refusal::proof(rule, message)
}

/// Check `proof` against `expected`.
pub fn check(proof: &str, expected: &Expected) -> Result<Proof, Refusal> {
    if proof.len() > MAX_PROOF_BYTES {
        return Err(refuse(
            "dpop.too-large",
            format!(
                "The DPoP proof is {} bytes; the limit is {MAX_PROOF_BYTES} bytes.",
                proof.len()
            ),
        ));
    }
    let limits = Limits {
        max_token_bytes: MAX_PROOF_BYTES,
        ..Limits::default()
    };
    let parsed = token::parse(proof, &limits).map_err(|p| {
        refuse(
            "dpop.malformed",
            format!("The DPoP proof is not a compact JWS: {}", p.message),
        )
    })?;
    match parsed.header.typ.as_deref() {
        Some(t) if typ_matches(t, "dpop+jwt") => {}
        other => {
            return Err(refuse(
                "dpop.typ",
                format!(
                    "The DPoP proof's \"typ\" is {}; it must be \"dpop+jwt\".",
                    other.map_or("absent".to_owned(), |t| format!("\"{t}\""))
                ),
            ))
        }
    }
    let alg = Algorithm::from_name(&parsed.header.alg)
        .filter(|a| !a.is_symmetric() && expected.algorithms.contains(a))
        .ok_or_else(|| {
            refuse(
                "dpop.alg",
                format!(
                    "The DPoP proof is signed with \"{}\"; proofs must use one of: {}.",
                    parsed.header.alg,
                    names(expected.algorithms)
                ),
            )
        })?;
    let jwk = match parsed.header_json.get("jwk") {
        Some(Value::Object(j)) => j,
        _ => {
            return Err(refuse(
                "dpop.jwk",
                "The DPoP proof's header has no \"jwk\": the proof must carry its public key.",
            ))
        }
    };
    let jkt = public_key_thumbprint(jwk)?;
    let key = from_jwk(jwk).map_err(|why| {
        refuse(
            "dpop.jwk",
            format!("The DPoP proof's \"jwk\" cannot be used: {why}."),
        )
    })?;
    alg::verify(
        alg,
        &key.material,
        parsed.signing_input.as_bytes(),
        &parsed.signature,
    )
    .map_err(|e| {
        let why = match e {
            alg::SignatureError::KeyMismatch(m) | alg::SignatureError::Invalid(m) => m,
        };
        refuse(
            "dpop.signature",
            format!("The DPoP proof's signature does not verify with the key in its own header ({why})."),
        )
    })?;
    let claims = &parsed.payload;
    let htm = string(claims, "htm", "dpop.htm")?;
    if htm != expected.method {
        return Err(refuse(
            "dpop.htm",
            format!(
                "The DPoP proof is for {htm} requests (\"htm\"); this request is {}.",
                expected.method
            ),
        ));
    }
    let htu_text = string(claims, "htu", "dpop.htu")?;
    let wanted = format!("{}{}", expected.origin.as_str(), expected.path);
    match htu::read(htu_text) {
        Ok((o, p)) if &o == expected.origin && p == expected.path => {}
        _ => {
            return Err(refuse(
                "dpop.htu",
                format!(
                    "The DPoP proof is for \"{htu_text}\" (\"htu\"); this request is for {wanted}."
                ),
            ))
        }
    }
    let iat = match claims.get("iat") {
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f.floor() as i64)),
        _ => None,
    }
    .ok_or_else(|| {
        refuse(
            "dpop.iat",
            "The DPoP proof has no numeric \"iat\" (when it was made).",
        )
    })?;
    let leeway = expected.leeway as i64;
    if iat > expected.now.saturating_add(leeway) {
        return Err(refuse(
            "dpop.iat-future",
            format!(
                "The DPoP proof was made {} s in the future (\"iat\"); check the client's clock.",
                iat.saturating_sub(expected.now)
            ),
        ));
    }
    let oldest = expected
        .now
        .saturating_sub(expected.max_age as i64)
        .saturating_sub(leeway);
    if iat < oldest {
        return Err(refuse(
            "dpop.iat-stale",
            format!(
                "The DPoP proof was made {} s ago (\"iat\"); proofs are accepted for {} s: make a fresh proof for each request.",
                expected.now.saturating_sub(iat),
                expected.max_age
            ),
        ));
    }
    let jti = string(claims, "jti", "dpop.jti")?;
    if jti.is_empty() || jti.len() > MAX_JTI_BYTES {
        return Err(refuse(
            "dpop.jti",
            format!("The DPoP proof's \"jti\" must be 1 to {MAX_JTI_BYTES} bytes long."),
        ));
    }
    let ath = string(claims, "ath", "dpop.ath")?;
    if ath != access_token_hash(expected.access_token) {
        return Err(refuse(
            "dpop.ath",
            "The DPoP proof's \"ath\" is not the hash of the access token sent with it: the proof was made for another token.",
        ));
    }
    let nonce = match claims.get("nonce") {
        None => None,
        Some(Value::String(n)) => Some(n.clone()),
        Some(_) => {
            return Err(refuse(
                "dpop.nonce",
                "The DPoP proof's \"nonce\" must be a string.",
            ))
        }
    };
    Ok(Proof {
        jkt,
        jti: jti.to_owned(),
        iat,
        nonce,
    })
}

/// The thumbprint of the proof's key, after refusing what is not a public asymmetric key.
fn public_key_thumbprint(jwk: &Map<String, Value>) -> Result<String, Refusal> {
    if jwk.get("kty").and_then(Value::as_str) == Some("oct") {
        return Err(refuse(
            "dpop.jwk-symmetric",
            "The DPoP proof's \"jwk\" is a symmetric (\"oct\") key; a proof is signed with a private key and carries the public one.",
        ));
    }
    if let Some(m) = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]
        .iter()
        .find(|m| jwk.contains_key(**m))
    {
        return Err(refuse(
            "dpop.jwk-private",
            format!("The DPoP proof's \"jwk\" holds private key material (\"{m}\"): the client published its private key and must replace it."),
        ));
    }
    jwk_thumbprint(jwk).map_err(|why| {
        refuse(
            "dpop.jwk",
            format!("The DPoP proof's \"jwk\" cannot be used: {why}."),
        )
    })
}

/// `ath`: base64url(SHA-256(access token)), RFC 9449 §4.2.
pub fn access_token_hash(token: &str) -> String {
    base64url::encode(&Sha256::digest(token.as_bytes()))
}

fn string<'a>(
    claims: &'a Map<String, Value>,
    name: &str,
    rule: &'static str,
) -> Result<&'a str, Refusal> {
    match claims.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(refuse(
            rule,
            format!("The DPoP proof's \"{name}\" must be a string."),
        )),
        None => Err(refuse(rule, format!("The DPoP proof has no \"{name}\"."))),
    }
}

pub(crate) fn names(algs: &[Algorithm]) -> String {
    algs.iter().map(|a| a.name()).collect::<Vec<_>>().join(" ")
}
