//! Which profiles a token looks like, and what each profile would still need.
//!
//! "Looks like" is a guess from telltale claims (an IUA extension, SMART scopes, a token
//! endpoint audience…); the `missing` and `problems` lists are the profile's real rules, run
//! with no options and no policy, so they show what the token lacks whatever the guess.
//!
//! [`detect`] picks the one profile whose rules "auto-detect" applies (the page's default and
//! the CLI's `--profile auto`): every host asks this function, so they cannot disagree. It first
//! tells an OpenID Connect ID token from an access token: an RFC 9068 `typ` (`at+jwt`), a
//! `scope` or a `client_id` make an access token; `nonce`, `at_hash` or `c_hash`, or an `aud`
//! that is the client (`azp`) with no `scope`, make an ID token, whatever launch context
//! (`fhirUser`) it also carries.

use super::findings::{Finding, Severity};
use crate::profiles::smart::launch;
use crate::profiles::smart::scopes::{self, Scope};
use crate::profiles::{self, xua, Context, Profile, ProfileOptions};
use crate::ErrorCode;
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileMatch {
    pub name: Profile,
    /// Does the token look like this profile?
    pub matches: bool,
    /// Is this the one profile auto-detection applies ([`detect`])? At most one is.
    pub detected: bool,
    /// Why it looks like it (empty when it does not).
    pub signals: Vec<String>,
    /// Claims (and header parameters) the profile requires that the token lacks.
    pub missing: Vec<String>,
    /// Every rule the token breaks or strains, as the profile would report it.
    pub problems: Vec<Finding>,
}

/// Assess the token against every profile, in [`Profile::ALL`] order.
pub fn assess(
    header: &Map<String, Value>,
    claims: &Map<String, Value>,
    now: i64,
) -> Vec<ProfileMatch> {
    let options = ProfileOptions::default();
    let chosen = detect(header, claims);
    // A report has no policy: the service URL a CDS Hooks token must name is taken as given.
    let own_audiences: Vec<String> = profiles::audiences(claims)
        .into_iter()
        .map(str::to_owned)
        .collect();
    Profile::ALL
        .into_iter()
        .map(|profile| {
            let audiences: &[String] = if profile == Profile::CdsHooks {
                &own_audiences
            } else {
                &[]
            };
            let outcome = profiles::check(
                profile,
                &Context {
                    header,
                    claims,
                    options: &options,
                    audiences,
                    leeway: 60,
                    now,
                    certificate_san_uris: None,
                },
            );
            let signals = signals(profile, header, claims);
            let mut missing = Vec::new();
            let mut problems = Vec::new();
            for e in &outcome.errors {
                if e.code == ErrorCode::MissingClaim {
                    if let Some(c) = &e.claim {
                        missing.push(c.clone());
                    }
                }
                // a required header parameter the header does not have
                if let Some(param) = e.claim.as_deref().and_then(|c| c.strip_prefix("header.")) {
                    let path = format!("header.{param}");
                    if !header.contains_key(param) && !missing.contains(&path) {
                        missing.push(path);
                    }
                }
                problems.push(Finding {
                    severity: Severity::Error,
                    code: e.code.as_str(),
                    message: e.message.clone(),
                    claim: e.claim.clone(),
                });
            }
            for w in &outcome.warnings {
                problems.push(Finding {
                    severity: Severity::Warning,
                    code: w.code,
                    message: w.message.clone(),
                    claim: w.claim.clone(),
                });
            }
            ProfileMatch {
                name: profile,
                matches: !signals.is_empty(),
                detected: chosen == Some(profile),
                signals,
                missing,
                problems,
            }
        })
        .collect()
}

/// The profile whose rules auto-detection applies to this token, if it looks like any: an ID
/// token is OpenID Connect even when it also carries SMART launch context; otherwise the first
/// profile it looks like, in [`Profile::ALL`] order (IUA, SMART, SMART Backend, CDS Hooks,
/// OpenID Connect).
pub fn detect(header: &Map<String, Value>, claims: &Map<String, Value>) -> Option<Profile> {
    if role(header, claims) == Role::IdToken {
        return Some(Profile::Oidc);
    }
    Profile::ALL
        .into_iter()
        .find(|p| !signals(*p, header, claims).is_empty())
}

/// What a token is for, as far as its header and claims tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// RFC 9068 `typ`, or a `scope` / `client_id` claim: presented to a resource server.
    AccessToken,
    /// `nonce`, `at_hash`, `c_hash`, or no scope and an `aud` that is the client (`azp`).
    IdToken,
    Unknown,
}

fn role(header: &Map<String, Value>, claims: &Map<String, Value>) -> Role {
    if access_token_typ(header) || claims.contains_key("scope") || claims.contains_key("client_id")
    {
        return Role::AccessToken;
    }
    if ["nonce", "at_hash", "c_hash"]
        .iter()
        .any(|c| claims.contains_key(*c))
        || aud_is_azp(claims)
    {
        return Role::IdToken;
    }
    Role::Unknown
}

