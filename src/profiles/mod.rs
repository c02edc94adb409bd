//! Healthcare profiles: rules a token must meet on top of the core checks, one file per profile.
//!
//! A policy names a profile (`"profile": "iua"`, or per issuer). After the signature and the
//! registered claims are checked, [`check`] applies that profile's rules and returns problems
//! (`profile_violation` or `missing_claim`, each message starting with the rule's name, e.g.
//! `smart-backend.exp-window: …`), warnings, and the facts the profile surfaces for hosts
//! (`tenant`, `patient`, `acr`, parsed SMART grants…).
//!
//! Every rule is listed in [`rules`] with the specification it comes from.

pub mod atna;
pub mod cds_hooks;
pub mod introspection;
pub mod iua;
pub mod iua_metadata;
pub mod oidc;
pub mod smart;
pub mod smart_backend;
pub mod udap;
pub mod xua;

use crate::alg::Algorithm;
use crate::claims::numeric_date;
use crate::error::{ErrorCode, Problem, Warning};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// A healthcare token profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// IHE IUA Rev 2.x JWT access token (ITI-71/ITI-72).
    Iua,
    /// SMART App Launch access token (scopes and launch context).
    Smart,
    /// SMART Backend Services client assertion (`private_key_jwt`).
    SmartBackend,
    /// CDS Hooks client JWT sent by the EHR to a CDS Service.
    CdsHooks,
    /// OpenID Connect ID token.
    Oidc,
    /// UDAP / FAST Security IG JWT signed with an `x5c` certificate chain.
    Udap,
}

impl Profile {
    pub const ALL: [Profile; 6] = [
        Profile::Iua,
        Profile::Smart,
        Profile::SmartBackend,
        Profile::CdsHooks,
        Profile::Oidc,
        Profile::Udap,
    ];

    /// The name used in policies and reports.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Iua => "iua",
            Profile::Smart => "smart",
            Profile::SmartBackend => "smart-backend",
            Profile::CdsHooks => "cds-hooks",
            Profile::Oidc => "oidc",
            Profile::Udap => "udap",
        }
    }

    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }

    /// What the profile covers, for people.
    pub fn title(self) -> &'static str {
        match self {
            Profile::Iua => "IHE IUA Rev 2.x JWT access token",
            Profile::Smart => "SMART App Launch access token",
            Profile::SmartBackend => "SMART Backend Services client assertion (private_key_jwt)",
            Profile::CdsHooks => "CDS Hooks client JWT",
            Profile::Oidc => "OpenID Connect ID token",
            Profile::Udap => "UDAP JWT signed with a certificate chain",
        }
    }

    /// Does this profile need the policy to name an audience to compare `aud` against?
    pub fn needs_audience(self) -> bool {
        matches!(self, Profile::CdsHooks | Profile::Oidc)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Options some profile rules need, from the policy's `profile_options` (or per call, see
/// [`crate::Verifier::verify_with`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProfileOptions {
    /// `oidc`: the `nonce` sent in the authentication request; the ID token must carry it.
    pub nonce: Option<String>,
    /// `oidc`: the `max_age` sent in the authentication request (seconds); `auth_time` is then
    /// required and must be at most this long ago.
    pub max_age: Option<u64>,
    /// `oidc`: `acr` must be one of these.
    pub required_acr: Vec<String>,
    /// `oidc`: `amr` must contain every one of these.
    pub required_amr: Vec<String>,
    /// `smart-backend`: this authorization server's token endpoint URL, which `aud` must name.
    pub token_endpoint: Option<String>,
}

/// One profile rule, for documentation and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// `profile.rule`, as it appears at the start of problem messages.
    pub name: &'static str,
    /// What the rule requires.
    pub summary: &'static str,
    /// Where it comes from.
    pub spec: &'static str,
}

/// Every profile rule, profile by profile.
pub fn rules() -> Vec<(Profile, &'static [Rule])> {
    vec![
        (Profile::Iua, iua::RULES),
        (Profile::Smart, smart::RULES),
        (Profile::SmartBackend, smart_backend::RULES),
        (Profile::CdsHooks, cds_hooks::RULES),
        (Profile::Oidc, oidc::RULES),
        (Profile::Udap, udap::RULES),
    ]
}

/// What the profile rules look at.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub header: &'a Map<String, Value>,
    pub claims: &'a Map<String, Value>,
    pub options: &'a ProfileOptions,
    /// The audiences the policy accepts for this token's issuer (empty: none configured).
    pub audiences: &'a [String],
    /// Clock skew tolerance in seconds.
    pub leeway: i64,
    pub now: i64,
    /// The URI subject alternative names of the `x5c` leaf certificate, when the chain was
    /// validated against trust anchors (`None`: no chain, or no anchors).
    pub certificate_san_uris: Option<&'a [String]>,
}

