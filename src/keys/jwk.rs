//! JSON Web Keys (RFC 7517) and the key types of RFC 7518 §6 and RFC 8037.

use super::{Key, KeyOrigin};
use crate::alg::KeyMaterial;
use crate::token::base64url;
use serde_json::{Map, Value};

/// Members that only a private key carries.
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth"];

/// Read one JWK object. The error names the problem in words.
pub fn from_jwk(jwk: &Map<String, Value>) -> Result<Key, String> {
    let kty = string(jwk, "kty")?.ok_or("the JWK has no \"kty\"")?;
    if kty != "oct" {
        if let Some(m) = PRIVATE_MEMBERS.iter().find(|m| jwk.contains_key(**m)) {
            return Err(format!(
                "the JWK carries private key material (\"{m}\"); give azlens public keys only"
            ));
        }
    }
    let material = match kty.as_str() {
        "RSA" => KeyMaterial::rsa(&bytes(jwk, "n")?, &bytes(jwk, "e")?)?,
        "EC" => {
            let crv = string(jwk, "crv")?.ok_or("the EC JWK has no \"crv\"")?;
            let width = match crv.as_str() {
                "P-256" => 32,
                "P-384" => 48,
                "P-521" => 66,
                other => return Err(format!("the EC curve \"{other}\" is not supported")),
            };
            let (x, y) = (bytes(jwk, "x")?, bytes(jwk, "y")?);
            // RFC 7518 §6.2.1.2: coordinates are full-width; a shorter one is not accepted.
            if x.len() != width || y.len() != width {
                return Err(format!("the {crv} coordinates must each be {width} bytes"));
            }
            let mut point = Vec::with_capacity(1 + 2 * width);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            match width {
                32 => KeyMaterial::p256_sec1(&point)?,
                48 => KeyMaterial::p384_sec1(&point)?,
                _ => KeyMaterial::p521_sec1(&point)?,
            }
        }
        "OKP" => match string(jwk, "crv")?.as_deref() {
            Some("Ed25519") => KeyMaterial::ed25519(&bytes(jwk, "x")?)?,
            Some(other) => {
                return Err(format!(
                    "the OKP curve \"{other}\" is not supported for signatures"
                ))
            }
            None => return Err("the OKP JWK has no \"crv\"".into()),
        },
        "oct" => KeyMaterial::oct(&bytes(jwk, "k")?)?,
        other => return Err(format!("the key type \"{other}\" is not supported")),
    };
    let key_ops = match jwk.get("key_ops") {
        None => None,
        Some(Value::Array(a)) => Some(
            a.iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or("\"key_ops\" must be an array of strings")?,
        ),
        Some(_) => return Err("\"key_ops\" must be an array of strings".into()),
    };
    Ok(Key {
        material,
        kid: string(jwk, "kid")?,
        alg: string(jwk, "alg")?,
        use_: string(jwk, "use")?,
        key_ops,
        origin: KeyOrigin::Jwk,
    })
}

fn string(jwk: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
    match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("the JWK member \"{name}\" must be a string")),
    }
}

fn bytes(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    let s = string(jwk, name)?.ok_or_else(|| format!("the JWK has no \"{name}\""))?;
    base64url::decode(&s).map_err(|why| format!("the JWK member \"{name}\" {why}"))
}
