//! The policy document: the one JSON vocabulary that configures every host (Rust API, JS shim,
//! edge worker, Envoy filter, CLI). snake_case in JSON; the JS shim accepts the same names in
//! camelCase. Unknown fields are errors, so a typo never silently weakens a check.
//!
//! [`hosts`] holds the sections that hosts act on (token sources, key cache, routes, forwarding).

pub mod hosts;
mod urls;

use crate::alg::Algorithm;
use crate::limits::Limits;
use crate::policy::hosts::{
    EnvoySettings, Forward, Introspection, KeyCache, RequestRules, Route, TokenSources,
};
use crate::profiles::{Profile, ProfileOptions};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::fmt;

/// Default clock skew tolerance, in seconds.
pub const DEFAULT_LEEWAY: u64 = 60;
/// The most leeway a policy may give, in seconds: more hides real clock problems.
pub const MAX_LEEWAY: u64 = 600;

/// How a token is verified.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Algorithms accepted. Required: the token never chooses its own algorithm.
    pub algorithms: Vec<Algorithm>,
    /// Trusted issuers with their own audiences, algorithms and key sources. When non-empty,
    /// `iss` must match one exactly.
    #[serde(default)]
    pub issuers: Vec<IssuerPolicy>,
    /// Audiences this service answers to (string or array), for issuers that name none.
    #[serde(default, deserialize_with = "one_or_many")]
    pub audience: Vec<String>,
    /// Clock skew tolerance in seconds for `exp`, `nbf`, `iat` (default 60).
    #[serde(default = "default_leeway")]
    pub leeway: u64,
    /// Required header `typ` (e.g. `at+jwt` for RFC 9068 access tokens), compared
    /// case-insensitively with an optional `application/` prefix.
    #[serde(default)]
    pub typ: Option<String>,
    /// Claims that must be present.
    #[serde(default)]
    pub required_claims: Vec<String>,
    /// Reject tokens whose `iat` is more than this many seconds ago.
    #[serde(default)]
    pub max_token_age: Option<u64>,
    /// Reject tokens valid for longer than this many seconds (`exp` − `iat`).
    #[serde(default)]
    pub max_lifetime: Option<u64>,
    /// Require `exp` (default true).
    #[serde(default = "yes")]
    pub require_exp: bool,
    /// Expected `sub`, if any.
    #[serde(default)]
    pub subject: Option<String>,
    /// Header extensions the application understands, for `crit` (RFC 7515 §4.1.11).
    #[serde(default)]
    pub crit: Vec<String>,
    /// Keys trusted for every issuer: anything [`crate::KeySet::parse`] reads, as a JSON value
    /// (JWK Set, JWK, array) or a string (PEM, OpenSSH line).
    #[serde(default)]
    pub keys: Option<Value>,
    /// Bounds on untrusted input.
    #[serde(default)]
    pub limits: Limits,
    /// The healthcare profile whose rules apply on top of the core checks (an issuer's own
    /// `profile` overrides it).
    #[serde(default)]
    pub profile: Option<Profile>,
    /// Options some profile rules need (`nonce`, `max_age`, `token_endpoint`, …).
    #[serde(default)]
    pub profile_options: ProfileOptions,
    /// Hosts: how remote key sets are fetched and cached.
    #[serde(default)]
    pub key_cache: KeyCache,
    /// Hosts: where the token is read from.
    #[serde(default)]
    pub token: TokenSources,
    /// Hosts: what each path needs; paths no route covers need a valid token.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Hosts: verified facts sent upstream.
    #[serde(default)]
    pub forward: Forward,
    /// The Envoy filter's own settings.
    #[serde(default)]
    pub envoy: EnvoySettings,
    /// Hosts: an RFC 7662 introspection endpoint for the tokens this policy verifies.
    #[serde(default)]
    pub introspection: Option<Introspection>,
    /// Hosts: how the guard reads a request (bounds, override and `Prefer` headers).
    #[serde(default)]
    pub request: RequestRules,
    /// Certificates (PEM, a string or an array) an `x5c` chain must lead to; without them
    /// `x5c` is never a key source. An issuer's own `trust_anchors` replace these.
    #[serde(default)]
    pub trust_anchors: Option<Value>,
    /// Certificate revocation lists (PEM `X509 CRL` or base64 DER) for `x5c` chains.
    #[serde(default)]
    pub crls: Vec<String>,
    /// Where hosts fetch CRLs for `x5c` chains (like key sets: the key plan names them for a
    /// token with `x5c`); used beside `crls`.
    #[serde(default)]
    pub crl_urls: Vec<String>,
    /// `required` (default): a chain certificate without a current CRL from its issuer is
    /// refused; `best_effort`: accepted with a warning.
    #[serde(default)]
    pub revocation: crate::trust::Revocation,
    /// Policy-wide settings of the routes' IUA rules (the emergency purposes of use).
    #[serde(default)]
    pub iua_rules: crate::guard::iua_rules::IuaRules,
    /// How audit records name the gateway and where hosts send them.
    #[serde(default)]
    pub audit: crate::audit::AuditSettings,
}