/// What a profile check found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outcome {
    pub errors: Vec<Problem>,
    pub warnings: Vec<Warning>,
    /// Facts the profile surfaces for hosts (`tenant`, `patient`, `acr`, `amr`, `grants`…).
    pub context: Map<String, Value>,
}

impl Outcome {
    fn violation(&mut self, rule: &Rule, claim: &str, message: impl fmt::Display) {
        self.errors.push(Problem::at(
            ErrorCode::ProfileViolation,
            claim,
            format!("{}: {message}", rule.name),
        ));
    }

    fn invalid(&mut self, rule: &Rule, claim: &str, message: impl fmt::Display) {
        self.errors.push(Problem::at(
            ErrorCode::ClaimInvalid,
            claim,
            format!("{}: {message}", rule.name),
        ));
    }

    fn missing(&mut self, rule: &Rule, claim: &str, message: impl fmt::Display) {
        self.errors.push(Problem::at(
            ErrorCode::MissingClaim,
            claim,
            format!("{}: {message}", rule.name),
        ));
    }

    fn warn(&mut self, code: &'static str, rule: &Rule, claim: &str, message: impl fmt::Display) {
        self.warnings.push(Warning::at(
            code,
            claim,
            format!("{}: {message}", rule.name),
        ));
    }

    /// Surface a claim's value for hosts, if present.
    fn surface(&mut self, claims: &Map<String, Value>, name: &str) {
        if let Some(v) = claims.get(name) {
            self.context.insert(name.to_owned(), v.clone());
        }
    }
}

/// Apply `profile`'s rules.
pub fn check(profile: Profile, ctx: &Context<'_>) -> Outcome {
    let mut out = Outcome::default();
    match profile {
        Profile::Iua => iua::check(ctx, &mut out),
        Profile::Smart => smart::check(ctx, &mut out),
        Profile::SmartBackend => smart_backend::check(ctx, &mut out),
        Profile::CdsHooks => cds_hooks::check(ctx, &mut out),
        Profile::Oidc => oidc::check(ctx, &mut out),
        Profile::Udap => udap::check(ctx, &mut out),
    }
    out
}

// ---- helpers shared by the profile rules ----

/// Each claim in `names` that is absent is reported as `missing_claim` under `rule`.
fn require_claims(ctx: &Context<'_>, rule: &Rule, what: &str, names: &[&str], out: &mut Outcome) {
    for name in names {
        if !ctx.claims.contains_key(*name) {
            out.missing(
                rule,
                name,
                format!("The token has no \"{name}\" claim, which {what} requires."),
            );
        }
    }
}

/// The header's `alg` as a known algorithm.
fn header_alg(header: &Map<String, Value>) -> Option<Algorithm> {
    header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(Algorithm::from_name)
}

/// A header string parameter.
fn header_str<'a>(header: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    header.get(name).and_then(Value::as_str)
}

