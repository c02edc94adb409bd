//! An RFC 7662 introspection response built from a verified JWT, so a resource server can answer
//! introspection requests (and SMART's token introspection, which adds the launch context) from
//! a token it verified itself.

use super::smart::launch;
use serde_json::{Map, Value};

/// RFC 7662 §2.2 members copied from the token when present.
const RFC7662: &[&str] = &[
    "scope",
    "client_id",
    "exp",
    "iat",
    "nbf",
    "sub",
    "aud",
    "iss",
    "jti",
];

/// Other members worth passing on: the user name, confirmation key, delegation, and the IUA
/// extensions (IUA's ITI-102 introspection returns them).
const EXTRA: &[&str] = &["cnf", "act", "extensions"];

/// `{"active": false}` unless the token verified (`valid`); otherwise the RFC 7662 members, `username`
/// from `preferred_username`, the SMART launch context (`patient`, `encounter`, `fhirContext`,
/// `fhirUser`, `tenant`, …) and the IUA extensions.
pub fn response(valid: bool, claims: Option<&Map<String, Value>>) -> Value {
    match (claims, valid) {
        (Some(claims), true) => active(claims),
        _ => inactive(),
    }
}

/// The response for a token that did not verify: nothing more may be said (RFC 7662 §2.2).
pub fn inactive() -> Value {
    let mut m = Map::new();
    m.insert("active".into(), Value::Bool(false));
    Value::Object(m)
}

/// The response for claims the caller has verified.
pub fn active(claims: &Map<String, Value>) -> Value {
    let mut m = Map::new();
    m.insert("active".into(), Value::Bool(true));
    for name in RFC7662 {
        if let Some(v) = claims.get(*name) {
            m.insert((*name).to_owned(), v.clone());
        }
    }
    if let Some(u) = claims.get("preferred_username").and_then(Value::as_str) {
        m.insert("username".into(), Value::String(u.to_owned()));
    }
    m.insert("token_type".into(), Value::String("Bearer".into()));
    for name in launch::CLAIMS.iter().chain(EXTRA) {
        if let Some(v) = claims.get(*name) {
            m.insert((*name).to_owned(), v.clone());
        }
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inactive_unless_valid() {
        let claims = json!({"sub": "x"}).as_object().cloned();
        assert_eq!(response(false, claims.as_ref()), json!({"active": false}));
        assert_eq!(response(true, None), json!({"active": false}));
        assert_eq!(
            response(true, claims.as_ref()),
            json!({"active": true, "sub": "x", "token_type": "Bearer"})
        );
    }

    #[test]
    fn carries_the_smart_launch_context() {
        let claims = json!({
            "iss": "https://as", "sub": "u", "aud": "https://fhir", "exp": 2, "iat": 1,
            "scope": "launch patient/*.rs", "client_id": "app", "patient": "123",
            "encounter": "e1", "fhirUser": "https://fhir/Practitioner/p", "tenant": "t",
            "preferred_username": "dr.who", "secret_internal": "nope"
        });
        let r = active(claims.as_object().unwrap());
        assert_eq!(r["active"], true);
        assert_eq!(r["patient"], "123");
        assert_eq!(r["encounter"], "e1");
        assert_eq!(r["fhirUser"], "https://fhir/Practitioner/p");
        assert_eq!(r["username"], "dr.who");
        assert_eq!(r["scope"], "launch patient/*.rs");
        assert!(r.get("secret_internal").is_none());
    }
}
