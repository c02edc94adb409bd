//! The ATNA audit UserName for a request authorized by a JWT (IHE IUA, ITI-72 Security Audit
//! Considerations): `alias<user@issuer>`, where alias is the token's `aud`, user its `sub` and
//! issuer its `iss`.

use serde_json::{Map, Value};

/// `aud<sub@iss>`, or `<sub@iss>` for a token without an audience. With several audiences the
/// first is the alias. `None` unless `sub` and `iss` are strings.
pub fn user_name(claims: &Map<String, Value>) -> Option<String> {
    let sub = claims.get("sub")?.as_str()?;
    let iss = claims.get("iss")?.as_str()?;
    let alias = match claims.get("aud") {
        Some(Value::String(a)) => a.as_str(),
        Some(Value::Array(items)) => items.first().and_then(Value::as_str).unwrap_or(""),
        _ => "",
    };
    // Built by hand, not with format!: every allowed request names its user.
    let mut name = String::with_capacity(alias.len() + sub.len() + iss.len() + 3);
    for part in [alias, "<", sub, "@", iss, ">"] {
        name.push_str(part);
    }
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn name(v: Value) -> Option<String> {
        user_name(v.as_object().unwrap())
    }

    #[test]
    fn encodes_alias_user_and_issuer() {
        assert_eq!(
            name(json!({"aud": "http://rs.example", "sub": "u1", "iss": "urn:as"})).as_deref(),
            Some("http://rs.example<u1@urn:as>")
        );
        assert_eq!(
            name(json!({"aud": ["a", "b"], "sub": "u1", "iss": "i"})).as_deref(),
            Some("a<u1@i>")
        );
        assert_eq!(
            name(json!({"sub": "u1", "iss": "i"})).as_deref(),
            Some("<u1@i>")
        );
        assert_eq!(name(json!({"sub": "u1"})), None);
        assert_eq!(name(json!({"sub": 1, "iss": "i"})), None);
    }
}