/// `typ` says "an OAuth 2.0 access token in JWT format" (RFC 9068 §2.1; media types may drop
/// the `application/` prefix and are compared without case).
fn access_token_typ(header: &Map<String, Value>) -> bool {
    header.get("typ").and_then(Value::as_str).is_some_and(|t| {
        let t = t.to_ascii_lowercase();
        t == "at+jwt" || t == "application/at+jwt"
    })
}

/// The audience is exactly the authorized party: an ID token issued to that client.
fn aud_is_azp(claims: &Map<String, Value>) -> bool {
    let Some(azp) = claims.get("azp").and_then(Value::as_str) else {
        return false;
    };
    profiles::audiences(claims).contains(&azp)
}

fn signals(
    profile: Profile,
    header: &Map<String, Value>,
    claims: &Map<String, Value>,
) -> Vec<String> {
    let mut s = Vec::new();
    let scope = claims.get("scope").and_then(Value::as_str).unwrap_or("");
    match profile {
        Profile::Iua => {
            if let Some(Value::Object(ext)) = claims.get("extensions") {
                for name in ["ihe_iua", "ihe_bppc"] {
                    if ext.contains_key(name) {
                        s.push(format!("has extensions.{name}"));
                    }
                }
            }
            for f in xua::FLAT_NAMES {
                if claims.contains_key(f.name) {
                    s.push(format!("has the IUA 2013 claim {}", f.name));
                }
            }
            let iti: Vec<&str> = scope.split(' ').filter(|t| t.starts_with("ITI-")).collect();
            if !iti.is_empty() {
                s.push(format!("scope names IHE transactions ({})", iti.join(", ")));
            }
            if header.get("typ").and_then(Value::as_str) == Some("IUA-JWT") {
                s.push("typ is IUA-JWT".into());
            }
        }
        Profile::Smart => {
            let parsed = scopes::parse(scope);
            let smart: Vec<&str> = parsed
                .scopes
                .iter()
                .filter(|sc| match sc {
                    Scope::Resource(_) | Scope::Launch { .. } => true,
                    Scope::Identity { scope } => scope == "fhirUser",
                    _ => false,
                })
                .map(Scope::as_str)
                .take(4)
                .collect();
            if !smart.is_empty() {
                s.push(format!("scope has SMART scopes ({})", smart.join(" ")));
            }
            let ctx: Vec<&str> = launch::CLAIMS
                .iter()
                .copied()
                // fhirUser names the user in ID tokens too (SMART's openid fhirUser), and tenant
                // is CDS Hooks' as well: neither alone makes a SMART access token
                .filter(|c| claims.contains_key(*c) && *c != "tenant" && *c != "fhirUser")
                .collect();
            if !ctx.is_empty() {
                s.push(format!("has launch context ({})", ctx.join(", ")));
            }
        }
        Profile::SmartBackend => {
            let iss = claims.get("iss").and_then(Value::as_str);
            let sub = claims.get("sub").and_then(Value::as_str);
            let token_endpoint = profiles::audiences(claims)
                .into_iter()
                .find(|a| a.trim_end_matches('/').ends_with("/token"));
            if let (Some(i), Some(sb), Some(aud)) = (iss, sub, token_endpoint) {
                if i == sb {
                    s.push("iss equals sub (a client asserting its own identity)".into());
                    s.push(format!("aud is a token endpoint ({aud})"));
                }
            }
        }
        Profile::CdsHooks => {
            if let Some(aud) = profiles::audiences(claims)
                .into_iter()
                .find(|a| a.contains("/cds-services"))
            {
                s.push(format!("aud is a CDS Service ({aud})"));
            }
        }
        Profile::Oidc => {
            if role(header, claims) == Role::AccessToken {
                return s;
            }
            let strong: Vec<&str> = ["nonce", "at_hash", "c_hash", "auth_time"]
                .into_iter()
                .filter(|c| claims.contains_key(*c))
                .collect();
            let weak: Vec<&str> = [
                "acr",
                "amr",
                "azp",
                "sid",
                "email",
                "name",
                "given_name",
                "family_name",
                "preferred_username",
            ]
            .into_iter()
            .filter(|c| claims.contains_key(*c))
            .collect();
            if !strong.is_empty() || weak.len() >= 2 {
                let all: Vec<&str> = strong.iter().chain(weak.iter()).copied().collect();
                s.push(format!("has ID token claims ({})", all.join(", ")));
            }
            if aud_is_azp(claims) {
                s.push("aud is the client it was issued to (azp)".into());
            }
        }
        Profile::Udap => {
            let iss = claims.get("iss").and_then(Value::as_str);
            if header.contains_key("x5c")
                && iss.is_some()
                && iss == claims.get("sub").and_then(Value::as_str)
            {
                s.push(
                    "carries its certificate chain (x5c) and iss equals sub (a client's own JWT)"
                        .into(),
                );
            }
            if claims
                .get("extensions")
                .and_then(Value::as_object)
                .is_some_and(|e| e.contains_key("hl7-b2b"))
            {
                s.push("has the UDAP hl7-b2b extension".into());
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn matching(header: Value, claims: Value) -> Vec<&'static str> {
        assess(
            header.as_object().unwrap(),
            claims.as_object().unwrap(),
            1_795_000_000,
        )
        .into_iter()
        .filter(|m| m.matches)
        .map(|m| m.name.name())
        .collect()
    }

    #[test]
    fn guesses() {
        let h = json!({"alg": "RS256"});
        assert_eq!(
            matching(h.clone(), json!({"extensions": {"ihe_iua": {}}})),
            ["iua"]
        );
        assert_eq!(matching(h.clone(), json!({"SubjectID": "x"})), ["iua"]);
        assert_eq!(matching(h.clone(), json!({"scope": "ITI-68"})), ["iua"]);
        assert_eq!(
            matching(h.clone(), json!({"scope": "launch patient/*.rs"})),
            ["smart"]
        );
        assert_eq!(matching(h.clone(), json!({"patient": "1"})), ["smart"]);
        assert_eq!(
            matching(
                h.clone(),
                json!({"iss": "c", "sub": "c", "aud": "https://as/token"})
            ),
            ["smart-backend"]
        );
        assert_eq!(
            matching(
                h.clone(),
                json!({"iss": "c", "sub": "d", "aud": "https://as/token"})
            ),
            Vec::<&str>::new()
        );
        assert_eq!(
            matching(h.clone(), json!({"aud": "https://cds/cds-services/x"})),
            ["cds-hooks"]
        );
        assert_eq!(matching(h.clone(), json!({"nonce": "n"})), ["oidc"]);
        assert_eq!(matching(h.clone(), json!({"acr": "a"})), Vec::<&str>::new());
        assert_eq!(matching(h, json!({"acr": "a", "amr": ["pwd"]})), ["oidc"]);
    }

    fn detected(header: Value, claims: Value) -> Option<&'static str> {
        detect(header.as_object().unwrap(), claims.as_object().unwrap()).map(Profile::name)
    }

    #[test]
    fn tells_an_id_token_from_an_access_token() {
        let h = json!({"alg": "RS256"});
        // an ID token from a SMART server: fhirUser is not launch context
        let id = json!({"iss": "https://as", "sub": "u", "aud": "app", "nonce": "n",
                        "auth_time": 1, "acr": "a", "amr": ["pwd"], "fhirUser": "https://f/Practitioner/1"});
        assert_eq!(matching(h.clone(), id.clone()), ["oidc"]);
        assert_eq!(detected(h.clone(), id), Some("oidc"));
        // an ID token with launch context still is one
        let id_patient = json!({"aud": "app", "at_hash": "x", "patient": "123"});
        assert_eq!(matching(h.clone(), id_patient.clone()), ["smart", "oidc"]);
        assert_eq!(detected(h.clone(), id_patient), Some("oidc"));
        // aud = azp and no scope: issued to the client
        let azp = json!({"aud": "app", "azp": "app", "fhirUser": "https://f/Patient/1"});
        assert_eq!(detected(h.clone(), azp), Some("oidc"));
        // RFC 9068 typ: an access token, whatever ID-ish claims it carries
        let at = json!({"aud": "https://fhir", "auth_time": 1, "acr": "a", "amr": ["pwd"],
                        "patient": "123"});
        assert_eq!(
            detected(json!({"alg": "RS256", "typ": "at+jwt"}), at.clone()),
            Some("smart")
        );
        assert_eq!(
            detected(
                json!({"alg": "RS256", "typ": "application/AT+JWT"}),
                at.clone()
            ),
            Some("smart")
        );
        // without typ or nonce, launch context (patient) comes first
        assert_eq!(detected(h.clone(), at), Some("smart"));
        // a scope makes it an access token
        let scoped = json!({"scope": "patient/*.rs", "nonce": "n"});
        assert_eq!(matching(h.clone(), scoped.clone()), ["smart"]);
        assert_eq!(detected(h.clone(), scoped), Some("smart"));
        assert_eq!(detected(h, json!({"sub": "x"})), None);
    }

    #[test]
    fn lists_what_each_profile_lacks() {
        let all = assess(
            json!({"alg": "ES384"}).as_object().unwrap(),
            json!({"iss": "c", "sub": "c", "aud": "https://as/token", "exp": 1_795_000_100})
                .as_object()
                .unwrap(),
            1_795_000_000,
        );
        let backend = all
            .iter()
            .find(|m| m.name == Profile::SmartBackend)
            .unwrap();
        assert!(backend.matches);
        assert_eq!(backend.missing, ["jti", "header.kid", "header.typ"]);
        let iua = all.iter().find(|m| m.name == Profile::Iua).unwrap();
        assert!(!iua.matches);
        assert_eq!(iua.missing, ["jti", "client_id", "scope", "iat"]);
        assert!(iua.problems.iter().all(|p| p.message.starts_with("iua.")));
    }
}
