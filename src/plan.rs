//! Which keys a host should fetch for a token, decided by the core so that every host (JS shim,
//! edge worker, Envoy filter) fetches exactly the same, allow-listed, sources.
//!
//! The token is not trusted here: its unverified `iss`, `kid` and `jku` only select among
//! sources the policy already names. A token can never add a URL to fetch.

use crate::error::Problem;
use crate::policy::Policy;
use crate::token;
use crate::verify::jku_allowed;
use serde::Serialize;
use serde_json::Value;

/// A remote source of keys, named by the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum KeySource {
    /// The issuer's configured JWK Set URL.
    JwksUri { url: String },
    /// A `jku` the token names and the issuer's allow-list contains.
    Jku { url: String },
    /// OpenID / SMART discovery of the issuer: `{issuer}/.well-known/openid-configuration`,
    /// then `{issuer}/.well-known/smart-configuration`; the document's `issuer` must match.
    Discovery { issuer: String },
    /// A certificate revocation list for the token's `x5c` chain (the policy's or the issuer's
    /// `crl_urls`), fetched like a key set; the bytes are PEM `X509 CRL` or DER.
    Crl { url: String },
}

/// What to fetch before verifying a token.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KeyPlan {
    /// The token's (unverified) issuer, when the policy trusts it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Sources to fetch, in order of preference; empty when only inline keys apply.
    pub sources: Vec<KeySource>,
    /// Problems that make fetching pointless (malformed token). Verification reports them too.
    pub errors: Vec<Problem>,
}

/// Decide which key sources to fetch for `token` under `policy`.
pub fn key_plan(token: &str, policy: &Policy) -> KeyPlan {
    match token::parse(token, &policy.limits) {
        Ok(parsed) => key_plan_parsed(&parsed, policy),
        Err(e) => KeyPlan {
            errors: vec![e],
            ..KeyPlan::default()
        },
    }
}

/// [`key_plan`] for a token already parsed.
pub fn key_plan_parsed(parsed: &token::ParsedToken, policy: &Policy) -> KeyPlan {
    let mut plan = KeyPlan {
        kid: parsed.header.kid.clone(),
        ..KeyPlan::default()
    };
    let issuer = parsed
        .payload
        .get("iss")
        .and_then(Value::as_str)
        .and_then(|iss| policy.issuer(iss));
    // CRLs matter only for a chain that will be checked: a token with x5c, and trust anchors.
    let anchors =
        issuer.is_some_and(|i| i.trust_anchors.is_some()) || policy.trust_anchors.is_some();
    let crl_urls: Vec<&String> = if parsed.header.has_x5c && anchors {
        let own = issuer.map(|i| i.crl_urls.as_slice()).unwrap_or_default();
        own.iter().chain(&policy.crl_urls).collect()
    } else {
        Vec::new()
    };
    let Some(issuer) = issuer else {
        push_crls(&mut plan, &crl_urls);
        return plan;
    };
    plan.issuer = Some(issuer.issuer.clone());
    if let Some(jku) = &parsed.header.jku {
        if jku_allowed(jku, Some(issuer)) {
            plan.sources.push(KeySource::Jku { url: jku.clone() });
        }
    }
    if let Some(url) = &issuer.jwks_uri {
        plan.sources.push(KeySource::JwksUri { url: url.clone() });
    }
    if issuer.discovery {
        plan.sources.push(KeySource::Discovery {
            issuer: issuer.issuer.clone(),
        });
    }
    push_crls(&mut plan, &crl_urls);
    plan
}

/// Whether [`key_plan`] plans no source for any token under `policy`: it names no `jwks_uri`,
/// discovery, `jku` or CRL URL, so only inline keys can verify. A host may then skip asking for
/// a plan (the verdict is the same as with an empty one).
pub fn never_fetches(policy: &Policy) -> bool {
    policy.crl_urls.is_empty()
        && policy.issuers.iter().all(|i| {
            i.jwks_uri.is_none() && !i.discovery && i.jku.is_empty() && i.crl_urls.is_empty()
        })
}

