//! What a discovery document a host fetched for an issuer means. Hosts fetch
//! `{issuer}/.well-known/openid-configuration` (then `…/smart-configuration`) and hand the
//! bytes here; the core says which key set it leads to, refuses a document that cannot be
//! trusted for that, and lists the document's other problems as warnings:
//!
//! - any document: a JSON object whose `issuer` is exactly the issuer asked about (else it is
//!   refused: a mismatch means the wrong server or a mix-up attack) with a `jwks_uri` string;
//! - a `smart-configuration` document: SMART App Launch 2.2's required fields and PKCE
//!   ([`crate::profiles::smart::configuration`]);
//! - under the `iua` profile: IHE IUA's Get Authorization Server Metadata [ITI-103] rules
//!   ([`crate::profiles::iua_metadata`]).
//!
//! Warnings never refuse a token; they ride along with the verdicts that used the key set.

use crate::error::Warning;
use crate::policy::Policy;
use crate::profiles::{iua_metadata, smart, Profile};
use serde::Serialize;

/// A usable discovery document: where the keys are, and what else is wrong with it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Discovered {
    pub jwks_uri: String,
    pub warnings: Vec<Warning>,
}

/// Read the discovery document fetched from `url` for `issuer` under `policy`. `Err` holds a
/// sentence naming why the document cannot be used.
pub fn read(policy: &Policy, issuer: &str, url: &str, bytes: &[u8]) -> Result<Discovered, String> {
    let doc = match crate::json::parse_value(bytes, policy.limits.max_json_depth) {
        Ok(serde_json::Value::Object(m)) => m,
        Ok(_) => {
            return Err(format!(
                "the discovery document of {issuer} is not a JSON object"
            ))
        }
        Err(e) => {
            return Err(format!(
                "the discovery document of {issuer} is not usable JSON ({e})"
            ))
        }
    };
    match doc.get("issuer") {
        Some(serde_json::Value::String(s)) if s == issuer => {}
        other => {
            let named = other.map_or("nothing".to_string(), |v| {
                crate::limits::clip(&v.to_string(), crate::limits::MAX_ECHO_BYTES).into_owned()
            });
            return Err(format!(
                "the discovery document names the issuer {named}, not \"{issuer}\" (refused: a mismatch means the wrong server or a mix-up attack)"
            ));
        }
    }
    let Some(jwks_uri) = doc.get("jwks_uri").and_then(|v| v.as_str()) else {
        return Err(format!(
            "the discovery document of {issuer} has no \"jwks_uri\""
        ));
    };
    let mut warnings = Vec::new();
    if is_smart_configuration(url) {
        warnings.extend(smart::configuration::check(&doc));
    }
    if policy.profile_for(policy.issuer(issuer)) == Some(Profile::Iua) {
        warnings.extend(iua_metadata::check(&doc));
    }
    Ok(Discovered {
        jwks_uri: jwks_uri.to_owned(),
        warnings,
    })
}

/// Was `url` a SMART configuration address (`…/.well-known/smart-configuration`)?
fn is_smart_configuration(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    path.ends_with("/.well-known/smart-configuration")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(extra: serde_json::Value) -> Policy {
        let mut p = json!({"algorithms": ["ES256"],
            "issuers": [{"issuer": "https://as.example", "discovery": true}]});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        Policy::from_json(&p.to_string()).unwrap()
    }

    fn codes(d: &Discovered) -> Vec<(&'static str, String)> {
        d.warnings
            .iter()
            .map(|w| (w.code, w.claim.clone().unwrap_or_default()))
            .collect()
    }

    const SMART_URL: &str = "https://as.example/.well-known/smart-configuration";
    const OIDC_URL: &str = "https://as.example/.well-known/openid-configuration";

    #[test]
    fn the_issuer_must_match_and_name_a_jwks_uri() {
        let p = policy(json!({}));
        let read = |doc: serde_json::Value| {
            read(
                &p,
                "https://as.example",
                OIDC_URL,
                doc.to_string().as_bytes(),
            )
        };
        let ok =
            read(json!({"issuer": "https://as.example", "jwks_uri": "https://as.example/jwks"}))
                .unwrap();
        assert_eq!(ok.jwks_uri, "https://as.example/jwks");
        assert!(ok.warnings.is_empty());
        let e = read(json!({"issuer": "https://evil.example", "jwks_uri": "x"})).unwrap_err();
        assert!(
            e.contains("names the issuer \"https://evil.example\""),
            "{e}"
        );
        let e = read(json!({"issuer": "https://as.example"})).unwrap_err();
        assert!(e.contains("no \"jwks_uri\""), "{e}");
        assert!(super::read(&p, "https://as.example", OIDC_URL, b"[1]")
            .unwrap_err()
            .contains("not a JSON object"));
        assert!(super::read(&p, "https://as.example", OIDC_URL, b"{\"a\":1,\"a\":2}").is_err());
    }

    #[test]
    fn a_smart_configuration_is_checked_when_it_was_the_one_discovered() {
        let p = policy(json!({}));
        let doc = json!({"issuer": "https://as.example", "jwks_uri": "https://as.example/jwks",
            "token_endpoint": "https://as.example/token", "grant_types_supported": ["authorization_code"],
            "capabilities": ["launch-standalone"], "authorization_endpoint": "https://as.example/authorize",
            "code_challenge_methods_supported": ["S256", "plain"]});
        let d = read(
            &p,
            "https://as.example",
            SMART_URL,
            doc.to_string().as_bytes(),
        )
        .unwrap();
        assert_eq!(
            codes(&d),
            [(
                "smart_configuration_pkce",
                "smart-configuration.code_challenge_methods_supported".to_string()
            )]
        );
        // The same JSON found as an OpenID configuration is not judged by SMART's rules.
        let d = read(
            &p,
            "https://as.example",
            OIDC_URL,
            doc.to_string().as_bytes(),
        )
        .unwrap();
        assert!(d.warnings.is_empty());
    }

    #[test]
    fn under_iua_the_metadata_rules_apply() {
        let p = policy(json!({"profile": "iua"}));
        let doc = json!({"issuer": "https://as.example", "jwks_uri": "https://as.example/jwks"});
        let d = read(
            &p,
            "https://as.example",
            OIDC_URL,
            doc.to_string().as_bytes(),
        )
        .unwrap();
        assert!(
            codes(&d)
                .iter()
                .any(|(c, f)| *c == "iua_metadata_missing" && f == "metadata.token_endpoint"),
            "{:?}",
            codes(&d)
        );
        let d = read(
            &policy(json!({})),
            "https://as.example",
            OIDC_URL,
            doc.to_string().as_bytes(),
        )
        .unwrap();
        assert!(d.warnings.is_empty());
    }
}