/// One trusted issuer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerPolicy {
    /// The exact `iss` value.
    pub issuer: String,
    /// Audiences accepted from this issuer (string or array); falls back to the policy's.
    #[serde(default, deserialize_with = "one_or_many")]
    pub audience: Vec<String>,
    /// Narrows the policy's algorithms for this issuer.
    #[serde(default)]
    pub algorithms: Option<Vec<Algorithm>>,
    /// Inline keys for this issuer (same forms as [`Policy::keys`]).
    #[serde(default)]
    pub keys: Option<Value>,
    /// Where hosts fetch this issuer's JWK Set.
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// Let hosts find `jwks_uri` through OpenID / SMART discovery of this issuer.
    #[serde(default)]
    pub discovery: bool,
    /// `jku` URLs this issuer's tokens may name (exact match). Any other `jku` is refused.
    #[serde(default)]
    pub jku: Vec<String>,
    /// The profile for this issuer's tokens, overriding the policy's.
    #[serde(default)]
    pub profile: Option<Profile>,
    /// Trust anchors for this issuer's `x5c` chains, in place of the policy's.
    #[serde(default)]
    pub trust_anchors: Option<Value>,
    /// CRL URLs for this issuer's `x5c` chains, fetched besides the policy's `crl_urls`.
    #[serde(default)]
    pub crl_urls: Vec<String>,
}

fn default_leeway() -> u64 {
    DEFAULT_LEEWAY
}

fn yes() -> bool {
    true
}

pub(crate) fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// Why a policy document was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// A stable code: `policy_invalid`, or a narrower one (`key_set_url_…`).
    pub code: &'static str,
    /// What is wrong, in a sentence a person can act on.
    pub message: String,
}

impl From<String> for PolicyError {
    fn from(message: String) -> PolicyError {
        PolicyError {
            code: "policy_invalid",
            message,
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid policy: {}", self.message)
    }
}

impl std::error::Error for PolicyError {}

impl Policy {
    /// Read and check a policy document.
    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        let policy: Policy =
            serde_json::from_str(text).map_err(|e| PolicyError::from(e.to_string()))?;
        policy.validate()?;
        Ok(policy)
    }

    /// A minimal policy: these algorithms, everything else default.
    pub fn with_algorithms(algorithms: &[Algorithm]) -> Policy {
        Policy {
            algorithms: algorithms.to_vec(),
            issuers: Vec::new(),
            audience: Vec::new(),
            leeway: DEFAULT_LEEWAY,
            typ: None,
            required_claims: Vec::new(),
            max_token_age: None,
            max_lifetime: None,
            require_exp: true,
            subject: None,
            crit: Vec::new(),
            keys: None,
            limits: Limits::default(),
            profile: None,
            profile_options: ProfileOptions::default(),
            key_cache: KeyCache::default(),
            token: TokenSources::default(),
            routes: Vec::new(),
            forward: Forward::default(),
            envoy: EnvoySettings::default(),
            introspection: None,
            request: RequestRules::default(),
            trust_anchors: None,
            crls: Vec::new(),
            crl_urls: Vec::new(),
            revocation: crate::trust::Revocation::default(),
            iua_rules: Default::default(),
            audit: Default::default(),
        }
    }

