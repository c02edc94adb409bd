//! IHE IUA Rev 2.4, Get Authorization Server Metadata [ITI-103] (ITI TF-2 3.103.4.2.2): the
//! RFC 8414 document an IUA Authorization Server publishes, with IUA's extra constraints. A host
//! that discovered an IUA issuer's keys hands the document to [`crate::discovery::read`], which
//! calls [`check`]; every problem is a warning (the keys may still be right), with the field in
//! `claim` as `metadata.<field>`.

use crate::error::Warning;
use serde_json::{Map, Value};

const SPEC: &str = "IHE ITI TF-2 3.103.4.2.2 (IUA Rev 2.4, Get Authorization Server Metadata)";

/// Fields ITI-103 requires of every IUA Authorization Server (`jwks_uri` is required for the
/// JWT Token Option, and discovery already refuses a document without it).
const REQUIRED: &[&str] = &[
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "response_types_supported",
    "grant_types_supported",
];

/// The metadata rules, for documentation (the README's "What azlens checks" lists them).
pub const RULES: &[(&str, &str)] = &[
    (
        "iua_metadata_missing",
        "issuer, authorization_endpoint, token_endpoint, response_types_supported and grant_types_supported are present; introspection_endpoint_auth_methods_supported too when introspection_endpoint is",
    ),
    (
        "iua_metadata_invalid",
        "issuer is an https URL without query or fragment; endpoints are URLs; lists are arrays of strings",
    ),
    (
        "iua_metadata_values",
        "response_types_supported has \"code\" and not \"token\"; grant_types_supported has client_credentials and authorization_code; token_endpoint_auth_methods_supported (if given) has client_secret_basic; introspection_endpoint_auth_methods_supported has Bearer",
    ),
];

