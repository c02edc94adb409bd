//! The JOSE header of a compact JWS, typed: what the verifier acts on is read once, here.

use crate::error::{ErrorCode, Problem};
use serde_json::{Map, Value};

/// Header parameters registered by RFC 7515/7518/7519 and RFC 7797. `crit` must not name them
/// (RFC 7515 §4.1.11).
pub const REGISTERED: &[&str] = &[
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "enc",
    "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
];

/// The parameters azlens reads, with their JSON types checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Header {
    pub alg: String,
    pub kid: Option<String>,
    pub typ: Option<String>,
    pub cty: Option<String>,
    pub crit: Option<Vec<String>>,
    pub b64: Option<bool>,
    pub jku: Option<String>,
    pub x5u: Option<String>,
    pub has_jwk: bool,
    pub has_x5c: bool,
}

impl Header {
    /// Read the typed view of a header object. A parameter of the wrong JSON type is malformed.
    pub fn from_json(m: &Map<String, Value>) -> Result<Header, Problem> {
        let alg = match m.get("alg") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(wrong_type("alg", "a string")),
            None => {
                return Err(Problem::at(
                    ErrorCode::Malformed,
                    "header.alg",
                    "The header has no \"alg\": a JWS must name its signature algorithm.",
                ))
            }
        };
        let crit = match m.get("crit") {
            None => None,
            Some(Value::Array(items)) => {
                let mut names = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::String(s) => names.push(s.clone()),
                        _ => return Err(wrong_type("crit", "an array of strings")),
                    }
                }
                Some(names)
            }
            Some(_) => return Err(wrong_type("crit", "an array of strings")),
        };
        let b64 = match m.get("b64") {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => return Err(wrong_type("b64", "true or false")),
        };
        if let Some(v) = m.get("x5c") {
            let ok = matches!(v, Value::Array(a) if a.iter().all(Value::is_string));
            if !ok {
                return Err(wrong_type("x5c", "an array of base64 strings"));
            }
        }
        if let Some(v) = m.get("jwk") {
            if !v.is_object() {
                return Err(wrong_type("jwk", "a JSON object"));
            }
        }
        Ok(Header {
            alg,
            kid: opt_string(m, "kid")?,
            typ: opt_string(m, "typ")?,
            cty: opt_string(m, "cty")?,
            crit,
            b64,
            jku: opt_string(m, "jku")?,
            x5u: opt_string(m, "x5u")?,
            has_jwk: m.contains_key("jwk"),
            has_x5c: m.contains_key("x5c"),
        })
    }
}

fn opt_string(m: &Map<String, Value>, name: &str) -> Result<Option<String>, Problem> {
    match m.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(wrong_type(name, "a string")),
    }
}

fn wrong_type(name: &str, expected: &str) -> Problem {
    Problem::at(
        ErrorCode::Malformed,
        format!("header.{name}"),
        format!("The header parameter \"{name}\" must be {expected}."),
    )
}

/// Media types are compared case-insensitively with an optional `application/` prefix
/// (RFC 7515 §4.1.9): `at+jwt`, `AT+JWT` and `application/at+jwt` are one type.
pub fn typ_matches(actual: &str, expected: &str) -> bool {
    fn norm(s: &str) -> String {
        let lower = s.trim().to_ascii_lowercase();
        match lower.strip_prefix("application/") {
            Some(rest) => rest.to_owned(),
            None => lower,
        }
    }
    norm(actual) == norm(expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typ_comparison() {
        assert!(typ_matches("at+jwt", "application/AT+JWT"));
        assert!(typ_matches("JWT", "jwt"));
        assert!(!typ_matches("jwt", "at+jwt"));
    }
}