    /// Checks serde cannot express.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.algorithms.is_empty() {
            return Err(PolicyError::from(
                "\"algorithms\" is empty: name the algorithms your issuers sign with".to_owned(),
            ));
        }
        if self.leeway > MAX_LEEWAY {
            return Err(PolicyError::from(format!(
                "\"leeway\" is {} s; more than {MAX_LEEWAY} s hides real clock problems",
                self.leeway
            )));
        }
        let mut seen = Vec::new();
        for iss in &self.issuers {
            if iss.issuer.is_empty() {
                return Err(PolicyError::from(
                    "an issuer has an empty \"issuer\"".to_owned(),
                ));
            }
            if seen.contains(&iss.issuer.as_str()) {
                return Err(PolicyError::from(format!(
                    "the issuer \"{}\" is listed twice",
                    iss.issuer
                )));
            }
            seen.push(iss.issuer.as_str());
            if let Some(algs) = &iss.algorithms {
                if let Some(a) = algs.iter().find(|a| !self.algorithms.contains(a)) {
                    return Err(PolicyError::from(format!(
                        "the issuer \"{}\" allows {a}, which the policy's \"algorithms\" does not",
                        iss.issuer
                    )));
                }
            }
        }
        for name in &self.crit {
            if crate::token::header::REGISTERED.contains(&name.as_str()) {
                return Err(PolicyError::from(format!(
                    "\"crit\" lists \"{name}\", a registered header parameter, which crit may not name"
                )));
            }
        }
        self.validate_profiles()?;
        self.validate_routes()?;
        self.validate_urls()?;
        self.forward.validate().map_err(PolicyError::from)?;
        crate::dpop::validate(&self.token).map_err(PolicyError::from)?;
        self.audit.validate().map_err(PolicyError::from)?;
        if let Some(i) = &self.introspection {
            i.validate().map_err(PolicyError::from)?;
        }
        self.limits.check().map_err(PolicyError::from)
    }

    /// Profiles that must compare `aud` need something to compare it with.
    /// Routes match canonical paths (`guard::canonical`), so a prefix must be canonical too: a
    /// prefix no canonical path can start with would never apply.
    fn validate_routes(&self) -> Result<(), PolicyError> {
        for route in &self.routes {
            let prefix = route.path_prefix.as_str();
            let trimmed = match prefix.strip_suffix('/') {
                Some("") | None => prefix,
                Some(t) => t,
            };
            let canonical =
                crate::guard::canonical::canonical("GET", trimmed, "", Default::default());
            if canonical.as_ref().map(|c| c.path.as_str()) != Ok(trimmed) {
                return Err(PolicyError::from(format!(
                    "the route \"{prefix}\" is not a canonical path (no \".\" or \"..\" segments, no \"//\", no \";\", escapes only where needed), so no request could match it"
                )));
            }
            for op in &route.operations {
                if !op.name.starts_with('$') || op.name.len() < 2 {
                    return Err(PolicyError::from(format!(
                        "the operation \"{}\" on route \"{prefix}\" must start with \"$\"",
                        op.name
                    )));
                }
            }
            if let Some(iua) = &route.iua {
                iua.validate(prefix, route.fhir, route.open)
                    .map_err(PolicyError::from)?;
            }
            if let Some(m) = route
                .methods
                .iter()
                .flatten()
                .find(|m| m.is_empty() || !m.bytes().all(|b| b.is_ascii_uppercase()))
            {
                return Err(PolicyError::from(format!(
                    "the route \"{prefix}\" lists the method \"{m}\"; methods are upper-case (GET, POST…)"
                )));
            }
        }
        let r = &self.request;
        if r.max_target_bytes == 0 || r.max_query_params == 0 || r.max_bundle_entries == 0 {
            return Err(PolicyError::from(
                "request limits must be greater than zero".to_owned(),
            ));
        }
        // What the guard reads stays bounded whatever the policy says: each limit has a ceiling.
        for (name, value, ceiling) in [
            ("request.max_target_bytes", r.max_target_bytes, 64 * 1024),
            ("request.max_query_params", r.max_query_params, 1000),
            ("request.max_body_bytes", r.max_body_bytes, 4 * 1024 * 1024),
            ("request.max_bundle_entries", r.max_bundle_entries, 1000),
        ] {
            if value > ceiling {
                return Err(PolicyError::from(format!(
                    "{name} is {value}; it may be at most {ceiling}"
                )));
            }
        }
        Ok(())
    }

    fn validate_profiles(&self) -> Result<(), PolicyError> {
        let mut cases: Vec<(Option<&IssuerPolicy>, String)> = self
            .issuers
            .iter()
            .map(|i| (Some(i), format!("the issuer \"{}\"", i.issuer)))
            .collect();
        if self.issuers.is_empty() {
            cases.push((None, "the policy".to_owned()));
        }
        for (issuer, who) in cases {
            let Some(profile) = self.profile_for(issuer) else {
                continue;
            };
            let has_audience = !self.audiences_for(issuer).is_empty();
            match profile {
                Profile::SmartBackend
                    if !has_audience && self.profile_options.token_endpoint.is_none() =>
                {
                    return Err(PolicyError::from(format!(
                        "{who} uses the smart-backend profile but names neither \"profile_options.token_endpoint\" nor an \"audience\": set the token endpoint URL client assertions must name"
                    )))
                }
                Profile::CdsHooks if !has_audience => {
                    return Err(PolicyError::from(format!(
                        "{who} uses the cds-hooks profile but names no \"audience\": set it to this CDS Service's endpoint URL"
                    )))
                }
                Profile::Oidc if !has_audience => {
                    return Err(PolicyError::from(format!(
                        "{who} uses the oidc profile but names no \"audience\": set it to the client_id ID tokens must be issued to"
                    )))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The profile for tokens from `issuer`: its own, else the policy's.
    pub fn profile_for(&self, issuer: Option<&IssuerPolicy>) -> Option<Profile> {
        issuer.and_then(|i| i.profile).or(self.profile)
    }

    /// The issuer entry for an `iss` value, if configured.
    pub fn issuer(&self, iss: &str) -> Option<&IssuerPolicy> {
        self.issuers.iter().find(|i| i.issuer == iss)
    }

    /// The algorithms accepted for tokens from `issuer`.
    pub fn algorithms_for<'a>(&'a self, issuer: Option<&'a IssuerPolicy>) -> &'a [Algorithm] {
        match issuer.and_then(|i| i.algorithms.as_deref()) {
            Some(a) => a,
            None => &self.algorithms,
        }
    }

    /// The audiences accepted for tokens from `issuer`.
    pub fn audiences_for<'a>(&'a self, issuer: Option<&'a IssuerPolicy>) -> &'a [String] {
        match issuer {
            Some(i) if !i.audience.is_empty() => &i.audience,
            _ => &self.audience,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_limits_have_ceilings() {
        let with = |request: &str| {
            Policy::from_json(&format!(
                r#"{{"algorithms": ["ES256"], "request": {request}}}"#
            ))
        };
        assert!(with(r#"{"max_body_bytes": 4194304, "max_bundle_entries": 1000}"#).is_ok());
        let e = with(r#"{"max_body_bytes": 4194305}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("request.max_body_bytes") && e.contains("4194304"),
            "{e}"
        );
        assert!(with(r#"{"max_target_bytes": 1000000}"#).is_err());
        assert!(with(r#"{"max_query_params": 1001}"#).is_err());
        assert!(with(r#"{"max_bundle_entries": 0}"#).is_err());
    }

    #[test]
    fn reads_a_full_policy() {
        let p = Policy::from_json(
            r#"{
              "algorithms": ["RS256", "ES256"],
              "issuers": [{"issuer": "https://as.example", "audience": "https://fhir.example",
                           "algorithms": ["RS256"], "jwks_uri": "https://as.example/jwks",
                           "jku": ["https://as.example/jwks"]}],
              "leeway": 30, "typ": "at+jwt", "required_claims": ["jti"],
              "max_token_age": 3600, "limits": {"max_token_bytes": 8192}
            }"#,
        )
        .unwrap();
        assert_eq!(p.issuers[0].audience, vec!["https://fhir.example"]);
        assert_eq!(p.limits.max_token_bytes, 8192);
        assert_eq!(p.limits.max_json_depth, 32);
    }

    #[test]
    fn limits_may_be_raised_only_to_their_ceiling() {
        // One raised limit let one 4 MB token grow wasm memory by ~140 MB (issue 19): each
        // limit has a ceiling, and the error names the field and the ceiling.
        let with = |limits: &str| {
            Policy::from_json(&format!(
                r#"{{"algorithms": ["ES256"], "limits": {limits}}}"#
            ))
        };
        for (field, ceiling) in [
            ("max_token_bytes", 262_144),
            ("max_json_depth", 64),
            ("max_key_set_bytes", 1_048_576),
            ("max_keys", 256),
            ("max_nested_depth", 8),
            ("max_chain_length", 10),
            ("max_certificate_bytes", 65_536),
            ("max_crl_bytes", 8_388_608),
        ] {
            assert!(
                with(&format!(r#"{{"{field}": {ceiling}}}"#)).is_ok(),
                "{field}"
            );
            let e = with(&format!(r#"{{"{field}": {}}}"#, ceiling + 1)).unwrap_err();
            assert!(
                e.message
                    .contains(&format!("\"limits.{field}\" is {}", ceiling + 1))
                    && e.message.contains(&format!("at most {ceiling}")),
                "{e}"
            );
        }
        let e = with(r#"{"max_keys": 0}"#).unwrap_err();
        assert!(
            e.message
                .contains("\"limits.max_keys\" must be greater than zero"),
            "{e}"
        );
        assert!(with(r#"{"max_nested_depth": 0}"#).is_ok());
    }

    #[test]
    fn reads_profiles_per_policy_and_issuer() {
        let p = Policy::from_json(
            r#"{
              "algorithms": ["RS256", "ES384"], "profile": "smart",
              "profile_options": {"nonce": "n", "max_age": 300, "required_acr": ["a"],
                                  "required_amr": ["otp"], "token_endpoint": "https://as.example/token"},
              "issuers": [{"issuer": "https://as.example", "audience": "https://fhir.example"},
                          {"issuer": "https://ehr.example", "audience": "https://cds.example/cds-services/x",
                           "profile": "cds-hooks"},
                          {"issuer": "client-1", "profile": "smart-backend"}]
            }"#,
        )
        .unwrap();
        assert_eq!(
            p.profile_for(p.issuer("https://as.example")),
            Some(Profile::Smart)
        );
        assert_eq!(
            p.profile_for(p.issuer("https://ehr.example")),
            Some(Profile::CdsHooks)
        );
        assert_eq!(
            p.profile_for(p.issuer("client-1")),
            Some(Profile::SmartBackend)
        );
        assert_eq!(p.profile_for(None), Some(Profile::Smart));
        assert_eq!(p.profile_options.max_age, Some(300));
        assert!(Policy::from_json(
            r#"{"algorithms": ["RS256"], "profile": "oidc", "audience": "client"}"#
        )
        .is_ok());
        assert!(Policy::from_json(r#"{"algorithms": ["RS256"]}"#)
            .unwrap()
            .profile_for(None)
            .is_none());
    }

    #[test]
    fn refuses_weak_or_mistyped_policies() {
        for bad in [
            r#"{}"#,
            r#"{"algorithms": []}"#,
            r#"{"algorithms": ["none"]}"#,
            r#"{"algorithms": ["NONE"]}"#,
            r#"{"algorithms": ["rs256"]}"#,
            r#"{"algorithms": ["RS256"], "audiance": "x"}"#,
            r#"{"algorithms": ["RS256"], "issuers": [{"issuer": "a", "algorithms": ["HS256"]}]}"#,
            r#"{"algorithms": ["RS256"], "crit": ["alg"]}"#,
            r#"{"algorithms": ["RS256"], "leeway": 86400}"#,
            r#"{"algorithms": ["RS256"], "forward": {"headers": {":path": "sub"}}}"#,
            r#"{"algorithms": ["RS256"], "forward": {"headers": {"Host": "sub"}}}"#,
            r#"{"algorithms": ["RS256"], "forward": {"headers": {"x sub": "sub"}}}"#,
            r#"{"algorithms": ["RS256"], "forward": {"headers": {"authorization": "sub"}}}"#,
            r#"{"algorithms": ["RS256"], "profile": "SMART"}"#,
            r#"{"algorithms": ["RS256"], "profile_options": {"nonse": "x"}}"#,
            r#"{"algorithms": ["RS256"], "profile": "oidc"}"#,
            r#"{"algorithms": ["ES384"], "profile": "cds-hooks"}"#,
            r#"{"algorithms": ["ES384"], "profile": "smart-backend"}"#,
            r#"{"algorithms": ["RS256"], "issuers": [{"issuer": "a", "profile": "oidc"}]}"#,
            r#"{"algorithms": ["ES384"], "issuers": [{"issuer": "a", "audience": "x"}, {"issuer": "b", "profile": "cds-hooks"}], "profile": "iua"}"#,
        ] {
            assert!(Policy::from_json(bad).is_err(), "{bad}");
        }
    }
}
