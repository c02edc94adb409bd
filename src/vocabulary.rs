//! The policy's vocabulary as data: every member of the policy document (and of an `issuers`
//! entry) with its type, default and bounds, the algorithms, the profiles, the limits with their
//! ceilings and the key cache's defaults. Hosts and the page render forms and check their types
//! from this one export instead of restating the core; tests here keep it equal to what the
//! policy reader accepts.

use crate::alg::{Algorithm, Family};
use crate::limits::{Limits, MAX_CRIT_NAMES};
use crate::policy::hosts::KeyCache;
use crate::policy::{DEFAULT_LEEWAY, MAX_LEEWAY};
use crate::profiles::Profile;
use serde_json::{json, Value};

/// One member of a policy object: `(name, type, what it is)`. Types: `string`, `strings`
/// (a string or an array of them), `string[]`, `integer`, `boolean`, `algorithm[]`, `profile`,
/// `keys`, `object` (a section with its own members), `object[]`.
type Member = (&'static str, &'static str, &'static str);

/// The members of the policy document, in the order the README lists them.
pub const POLICY_MEMBERS: &[Member] = &[
    (
        "algorithms",
        "algorithm[]",
        "accepted signature algorithms (required)",
    ),
    ("issuers", "object[]", "one entry per trusted issuer"),
    ("audience", "strings", "accepted audiences"),
    ("leeway", "integer", "seconds of clock skew allowed"),
    ("typ", "string", "the required `typ` header"),
    (
        "required_claims",
        "string[]",
        "claims every token must carry",
    ),
    (
        "max_token_age",
        "integer",
        "seconds since `iat` a token may be used",
    ),
    (
        "max_lifetime",
        "integer",
        "longest `exp` - `iat`, in seconds",
    ),
    ("require_exp", "boolean", "refuse tokens without `exp`"),
    ("subject", "string", "the required `sub`"),
    (
        "crit",
        "string[]",
        "`crit` header names the caller understands",
    ),
    ("keys", "keys", "trusted keys for every issuer"),
    ("limits", "object", "size and depth limits"),
    ("profile", "profile", "the profile whose rules apply"),
    (
        "profile_options",
        "object",
        "settings of the profile's rules",
    ),
    ("key_cache", "object", "how fetched key sets are cached"),
    ("token", "object", "where the gateway finds the token"),
    ("routes", "object[]", "the gateway's routes and their rules"),
    ("forward", "object", "what the gateway passes upstream"),
    ("envoy", "object", "the Envoy filter's own settings"),
    (
        "introspection",
        "object",
        "the RFC 7662 endpoint the gateway serves",
    ),
    (
        "request",
        "object",
        "how the gateway reads a request (bounds, override headers)",
    ),
    (
        "trust_anchors",
        "strings",
        "PEM certificates x5c chains must lead to",
    ),
    ("crls", "string[]", "CRLs for the chains' certificates"),
    (
        "crl_urls",
        "string[]",
        "CRL addresses fetched like key sets",
    ),
    ("revocation", "string", "`required` or `best_effort`"),
    (
        "iua_rules",
        "object",
        "policy-wide settings of the routes' IUA rules",
    ),
    (
        "audit",
        "object",
        "how audit records name the gateway and where they go",
    ),
];

/// The members of one `issuers` entry.
pub const ISSUER_MEMBERS: &[Member] = &[
    ("issuer", "string", "the `iss` value (required)"),
    ("audience", "strings", "accepted audiences for this issuer"),
    (
        "algorithms",
        "algorithm[]",
        "a subset of the policy's algorithms",
    ),
    ("keys", "keys", "this issuer's trusted keys"),
    (
        "jwks_uri",
        "string",
        "where this issuer's key set is fetched",
    ),
    (
        "discovery",
        "boolean",
        "find jwks_uri in the issuer's metadata",
    ),
    (
        "jku",
        "string[]",
        "key-set addresses a token's `jku` may name",
    ),
    ("profile", "profile", "the profile for this issuer's tokens"),
    (
        "trust_anchors",
        "strings",
        "PEM anchors for this issuer's x5c chains",
    ),
    (
        "crl_urls",
        "string[]",
        "CRL addresses for this issuer's chains",
    ),
];

fn members(list: &[Member], extra: impl Fn(&str) -> Value) -> Value {
    Value::Array(
        list.iter()
            .map(|(name, ty, about)| {
                let mut m = json!({"name": name, "type": ty, "about": about});
                if let (Value::Object(m), Value::Object(more)) = (&mut m, extra(name)) {
                    m.extend(more);
                }
                m
            })
            .collect(),
    )
}

fn family(f: Family) -> &'static str {
    match f {
        Family::RsaPkcs1 => "rsa_pkcs1",
        Family::RsaPss => "rsa_pss",
        Family::Ecdsa => "ecdsa",
        Family::EdDsa => "eddsa",
        Family::Hmac => "hmac",
    }
}