fn push_crls(plan: &mut KeyPlan, urls: &[&String]) {
    for url in urls {
        let source = KeySource::Crl {
            url: (*url).clone(),
        };
        if !plan.sources.contains(&source) {
            plan.sources.push(source);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::base64url::encode;

    fn token(header: &str, payload: &str) -> String {
        format!(
            "{}.{}.c2ln",
            encode(header.as_bytes()),
            encode(payload.as_bytes())
        )
    }

    #[test]
    fn a_policy_without_remote_names_never_fetches_and_each_name_makes_it_fetch() {
        let base = r#"{"algorithms":["RS256","ES256"],"trust_anchors":"x","issuers":[{"issuer":"https://ehr.example","keys":{"keys":[]}}]}"#;
        let inline = Policy::from_json(base).unwrap();
        assert!(never_fetches(&inline));
        // Tokens that name every kind of source: none is planned.
        for header in [
            r#"{"alg":"RS256","kid":"a"}"#,
            r#"{"alg":"RS256","jku":"https://ehr.example/jwks"}"#,
            r#"{"alg":"ES256","x5c":["MA=="]}"#,
        ] {
            for iss in ["https://ehr.example", "https://other.example"] {
                let plan = key_plan(&token(header, &format!(r#"{{"iss":"{iss}"}}"#)), &inline);
                assert!(plan.sources.is_empty(), "{header} from {iss}");
            }
        }
        for extra in [
            r#""jwks_uri":"https://ehr.example/jwks""#,
            r#""discovery":true"#,
            r#""jku":["https://ehr.example/jwks"]"#,
            r#""crl_urls":["https://ca.example/int.crl"]"#,
        ] {
            let doc = base.replace(r#""keys":{"keys":[]}"#, extra);
            assert!(!never_fetches(&Policy::from_json(&doc).unwrap()), "{extra}");
        }
        let policy_crls = base.replace(
            r#""trust_anchors":"x""#,
            r#""trust_anchors":"x","crl_urls":["https://ca.example/root.crl"]"#,
        );
        assert!(!never_fetches(&Policy::from_json(&policy_crls).unwrap()));
    }

    #[test]
    fn only_policy_named_sources_are_planned() {
        let policy = Policy::from_json(
            r#"{"algorithms":["RS384"],"issuers":[{"issuer":"https://ehr.example",
                "jwks_uri":"https://ehr.example/jwks","jku":["https://ehr.example/cds-jwks"],
                "discovery":true}]}"#,
        )
        .unwrap();
        let ok = key_plan(
            &token(
                r#"{"alg":"RS384","kid":"a","jku":"https://ehr.example/cds-jwks"}"#,
                r#"{"iss":"https://ehr.example"}"#,
            ),
            &policy,
        );
        assert_eq!(ok.issuer.as_deref(), Some("https://ehr.example"));
        assert_eq!(ok.sources.len(), 3);
        assert_eq!(
            ok.sources[0],
            KeySource::Jku {
                url: "https://ehr.example/cds-jwks".into()
            }
        );

        let evil = key_plan(
            &token(
                r#"{"alg":"RS384","jku":"https://evil.example/jwks"}"#,
                r#"{"iss":"https://ehr.example"}"#,
            ),
            &policy,
        );
        assert!(!evil
            .sources
            .iter()
            .any(|s| matches!(s, KeySource::Jku { .. })));

        let stranger = key_plan(
            &token(
                r#"{"alg":"RS384","jku":"https://evil.example/jwks"}"#,
                r#"{"iss":"https://evil.example"}"#,
            ),
            &policy,
        );
        assert!(stranger.sources.is_empty() && stranger.issuer.is_none());

        assert_eq!(key_plan("garbage", &policy).errors.len(), 1);
    }

    #[test]
    fn crl_urls_are_planned_for_a_token_with_x5c_when_anchors_are_configured() {
        // The plan reads only the policy document's names; the anchors are parsed by the Verifier.
        let policy = Policy::from_json(
            r#"{"algorithms":["ES256"],"trust_anchors":"x","crl_urls":["https://ca.example/root.crl"],
                "issuers":[{"issuer":"https://client.example","crl_urls":["https://ca.example/int.crl"]}]}"#,
        )
        .unwrap();
        let crls = |header: &str, iss: &str| -> Vec<KeySource> {
            key_plan(&token(header, &format!(r#"{{"iss":"{iss}"}}"#)), &policy)
                .sources
                .into_iter()
                .filter(|s| matches!(s, KeySource::Crl { .. }))
                .collect()
        };
        let url = |u: &str| KeySource::Crl { url: u.into() };
        assert_eq!(
            crls(
                r#"{"alg":"ES256","x5c":["MA=="]}"#,
                "https://client.example"
            ),
            [
                url("https://ca.example/int.crl"),
                url("https://ca.example/root.crl")
            ]
        );
        assert_eq!(
            crls(r#"{"alg":"ES256","x5c":["MA=="]}"#, "https://other.example"),
            [url("https://ca.example/root.crl")]
        );
        assert!(crls(r#"{"alg":"ES256"}"#, "https://client.example").is_empty());
        let no_anchors = Policy::from_json(
            r#"{"algorithms":["ES256"],"crl_urls":["https://ca.example/root.crl"]}"#,
        )
        .unwrap();
        assert!(key_plan(
            &token(r#"{"alg":"ES256","x5c":["MA=="]}"#, "{}"),
            &no_anchors
        )
        .sources
        .is_empty());
    }
}
