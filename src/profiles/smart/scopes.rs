//! The SMART App Launch scope language, parsed into structured grants.
//!
//! v2: `(patient|user|system)/(ResourceType|*).[c][r][u][d][s][?param=value&…]`, permissions a
//! non-empty, in-order subset of `cruds`. v1: `.read` (= `rs`), `.write` (= `cud`), `.*`
//! (= `cruds`). Plus the context and identity scopes (`launch`, `launch/patient`, `openid`,
//! `fhirUser`, `profile`, `offline_access`, `online_access`). Anything else (e.g. an IUA
//! `ITI-68`) is kept as `other`. A scope that starts like a resource scope but does not parse is
//! reported as invalid and grants nothing (SMART lets servers ignore such scopes).

use super::interaction::Interaction;
use serde::Serialize;
use std::fmt;

/// Whose data a resource scope reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Data about the single patient in the token's launch context.
    Patient,
    /// Data the authorizing user may access.
    User,
    /// Data the client system is pre-authorized for.
    System,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Patient => "patient",
            Level::User => "user",
            Level::System => "system",
        }
    }
}

/// Which scope grammar a resource scope used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Syntax {
    V1,
    V2,
}

/// The v2 interaction letters a resource scope grants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Permissions {
    pub c: bool,
    pub r: bool,
    pub u: bool,
    pub d: bool,
    pub s: bool,
}

impl Permissions {
    pub fn allows(self, i: Interaction) -> bool {
        match i {
            Interaction::Create => self.c,
            Interaction::Read => self.r,
            Interaction::Update => self.u,
            Interaction::Delete => self.d,
            Interaction::Search => self.s,
        }
    }

    /// The v2 letters, in order (`"rs"`).
    pub fn letters(self) -> String {
        [
            (self.c, 'c'),
            (self.r, 'r'),
            (self.u, 'u'),
            (self.d, 'd'),
            (self.s, 's'),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, l)| *l)
        .collect()
    }

    /// Read a v2 suffix: a non-empty, in-order subset of `cruds`.
    fn from_v2(suffix: &str) -> Option<Permissions> {
        let mut p = Permissions::default();
        let mut rest = suffix;
        for (letter, slot) in [
            ('c', &mut p.c),
            ('r', &mut p.r),
            ('u', &mut p.u),
            ('d', &mut p.d),
            ('s', &mut p.s),
        ] {
            if let Some(r) = rest.strip_prefix(letter) {
                *slot = true;
                rest = r;
            }
        }
        (rest.is_empty() && !suffix.is_empty()).then_some(p)
    }

    /// Read a v1 suffix, with the v2 meaning SMART 2 gives it.
    fn from_v1(suffix: &str) -> Option<Permissions> {
        let all = Permissions {
            c: true,
            r: true,
            u: true,
            d: true,
            s: true,
        };
        match suffix {
            "read" => Some(Permissions {
                r: true,
                s: true,
                ..Permissions::default()
            }),
            "write" => Some(Permissions {
                c: true,
                u: true,
                d: true,
                ..Permissions::default()
            }),
            "*" => Some(all),
            _ => None,
        }
    }
}

/// One search-parameter restriction of a v2 scope (`?category=…|laboratory`), percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueryParam {
    pub name: String,
    pub value: String,
}

/// A scope for FHIR resources (`patient/Observation.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceScope {
    /// The scope exactly as granted.
    pub scope: String,
    pub level: Level,
    /// A FHIR resource type, or `*` for all.
    pub resource_type: String,
    pub permissions: Permissions,
    pub syntax: Syntax,
    /// Search-parameter restrictions; empty when the scope has none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<QueryParam>,
}

impl ResourceScope {
    pub fn covers_type(&self, resource_type: &str) -> bool {
        self.resource_type == "*" || self.resource_type == resource_type
    }
}

/// One granted scope, classified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    /// Access to FHIR resources.
    Resource(ResourceScope),
    /// `launch` (EHR launch) or `launch/<context>` (standalone launch asks for a context).
    Launch {
        scope: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        context: Option<String>,
    },
    /// `openid`, `fhirUser`, `profile`: identity data in an ID token.
    Identity { scope: String },
    /// `offline_access`, `online_access`: a refresh token.
    Refresh { scope: String },
    /// Not a SMART scope (e.g. IUA `ITI-68`); kept as is.
    Other { scope: String },
}

impl Scope {
    pub fn as_str(&self) -> &str {
        match self {
            Scope::Resource(r) => &r.scope,
            Scope::Launch { scope, .. }
            | Scope::Identity { scope }
            | Scope::Refresh { scope }
            | Scope::Other { scope } => scope,
        }
    }
}

/// A scope that looks like a resource scope but is not one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvalidScope {
    pub scope: String,
    pub reason: String,
}

/// A `scope` claim, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scopes {
    pub scopes: Vec<Scope>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub invalid: Vec<InvalidScope>,
}

impl Scopes {
    /// The resource scopes, in the order granted.
    pub fn resources(&self) -> impl Iterator<Item = &ResourceScope> {
        self.scopes.iter().filter_map(|s| match s {
            Scope::Resource(r) => Some(r),
            _ => None,
        })
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s.as_str() == scope)
    }
}