/// The schema as JSON (the wasm export `policySchema()` returns it as text).
pub fn policy_schema() -> Value {
    let algorithms: Vec<Value> = Algorithm::ALL
        .iter()
        .map(|a| {
            json!({
                "name": a.name(),
                "family": family(a.family()),
                // HMAC keys are shared secrets, never published: a form leaves them off
                // unless the person asks for them.
                "shared_secret": a.family() == Family::Hmac,
            })
        })
        .collect();
    let profiles: Vec<&str> = Profile::ALL.iter().map(|p| p.name()).collect();
    let limits: Vec<Value> = Limits::default()
        .named()
        .iter()
        .map(|(name, default, ceiling)| {
            json!({"name": name, "type": "integer", "default": default, "min": 1, "max": ceiling})
        })
        .collect();
    let key_cache = serde_json::to_value(KeyCache::default()).unwrap_or(Value::Null);
    let policy = members(POLICY_MEMBERS, |name| match name {
        "algorithms" => json!({"required": true}),
        "leeway" => json!({"default": DEFAULT_LEEWAY, "min": 0, "max": MAX_LEEWAY}),
        "require_exp" => json!({"default": true}),
        "crit" => json!({"max_items": MAX_CRIT_NAMES}),
        "revocation" => json!({"default": "required", "values": ["required", "best_effort"]}),
        "profile" => json!({"values": profiles}),
        _ => json!({}),
    });
    let issuer = members(ISSUER_MEMBERS, |name| match name {
        "issuer" => json!({"required": true}),
        "discovery" => json!({"default": false}),
        "profile" => json!({"values": profiles}),
        _ => json!({}),
    });
    json!({
        "algorithms": algorithms,
        "profiles": profiles,
        "policy": policy,
        "issuer": issuer,
        "limits": limits,
        "key_cache": key_cache,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    /// The members the policy reader accepts, as its "unknown field" error lists them.
    fn accepted(doc: Value) -> Vec<String> {
        let err = Policy::from_json(&doc.to_string())
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        let list = err
            .split("expected one of ")
            .nth(1)
            .unwrap_or_else(|| panic!("no member list in {err:?}"));
        let list = list.split(" at line").next().unwrap_or(list);
        list.split(", ")
            .map(|n| n.trim_matches('`').to_owned())
            .collect()
    }

    fn names(list: &[Member]) -> Vec<String> {
        list.iter().map(|m| m.0.to_owned()).collect()
    }

    #[test]
    fn policy_members_are_the_ones_the_reader_accepts() {
        let core = accepted(json!({"algorithms": ["RS256"], "not_a_member": 1}));
        assert_eq!(names(POLICY_MEMBERS), core);
        let issuer = accepted(json!({
            "algorithms": ["RS256"],
            "issuers": [{"issuer": "https://as", "not_a_member": 1}]
        }));
        assert_eq!(names(ISSUER_MEMBERS), issuer);
        let limits = accepted(json!({"algorithms": ["RS256"], "limits": {"not_a_member": 1}}));
        let schema = policy_schema();
        let exported: Vec<String> = schema["limits"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l["name"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(exported, limits);
        let cache = accepted(json!({"algorithms": ["RS256"], "key_cache": {"not_a_member": 1}}));
        let exported: Vec<String> = schema["key_cache"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(exported, cache);
    }

    #[test]
    fn leeway_bounds_are_the_ones_validate_applies() {
        let with = |leeway: u64| {
            Policy::from_json(&json!({"algorithms": ["RS256"], "leeway": leeway}).to_string())
        };
        assert!(with(MAX_LEEWAY).is_ok());
        assert!(with(MAX_LEEWAY + 1).is_err());
        let defaulted = Policy::from_json(r#"{"algorithms": ["RS256"]}"#).map(|p| p.leeway);
        assert_eq!(defaulted, Ok(DEFAULT_LEEWAY));
    }

    #[test]
    fn every_algorithm_and_profile_is_named() {
        let s = policy_schema();
        assert_eq!(
            s["algorithms"].as_array().map(Vec::len),
            Some(Algorithm::ALL.len())
        );
        assert_eq!(s["algorithms"][0]["name"], "RS256");
        assert_eq!(s["algorithms"][10]["shared_secret"], true);
        assert_eq!(
            s["profiles"].as_array().map(Vec::len),
            Some(Profile::ALL.len())
        );
    }
}
