//! JWK thumbprints (RFC 7638): the SHA-256 of a key's required members, in one canonical JSON
//! form, so the same key always names itself the same way (`cnf.jkt` in a DPoP-bound token).

use crate::token::base64url;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The members RFC 7638 §3.2 hashes for each key type, in lexicographic order.
fn required_members(kty: &str) -> Option<&'static [&'static str]> {
    match kty {
        "RSA" => Some(&["e", "kty", "n"]),
        "EC" => Some(&["crv", "kty", "x", "y"]),
        "OKP" => Some(&["crv", "kty", "x"]),
        "oct" => Some(&["k", "kty"]),
        _ => None,
    }
}

/// The canonical JSON RFC 7638 hashes: the required members only, sorted, no white space.
pub fn canonical_json(jwk: &Map<String, Value>) -> Result<String, String> {
    let kty = match jwk.get("kty") {
        Some(Value::String(k)) => k.as_str(),
        _ => return Err("the JWK has no \"kty\" string".into()),
    };
    let members =
        required_members(kty).ok_or_else(|| format!("the key type \"{kty}\" has no thumbprint"))?;
    let mut out = String::from("{");
    for (i, name) in members.iter().enumerate() {
        let value = match jwk.get(*name) {
            Some(Value::String(s)) => s,
            _ => return Err(format!("the {kty} JWK has no \"{name}\" string")),
        };
        if i > 0 {
            out.push(',');
        }
        // serde_json escapes exactly as RFC 7638 §3.3 asks (RFC 8259 minimal escaping).
        out.push_str(&Value::String((*name).to_owned()).to_string());
        out.push(':');
        out.push_str(&Value::String(value.clone()).to_string());
    }
    out.push('}');
    Ok(out)
}

/// The RFC 7638 SHA-256 thumbprint of `jwk`, base64url without padding.
pub fn jwk_thumbprint(jwk: &Map<String, Value>) -> Result<String, String> {
    let json = canonical_json(jwk)?;
    Ok(base64url::encode(&Sha256::digest(json.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_section_3_1_example() {
        let jwk: Value = serde_json::from_str(
            r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#,
        )
        .unwrap();
        assert_eq!(
            jwk_thumbprint(jwk.as_object().unwrap()).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn missing_members_and_unknown_types_are_errors() {
        let no_y: Value = serde_json::json!({"kty": "EC", "crv": "P-256", "x": "AA"});
        assert!(jwk_thumbprint(no_y.as_object().unwrap()).is_err());
        let odd: Value = serde_json::json!({"kty": "XYZ"});
        assert!(jwk_thumbprint(odd.as_object().unwrap()).is_err());
    }
}