/// Why a resource-looking scope was refused; completes "The scope … is not valid: …".
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal(String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parse a space-separated `scope` string (RFC 6749 §3.3).
pub fn parse(scope: &str) -> Scopes {
    let mut out = Scopes::default();
    for token in scope.split(' ').filter(|t| !t.is_empty()) {
        match classify(token) {
            Ok(s) => out.scopes.push(s),
            Err(why) => out.invalid.push(InvalidScope {
                scope: token.to_owned(),
                reason: why.to_string(),
            }),
        }
    }
    out
}

fn classify(token: &str) -> Result<Scope, Refusal> {
    let owned = || token.to_owned();
    match token {
        "openid" | "fhirUser" | "profile" => return Ok(Scope::Identity { scope: owned() }),
        "offline_access" | "online_access" => return Ok(Scope::Refresh { scope: owned() }),
        "launch" => {
            return Ok(Scope::Launch {
                scope: owned(),
                context: None,
            })
        }
        _ => {}
    }
    if let Some(ctx) = token.strip_prefix("launch/") {
        if ctx.is_empty() {
            return Err(Refusal("\"launch/\" names no context".into()));
        }
        return Ok(Scope::Launch {
            scope: owned(),
            context: Some(ctx.to_owned()),
        });
    }
    let level = if let Some(rest) = token.strip_prefix("patient/") {
        (Level::Patient, rest)
    } else if let Some(rest) = token.strip_prefix("user/") {
        (Level::User, rest)
    } else if let Some(rest) = token.strip_prefix("system/") {
        (Level::System, rest)
    } else {
        return Ok(Scope::Other { scope: owned() });
    };
    resource_scope(token, level.0, level.1).map(Scope::Resource)
}

fn resource_scope(token: &str, level: Level, rest: &str) -> Result<ResourceScope, Refusal> {
    let (body, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let Some((resource_type, suffix)) = body.split_once('.') else {
        return Err(Refusal(
            "it has no '.' between the resource type and the permissions".into(),
        ));
    };
    if resource_type != "*" && !is_resource_type(resource_type) {
        return Err(Refusal(format!(
            "\"{resource_type}\" is not a FHIR resource type (they are letters and digits starting with a capital, like Observation) or *"
        )));
    }
    let (permissions, syntax) = if let Some(p) = Permissions::from_v1(suffix) {
        (p, Syntax::V1)
    } else if let Some(p) = Permissions::from_v2(suffix) {
        (p, Syntax::V2)
    } else {
        return Err(Refusal(format!(
            "\"{suffix}\" is neither v2 permissions (a non-empty, in-order subset of c r u d s, like rs) nor v1 (read, write, *)"
        )));
    };
    let query = match query {
        None => Vec::new(),
        Some(_) if syntax == Syntax::V1 => {
            return Err(Refusal(
                "search-parameter restrictions (?…) exist only in v2 scopes".into(),
            ))
        }
        Some(q) => parse_query(q)?,
    };
    Ok(ResourceScope {
        scope: token.to_owned(),
        level,
        resource_type: resource_type.to_owned(),
        permissions,
        syntax,
        query,
    })
}

fn parse_query(q: &str) -> Result<Vec<QueryParam>, Refusal> {
    if q.is_empty() {
        return Err(Refusal("it ends in '?' with no search parameter".into()));
    }
    q.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((n, v)) if !n.is_empty() && !v.is_empty() => Ok(QueryParam {
                name: percent_decode(n),
                value: percent_decode(v),
            }),
            _ => Err(Refusal(format!(
                "the restriction \"{pair}\" is not param=value"
            ))),
        })
        .collect()
}

/// FHIR resource type names: an ASCII capital, then ASCII letters and digits.
pub fn is_resource_type(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_alphanumeric())
        && s.len() <= 64
}