/// Problems in an IUA Authorization Server's metadata document, as warnings.
pub fn check(doc: &Map<String, Value>) -> Vec<Warning> {
    let mut out = Vec::new();
    let at = |f: &str| format!("metadata.{f}");
    let list = |f: &str| -> Option<Vec<&str>> {
        match doc.get(f) {
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => {
                Some(a.iter().filter_map(Value::as_str).collect())
            }
            _ => None,
        }
    };
    let mut required: Vec<&str> = REQUIRED.to_vec();
    if doc.contains_key("introspection_endpoint") {
        required.push("introspection_endpoint_auth_methods_supported");
    }
    for f in required {
        if !doc.contains_key(f) {
            out.push(Warning::at(
                "iua_metadata_missing",
                at(f),
                format!("The authorization server metadata has no \"{f}\", which IUA's ITI-103 requires. ({SPEC})"),
            ));
        }
    }
    if let Some(v) = doc.get("issuer") {
        let ok = v
            .as_str()
            .is_some_and(|s| s.starts_with("https://") && !s.contains('?') && !s.contains('#'));
        if !ok {
            out.push(Warning::at(
                "iua_metadata_invalid",
                at("issuer"),
                "The metadata's \"issuer\" must be an https URL without query or fragment (ITI-103).",
            ));
        }
    }
    for f in [
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "introspection_endpoint",
    ] {
        if let Some(v) = doc.get(f) {
            if !v
                .as_str()
                .is_some_and(|s| s.starts_with("https://") || s.starts_with("http://"))
            {
                out.push(Warning::at(
                    "iua_metadata_invalid",
                    at(f),
                    format!("The metadata's \"{f}\" is not a URL string."),
                ));
            }
        }
    }
    for f in [
        "response_types_supported",
        "grant_types_supported",
        "scopes_supported",
        "token_endpoint_auth_methods_supported",
        "introspection_endpoint_auth_methods_supported",
        "access_token_format",
    ] {
        if doc.contains_key(f) && list(f).is_none() {
            out.push(Warning::at(
                "iua_metadata_invalid",
                at(f),
                format!("The metadata's \"{f}\" is not an array of strings."),
            ));
        }
    }
    let mut value = |f: &str, message: String| {
        out.push(Warning::at("iua_metadata_values", at(f), message));
    };
    if let Some(types) = list("response_types_supported") {
        if !types.contains(&"code") {
            value(
                "response_types_supported",
                "The metadata's \"response_types_supported\" lacks \"code\", which IUA Authorization Servers must offer (ITI-103).".into(),
            );
        }
        if types.contains(&"token") {
            value(
                "response_types_supported",
                "The metadata offers the response type \"token\" (the implicit grant), which OAuth 2.1 and so IUA Rev 2.4 no longer have.".into(),
            );
        }
    }
    if let Some(grants) = list("grant_types_supported") {
        for g in ["client_credentials", "authorization_code"] {
            if !grants.contains(&g) {
                value(
                    "grant_types_supported",
                    format!("The metadata's \"grant_types_supported\" lacks \"{g}\", which ITI-103 requires."),
                );
            }
        }
    }
    if let Some(methods) = list("token_endpoint_auth_methods_supported") {
        if !methods.contains(&"client_secret_basic") {
            value(
                "token_endpoint_auth_methods_supported",
                "The metadata's \"token_endpoint_auth_methods_supported\" lacks \"client_secret_basic\", which ITI-103 requires when the list is given.".into(),
            );
        }
    }
    if let Some(methods) = list("introspection_endpoint_auth_methods_supported") {
        if !methods.iter().any(|m| m.eq_ignore_ascii_case("bearer")) {
            value(
                "introspection_endpoint_auth_methods_supported",
                "The metadata's \"introspection_endpoint_auth_methods_supported\" lacks \"Bearer\", which IUA's Token Introspection Option (ITI-102) requires.".into(),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(doc: Value) -> Vec<(&'static str, String)> {
        check(doc.as_object().unwrap())
            .into_iter()
            .map(|w| (w.code, w.claim.unwrap_or_default()))
            .collect()
    }

    fn complete() -> Value {
        json!({
            "issuer": "https://as.example/tenant1",
            "authorization_endpoint": "https://as.example/tenant1/authorize",
            "token_endpoint": "https://as.example/tenant1/token",
            "jwks_uri": "https://as.example/tenant1/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
            "introspection_endpoint": "https://as.example/tenant1/introspect",
            "introspection_endpoint_auth_methods_supported": ["Bearer"],
            "access_token_format": ["ihe-jwt"],
        })
    }

    #[test]
    fn a_complete_document_has_no_warnings() {
        assert_eq!(fields(complete()), []);
    }

    #[test]
    fn each_rule_names_its_field() {
        let m = |f: &str| format!("metadata.{f}");
        let mut doc = complete();
        doc.as_object_mut()
            .unwrap()
            .remove("authorization_endpoint");
        doc.as_object_mut()
            .unwrap()
            .remove("introspection_endpoint_auth_methods_supported");
        doc["issuer"] = json!("http://as.example/tenant1?x=1");
        doc["response_types_supported"] = json!(["code", "token"]);
        doc["grant_types_supported"] = json!(["authorization_code"]);
        doc["token_endpoint_auth_methods_supported"] = json!(["private_key_jwt"]);
        doc["access_token_format"] = json!("jwt");
        assert_eq!(
            fields(doc),
            [
                ("iua_metadata_missing", m("authorization_endpoint")),
                (
                    "iua_metadata_missing",
                    m("introspection_endpoint_auth_methods_supported")
                ),
                ("iua_metadata_invalid", m("issuer")),
                ("iua_metadata_invalid", m("access_token_format")),
                ("iua_metadata_values", m("response_types_supported")),
                ("iua_metadata_values", m("grant_types_supported")),
                (
                    "iua_metadata_values",
                    m("token_endpoint_auth_methods_supported")
                ),
            ]
        );
        let mut doc = complete();
        doc["introspection_endpoint_auth_methods_supported"] = json!(["client_secret_basic"]);
        doc["response_types_supported"] = json!(["id_token"]);
        assert_eq!(
            fields(doc),
            [
                ("iua_metadata_values", m("response_types_supported")),
                (
                    "iua_metadata_values",
                    m("introspection_endpoint_auth_methods_supported")
                ),
            ]
        );
    }
}
