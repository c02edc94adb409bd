//! Claims whose values are themselves compact JWS: signed statements inside a token (the
//! high-assurance AZ token's `software`, `instance`, `identity`, `consent`; OpenID Connect
//! aggregated claims' `_claim_sources.*.JWT`). Each is inspected on its own, to a bounded depth.

use crate::token::base64url;
use serde_json::{Map, Value};

/// At most this many nested tokens are unpacked per token.
pub const MAX_PER_TOKEN: usize = 16;

/// `(claim path, token)` for each claim value that is a compact JWS, in document order.
pub fn find(payload: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, v) in payload {
        walk(k.clone(), v, &mut out);
    }
    out
}

fn walk(path: String, value: &Value, out: &mut Vec<(String, String)>) {
    if out.len() >= MAX_PER_TOKEN {
        return;
    }
    match value {
        Value::String(s) if is_compact_jws(s) => out.push((path, s.clone())),
        Value::Object(m) => {
            for (k, v) in m {
                walk(format!("{path}.{k}"), v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(format!("{path}[{i}]"), v, out);
            }
        }
        _ => {}
    }
}

/// Three base64url segments whose first is a JSON object with a string `alg`.
pub fn is_compact_jws(s: &str) -> bool {
    let mut parts = s.split('.');
    let (Some(h), Some(p), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let b64url = |x: &str| {
        x.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if h.is_empty() || p.is_empty() || !b64url(h) || !b64url(p) || !b64url(sig) {
        return false;
    }
    base64url::decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .is_some_and(|v| v.get("alg").is_some_and(Value::is_string))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jws(alg: &str) -> String {
        format!(
            "{}.{}.c2ln",
            base64url::encode(format!(r#"{{"alg":"{alg}"}}"#).as_bytes()),
            base64url::encode(br#"{"iss":"x"}"#)
        )
    }

    #[test]
    fn finds_statements_anywhere() {
        let p = json!({
            "software": jws("ES256"),
            "acr": "urn:x",
            "consent": {"statement": jws("RS256")},
            "_claim_sources": {"src1": {"JWT": jws("ES256")}},
            "list": ["x", jws("ES256")],
            "not": "a.b.c",
            "three_dots": "eyJhbGciOiJFUzI1NiJ9.e30.c2ln.x"
        });
        let found: Vec<String> = find(p.as_object().unwrap())
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            found,
            [
                "software",
                "consent.statement",
                "_claim_sources.src1.JWT",
                "list[1]"
            ]
        );
    }

    #[test]
    fn is_bounded() {
        let mut m = Map::new();
        for i in 0..100 {
            m.insert(format!("c{i}"), json!(jws("ES256")));
        }
        assert_eq!(find(&m).len(), MAX_PER_TOKEN);
    }

    #[test]
    fn recognises_only_jws() {
        assert!(is_compact_jws(&jws("none")));
        assert!(!is_compact_jws("eyJ.eyJ.x"));
        assert!(!is_compact_jws(&format!(
            "{}.e30.",
            base64url::encode(br#"{"typ":"JWT"}"#)
        )));
        assert!(!is_compact_jws(&format!(
            "{}.e30.+",
            base64url::encode(br#"{"alg":"ES256"}"#)
        )));
        assert!(!is_compact_jws(""));
    }
}
