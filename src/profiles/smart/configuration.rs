//! The SMART discovery document (`/.well-known/smart-configuration`, SMART App Launch 2.2
//! "Conformance"): what a host found when it discovered an issuer, checked so its problems can
//! be shown as warnings beside the key set it led to. Never a reason to refuse a token.

use crate::error::Warning;
use serde_json::{Map, Value};

/// Problems in a `smart-configuration` document, as warnings (code
/// `smart_configuration_missing`, `smart_configuration_invalid` or `smart_configuration_pkce`),
/// each naming the field (`smart-configuration.token_endpoint`, …).
pub fn check(doc: &Map<String, Value>) -> Vec<Warning> {
    let mut out = Vec::new();
    let at = |f: &str| format!("smart-configuration.{f}");
    let strings = |f: &str| -> Option<Vec<&str>> {
        match doc.get(f) {
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => {
                Some(a.iter().filter_map(Value::as_str).collect())
            }
            _ => None,
        }
    };
    let capabilities = strings("capabilities").unwrap_or_default();
    let mut required: Vec<&str> = vec![
        "token_endpoint",
        "grant_types_supported",
        "capabilities",
        "code_challenge_methods_supported",
    ];
    if capabilities
        .iter()
        .any(|c| matches!(*c, "launch-ehr" | "launch-standalone"))
    {
        required.push("authorization_endpoint");
    }
    if capabilities.contains(&"sso-openid-connect") {
        required.extend(["issuer", "jwks_uri"]);
    }
    for f in required {
        if !doc.contains_key(f) {
            out.push(Warning::at(
                "smart_configuration_missing",
                at(f),
                format!("The smart-configuration document has no \"{f}\", which SMART App Launch 2.2 requires here."),
            ));
        }
    }
    for f in [
        "issuer",
        "jwks_uri",
        "authorization_endpoint",
        "token_endpoint",
        "registration_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
        "management_endpoint",
    ] {
        if let Some(v) = doc.get(f) {
            let ok = v
                .as_str()
                .is_some_and(|s| s.starts_with("https://") || s.starts_with("http://"));
            if !ok {
                out.push(Warning::at(
                    "smart_configuration_invalid",
                    at(f),
                    format!("\"{f}\" is not a URL string."),
                ));
            }
        }
    }
    for f in [
        "grant_types_supported",
        "capabilities",
        "code_challenge_methods_supported",
        "scopes_supported",
        "response_types_supported",
        "token_endpoint_auth_methods_supported",
    ] {
        if doc.contains_key(f) && strings(f).is_none() {
            out.push(Warning::at(
                "smart_configuration_invalid",
                at(f),
                format!("\"{f}\" is not an array of strings."),
            ));
        }
    }
    if let Some(methods) = strings("code_challenge_methods_supported") {
        if !methods.contains(&"S256") {
            out.push(Warning::at(
                "smart_configuration_pkce",
                at("code_challenge_methods_supported"),
                "The server does not offer PKCE S256, which SMART App Launch 2.2 requires.",
            ));
        }
        if methods.contains(&"plain") {
            out.push(Warning::at(
                "smart_configuration_pkce",
                at("code_challenge_methods_supported"),
                "The server offers PKCE \"plain\", which SMART App Launch 2.2 forbids (it protects nothing against a stolen code).",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(doc: Value) -> Vec<(&'static str, String)> {
        check(doc.as_object().unwrap())
            .into_iter()
            .map(|w| (w.code, w.claim.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn a_complete_document_has_no_warnings() {
        let doc = json!({
            "issuer": "https://as.example", "jwks_uri": "https://as.example/jwks",
            "authorization_endpoint": "https://as.example/authorize",
            "token_endpoint": "https://as.example/token",
            "grant_types_supported": ["authorization_code"],
            "capabilities": ["launch-standalone", "sso-openid-connect"],
            "code_challenge_methods_supported": ["S256"],
        });
        assert!(codes(doc).is_empty());
    }

    #[test]
    fn missing_fields_and_pkce_problems_are_warnings() {
        let doc = json!({
            "capabilities": ["launch-ehr", "sso-openid-connect"],
            "code_challenge_methods_supported": ["plain"],
            "token_endpoint": 7,
        });
        let got = codes(doc);
        let want = [
            (
                "smart_configuration_missing",
                "smart-configuration.grant_types_supported",
            ),
            (
                "smart_configuration_missing",
                "smart-configuration.authorization_endpoint",
            ),
            ("smart_configuration_missing", "smart-configuration.issuer"),
            (
                "smart_configuration_missing",
                "smart-configuration.jwks_uri",
            ),
            (
                "smart_configuration_invalid",
                "smart-configuration.token_endpoint",
            ),
            (
                "smart_configuration_pkce",
                "smart-configuration.code_challenge_methods_supported",
            ),
            (
                "smart_configuration_pkce",
                "smart-configuration.code_challenge_methods_supported",
            ),
        ];
        let want: Vec<_> = want.iter().map(|(c, f)| (*c, f.to_string())).collect();
        assert_eq!(got, want);
    }
}