/// The `aud` values, whether a string or an array of strings (other shapes: none).
pub(crate) fn audiences(claims: &Map<String, Value>) -> Vec<&str> {
    match claims.get("aud") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// A NumericDate claim, when present and well-formed (the core reports malformed ones).
fn date(claims: &Map<String, Value>, name: &str) -> Option<i64> {
    claims.get(name).and_then(|v| numeric_date::read(v).ok())
}

/// `typ` must be `JWT` (case-insensitive, `application/` optional) where a profile fixes it.
fn check_typ_jwt(ctx: &Context<'_>, rule: &Rule, who: &str, out: &mut Outcome) {
    match header_str(ctx.header, "typ") {
        Some(t) if crate::token::header::typ_matches(t, "JWT") => {}
        Some(t) => out.violation(
            rule,
            "header.typ",
            format!("The header's \"typ\" is \"{t}\"; {who} fixes it to \"JWT\"."),
        ),
        None => out.violation(
            rule,
            "header.typ",
            format!("The header has no \"typ\"; {who} requires \"typ\": \"JWT\"."),
        ),
    }
}

/// `kid` must be present where a profile requires it.
fn check_kid(ctx: &Context<'_>, rule: &Rule, who: &str, out: &mut Outcome) {
    match ctx.header.get("kid") {
        Some(Value::String(k)) if !k.is_empty() => {}
        _ => out.violation(
            rule,
            "header.kid",
            format!("The header has no \"kid\"; {who} requires one so the key can be chosen from the sender's JWK Set."),
        ),
    }
}

/// Symmetric (HMAC) algorithms refused where a profile requires public-key signatures.
fn check_asymmetric(ctx: &Context<'_>, rule: &Rule, who: &str, out: &mut Outcome) {
    if let Some(alg) = header_alg(ctx.header) {
        if alg.is_symmetric() {
            out.violation(
                rule,
                "header.alg",
                format!("The token is signed with {alg}, a shared-secret algorithm; {who} requires a public-key signature, so that a verifier cannot also mint tokens."),
            );
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Table-test helpers shared by the profile modules.
    use super::*;
    use serde_json::json;

    pub const NOW: i64 = 1_795_000_000;

    pub fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    /// Run `profile` over a header and claims with these options and audiences.
    pub fn run(
        profile: Profile,
        header: Value,
        claims: Value,
        options: &ProfileOptions,
        audiences: &[&str],
    ) -> Outcome {
        let header = obj(header);
        let claims = obj(claims);
        let audiences: Vec<String> = audiences.iter().map(|s| s.to_string()).collect();
        check(
            profile,
            &Context {
                header: &header,
                claims: &claims,
                options,
                audiences: &audiences,
                leeway: 60,
                now: NOW,
                certificate_san_uris: None,
            },
        )
    }

    /// The rule names at the start of each error message.
    pub fn error_rules(out: &Outcome) -> Vec<String> {
        out.errors.iter().map(|e| rule_of(&e.message)).collect()
    }

    pub fn warning_codes(out: &Outcome) -> Vec<&'static str> {
        out.warnings.iter().map(|w| w.code).collect()
    }

    pub fn rule_of(message: &str) -> String {
        message.split(':').next().unwrap_or("").to_owned()
    }

    /// Merge `patch` into `base` (top level), `null` removes a member.
    pub fn with(base: &Value, patch: Value) -> Value {
        let mut m = obj(base.clone());
        for (k, v) in obj(patch) {
            if v.is_null() {
                m.remove(&k);
            } else {
                m.insert(k, v);
            }
        }
        Value::Object(m)
    }

    #[test]
    fn profile_names_round_trip() {
        for p in Profile::ALL {
            assert_eq!(Profile::from_name(p.name()), Some(p));
            let s = serde_json::to_value(p).unwrap();
            assert_eq!(s, json!(p.name()));
            let back: Profile = serde_json::from_value(s).unwrap();
            assert_eq!(back, p);
        }
        assert!(serde_json::from_value::<Profile>(json!("SMART")).is_err());
    }

    #[test]
    fn every_rule_name_is_unique_and_prefixed_by_its_profile() {
        let mut seen = std::collections::HashSet::new();
        for (profile, rules) in rules() {
            assert!(!rules.is_empty());
            for r in rules {
                assert!(
                    r.name.starts_with(&format!("{}.", profile.name())),
                    "{}",
                    r.name
                );
                assert!(seen.insert(r.name), "duplicate rule {}", r.name);
                assert!(!r.spec.is_empty() && !r.summary.is_empty());
            }
        }
    }

    /// The README's "What azlens checks" lists every profile rule and every IUA 2013 name exactly
    /// as the code states them (report::findings checks the inspection findings' table).
    #[test]
    fn readme_lists_every_rule() {
        let readme = include_str!("../../README.md");
        let mut rules_md = String::new();
        for (profile, rules) in rules() {
            rules_md.push_str(&format!(
                "### `{}` — {}\n\n| rule | what | from |\n|---|---|---|\n",
                profile.name(),
                profile.title()
            ));
            for r in rules {
                rules_md.push_str(&format!("| `{}` | {} | {} |\n", r.name, r.summary, r.spec));
            }
            rules_md.push('\n');
        }
        let mut xua_md = String::from("| 2013 name | today | note |\n|---|---|---|\n");
        for f in xua::FLAT_NAMES {
            xua_md.push_str(&format!(
                "| `{}` | `{}` | {} |\n",
                f.name,
                f.today,
                f.note.unwrap_or("")
            ));
        }
        for block in [rules_md, xua_md] {
            assert!(
                readme.contains(&block),
                "README.md is out of date; it should contain:\n\n{block}"
            );
        }
    }

    #[test]
    fn options_refuse_unknown_fields() {
        assert!(serde_json::from_value::<ProfileOptions>(json!({"nonse": "x"})).is_err());
        let o: ProfileOptions =
            serde_json::from_value(json!({"nonce": "n", "max_age": 60, "required_acr": ["a"]}))
                .unwrap();
        assert_eq!(o.max_age, Some(60));
    }
}