/// Decode `%XX` escapes; a malformed escape or non-UTF-8 result keeps the text as it was.
pub fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                None => return s.to_owned(),
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(s: &str) -> ResourceScope {
        match parse(s).scopes.as_slice() {
            [Scope::Resource(r)] => r.clone(),
            other => panic!("{s}: {other:?} / {:?}", parse(s).invalid),
        }
    }

    #[test]
    fn the_specs_own_examples() {
        // (scope, level, type, letters, syntax, query)
        type Row<'a> = (
            &'a str,
            Level,
            &'a str,
            &'a str,
            Syntax,
            &'a [(&'a str, &'a str)],
        );
        let table: &[Row] = &[
            ("patient/*.rs", Level::Patient, "*", "rs", Syntax::V2, &[]),
            ("user/*.cruds", Level::User, "*", "cruds", Syntax::V2, &[]),
            ("patient/Observation.rs", Level::Patient, "Observation", "rs", Syntax::V2, &[]),
            ("patient/Patient.r", Level::Patient, "Patient", "r", Syntax::V2, &[]),
            ("patient/Observation.c", Level::Patient, "Observation", "c", Syntax::V2, &[]),
            ("patient/*.cruds", Level::Patient, "*", "cruds", Syntax::V2, &[]),
            ("user/Observation.rs", Level::User, "Observation", "rs", Syntax::V2, &[]),
            ("user/Appointment.cruds", Level::User, "Appointment", "cruds", Syntax::V2, &[]),
            ("user/Patient.rs", Level::User, "Patient", "rs", Syntax::V2, &[]),
            ("system/Observation.rs", Level::System, "Observation", "rs", Syntax::V2, &[]),
            ("system/*.rs", Level::System, "*", "rs", Syntax::V2, &[]),
            ("system/Encounter.cud", Level::System, "Encounter", "cud", Syntax::V2, &[]),
            ("patient/AllergyIntolerance.cud", Level::Patient, "AllergyIntolerance", "cud", Syntax::V2, &[]),
            (
                "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory",
                Level::Patient, "Observation", "rs", Syntax::V2,
                &[("category", "http://terminology.hl7.org/CodeSystem/observation-category|laboratory")],
            ),
            (
                "patient/Observation.rs?code:in=http://valueset.example.org/ValueSet/diabetes-codes",
                Level::Patient, "Observation", "rs", Syntax::V2,
                &[("code:in", "http://valueset.example.org/ValueSet/diabetes-codes")],
            ),
            (
                "user/Observation.rs?category=vital-signs&status=final",
                Level::User, "Observation", "rs", Syntax::V2,
                &[("category", "vital-signs"), ("status", "final")],
            ),
            ("patient/Observation.rs?category=a%7Cb", Level::Patient, "Observation", "rs", Syntax::V2, &[("category", "a|b")]),
            // v1, with SMART 2's meaning
            ("patient/*.read", Level::Patient, "*", "rs", Syntax::V1, &[]),
            ("user/*.*", Level::User, "*", "cruds", Syntax::V1, &[]),
            ("user/Observation.write", Level::User, "Observation", "cud", Syntax::V1, &[]),
            ("patient/MedicationRequest.read", Level::Patient, "MedicationRequest", "rs", Syntax::V1, &[]),
        ];
        for (s, level, ty, letters, syntax, query) in table {
            let r = res(s);
            assert_eq!(r.scope, *s);
            assert_eq!(r.level, *level, "{s}");
            assert_eq!(r.resource_type, *ty, "{s}");
            assert_eq!(r.permissions.letters(), *letters, "{s}");
            assert_eq!(r.syntax, *syntax, "{s}");
            let q: Vec<(&str, &str)> = r
                .query
                .iter()
                .map(|p| (p.name.as_str(), p.value.as_str()))
                .collect();
            assert_eq!(q, *query, "{s}");
        }
    }

    #[test]
    fn context_identity_and_other_scopes() {
        let p = parse("openid fhirUser profile launch launch/patient launch/encounter offline_access online_access ITI-68");
        assert!(p.invalid.is_empty());
        let kinds: Vec<String> = p
            .scopes
            .iter()
            .map(|s| {
                serde_json::to_value(s).unwrap()["kind"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "identity", "identity", "identity", "launch", "launch", "launch", "refresh",
                "refresh", "other"
            ]
        );
        assert_eq!(
            p.scopes[4],
            Scope::Launch {
                scope: "launch/patient".into(),
                context: Some("patient".into())
            }
        );
        assert!(p.contains("launch/encounter") && !p.contains("launch/patients"));
    }

    #[test]
    fn malformed_resource_scopes_grant_nothing() {
        for bad in [
            "patient/Observation.dus", // out of order (the spec's own example)
            "patient/Observation.rr",
            "patient/Observation.",
            "patient/Observation",
            "patient/observation.rs", // resource types start with a capital
            "patient/.rs",
            "user/Observation.read?category=x", // v1 has no restrictions
            "user/Observation.rs?",
            "user/Observation.rs?category",
            "user/Observation.rs?=x",
            "user/Observation.rs?a=1&",
            "system/Obs-ervation.rs",
            "launch/",
            "patient/Observation.READ",
        ] {
            let p = parse(bad);
            assert!(p.scopes.is_empty(), "{bad}: {:?}", p.scopes);
            assert_eq!(p.invalid.len(), 1, "{bad}");
            assert!(!p.invalid[0].reason.is_empty());
        }
    }

    #[test]
    fn whitespace_and_empties() {
        assert_eq!(parse("").scopes.len(), 0);
        assert_eq!(parse("  patient/*.rs   openid ").scopes.len(), 2);
        // a tab is not a separator in RFC 6749; the token is kept whole and is not valid
        assert_eq!(parse("patient/*.rs\topenid").invalid.len(), 1);
    }

    #[test]
    fn percent_decoding_is_total() {
        assert_eq!(percent_decode("a%7Cb"), "a|b");
        assert_eq!(percent_decode("a%7"), "a%7");
        assert_eq!(percent_decode("a%zzb"), "a%zzb");
        assert_eq!(percent_decode("%ff"), "%ff");
        assert_eq!(percent_decode("%C3%A9"), "é");
        assert_eq!(percent_decode("%"), "%");
    }
}
