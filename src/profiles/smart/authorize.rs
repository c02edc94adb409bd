//! "Does this token allow interaction X on FHIR resource type T for patient P?" — the one
//! decision the edge worker and the Envoy filter both call, so they cannot disagree.
//!
//! Call it only with the claims of a token that verified. What it decides:
//!
//! - A resource scope grants an interaction when its type is the requested type or `*` and its
//!   permissions include the interaction's letter (`c r u d s`; v1 `.read` = `rs`, `.write` =
//!   `cud`, `.*` = `cruds`).
//! - `user/` and `system/` scopes are not limited to a patient (the FHIR server still applies
//!   the user's or the client's own permissions).
//! - `patient/` scopes reach only the patient in the token's `patient` claim (`Patient/123` is
//!   read as `123`), and only requests azlens can see are limited to that patient:
//!   - `access.patient` is the compartment the caller found in the request path
//!     (`Patient/123`, `Patient/123/Observation`, or the id of a `Patient` read); it must be the
//!     token's patient;
//!   - a search without one is limited when its parameters carry `patient=<id>`
//!     (or `patient=Patient/<id>`, `patient:Patient=<id>`) or `subject=Patient/<id>`
//!     (or `subject:Patient=<id>`) — on `Patient` itself only `_id=<id>` — with `<id>` the
//!     token's patient exactly (a comma list is an OR and does not count). FHIR ANDs repeated parameters, so one
//!     such parameter is enough. The FHIR server must reject parameters it does not support
//!     (`Prefer: handling=strict`); one that silently ignores `patient=` on a type without it
//!     would answer unfiltered;
//!   - anything else under a `patient/` scope is refused: a read, update or delete by id of a
//!     resource other than `Patient`, or a create, names no patient azlens can check (search
//!     with `patient=<id>&_id=<rid>` instead, or use a `user/` scope).
//! - A scope with search-parameter restrictions (`?category=…`) grants only searches that carry
//!   every one of those parameters with exactly that value (percent-decoded on both sides), and
//!   never a read, update, delete or create: azlens does not see the resource's content, so it
//!   cannot tell whether the resource meets the restriction.
//! - `_include`, `_revinclude` (with any modifier) and `_type` bring in other resource types;
//!   each must be granted for search too, by a scope without restrictions, in the same
//!   compartment. An `_include` whose target type is not named (`Observation:subject` rather
//!   than `Observation:subject:Patient`, or `*`) needs a `*` scope.
//!
//! `required_scope` is the narrowest scope that would grant the request: `patient/` when the
//! request is limited to the token's patient, else `system/` for a token holding system scopes,
//! else `user/`; one permission letter; v1 spelling when the token uses only v1 scopes. Hosts put
//! it in the RFC 6750 `insufficient_scope` challenge's `scope` attribute.

use super::interaction::Interaction;
use super::launch::patient_id;
use super::scopes::{self, Level, QueryParam, ResourceScope, Scopes, Syntax};
use serde::Serialize;
use serde_json::{Map, Value};

/// One FHIR request, as the host's HTTP mapping sees it.
#[derive(Debug, Clone, Copy)]
pub struct FhirAccess<'a> {
    pub interaction: Interaction,
    pub resource_type: &'a str,
    /// The patient compartment the request targets, if any.
    pub patient: Option<&'a str>,
    /// Search parameters (decoded), for scopes with `?query` restrictions.
    pub params: &'a [(String, String)],
    /// The caller read the request itself (the gateway): `patient` is the whole truth about the
    /// compartment, and other types the request pulls in are the caller's own checks. When
    /// false, `authorize` reads `patient=`/`subject=` and `_include`/`_revinclude`/`_type`
    /// from `params` itself (the inspector's what-if questions).
    pub compartment_given: bool,
}

/// The decision, with a sentence a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Authorization {
    pub allowed: bool,
    pub reason: String,
    /// The narrowest scope that grants (or would have granted) this request.
    pub required_scope: String,
    /// The token's scope that granted it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_by: Option<String>,
}

/// Decide whether the (verified) token `claims` allow `access`.
pub fn authorize(claims: &Map<String, Value>, access: &FhirAccess<'_>) -> Authorization {
    let scope_text = claims.get("scope").and_then(Value::as_str);
    let granted = scopes::parse(scope_text.unwrap_or(""));
    let token = Token {
        scope_present: scope_text.is_some(),
        scopes: &granted,
        patient: patient_id(claims),
    };
    let main = Request {
        interaction: access.interaction,
        resource_type: access.resource_type,
        compartment: compartment(access, token.patient.as_deref()),
        params: access.params,
    };
    let decision = decide(&token, &main);
    if !decision.allowed {
        return decision;
    }
    // Other resource types the search pulls in must be granted too.
    let inner = match &main.compartment {
        Some(p) if Some(p.as_str()) == token.patient.as_deref() => Some(p.clone()),
        _ => None,
    };
    for (param, value, ty) in pulled_in_types(access) {
        let sub = Request {
            interaction: Interaction::Search,
            resource_type: &ty,
            compartment: inner.clone(),
            params: &[],
        };
        let d = decide(&token, &sub);
        if !d.allowed {
            let what = if ty == "*" {
                "resources of types it does not name".to_owned()
            } else {
                format!("{ty} resources")
            };
            return Authorization {
                allowed: false,
                reason: format!(
                    "{} But the search also returns {what} ({param}={value}), which the token does not grant: {}{}",
                    decision.reason,
                    lower_first(&d.reason),
                    if ty == "*" {
                        " Name the target type (e.g. Observation:subject:Patient) so a scope for it can grant it."
                    } else {
                        ""
                    }
                ),
                required_scope: d.required_scope,
                granted_by: None,
            };
        }
    }
    decision
}

struct Token<'a> {
    scope_present: bool,
    scopes: &'a Scopes,
    /// The token's patient id (its `patient` claim).
    patient: Option<String>,
}

struct Request<'a> {
    interaction: Interaction,
    resource_type: &'a str,
    /// The patient the request is limited to, if it is.
    compartment: Option<String>,
    params: &'a [(String, String)],
}

/// Why one scope that covers the resource type did not grant the request, most telling first.
enum Miss<'a> {
    NoPatientClaim(&'a ResourceScope),
    OtherPatient(&'a ResourceScope, String),
    NotLimited(&'a ResourceScope),
    RestrictedNotSearch(&'a ResourceScope),
    RestrictionUnmet(&'a ResourceScope, Vec<&'a QueryParam>),
    NoPermission,
}

impl Miss<'_> {
    fn rank(&self) -> u8 {
        match self {
            Miss::NoPatientClaim(_) | Miss::OtherPatient(..) | Miss::NotLimited(_) => 3,
            Miss::RestrictedNotSearch(_) | Miss::RestrictionUnmet(..) => 2,
            Miss::NoPermission => 1,
        }
    }
}

fn decide(token: &Token<'_>, req: &Request<'_>) -> Authorization {
    let required = required_scope(token, req);
    let mut best_miss: Option<Miss<'_>> = None;
    for scope in token.scopes.resources() {
        if !scope.covers_type(req.resource_type) {
            continue;
        }
        match evaluate(scope, token, req) {
            Ok(()) => {
                return Authorization {
                    allowed: true,
                    reason: granted_reason(scope, req),
                    required_scope: required,
                    granted_by: Some(scope.scope.clone()),
                }
            }
            Err(miss) => {
                if best_miss.as_ref().is_none_or(|b| miss.rank() > b.rank()) {
                    best_miss = Some(miss);
                }
            }
        }
    }
    let reason = match best_miss {
        Some(miss) => miss_reason(&miss, token, req),
        None => no_scope_reason(token, req),
    };
    Authorization {
        allowed: false,
        reason: format!("{reason} Needed: {required}."),
        required_scope: required,
        granted_by: None,
    }
}

fn evaluate<'a>(
    scope: &'a ResourceScope,
    token: &Token<'_>,
    req: &Request<'_>,
) -> Result<(), Miss<'a>> {
    if !scope.permissions.allows(req.interaction) {
        return Err(Miss::NoPermission);
    }
    if !scope.query.is_empty() {
        if req.interaction != Interaction::Search {
            return Err(Miss::RestrictedNotSearch(scope));
        }
        // Exactly one such parameter with exactly that value: servers read a repeated
        // parameter as AND, OR or "the last one", so a second value could widen the search.
        let unmet: Vec<&QueryParam> = scope
            .query
            .iter()
            .filter(|q| {
                let mut named = req.params.iter().filter(|(n, _)| *n == q.name);
                let first = named.next();
                let once = named.next().is_none();
                !(once && first.is_some_and(|(_, v)| scopes::percent_decode(v) == q.value))
            })
            .collect();
        if !unmet.is_empty() {
            return Err(Miss::RestrictionUnmet(scope, unmet));
        }
    }
    if scope.level == Level::Patient {
        let Some(patient) = token.patient.as_deref() else {
            return Err(Miss::NoPatientClaim(scope));
        };
        match req.compartment.as_deref() {
            None => return Err(Miss::NotLimited(scope)),
            Some(p) if p != patient => return Err(Miss::OtherPatient(scope, p.to_owned())),
            Some(_) => {}
        }
    }
    Ok(())
}

/// The patient the request is limited to: the caller's compartment, or for a search, a
/// compartment parameter. A parameter naming the token's patient wins (parameters are ANDed).
fn compartment(access: &FhirAccess<'_>, token_patient: Option<&str>) -> Option<String> {
    if let Some(p) = access.patient {
        let id = p.strip_prefix("Patient/").unwrap_or(p);
        return Some(id.to_owned());
    }
    if access.compartment_given || access.interaction != Interaction::Search {
        return None;
    }
    let mut named: Vec<String> = Vec::new();
    for (name, value) in access.params {
        let value = scopes::percent_decode(value);
        let on_patient = access.resource_type == "Patient";
        let id = match name.as_str() {
            "_id" if on_patient => value.clone(),
            _ if on_patient => continue, // Patient has no patient/subject parameters
            "patient" | "patient:Patient" | "subject:Patient" => {
                value.strip_prefix("Patient/").unwrap_or(&value).to_owned()
            }
            "subject" => match value.strip_prefix("Patient/") {
                Some(id) => id.to_owned(),
                None => continue,
            },
            _ => continue,
        };
        if id.is_empty() || id.contains(',') {
            continue;
        }
        named.push(id);
    }
    match token_patient {
        Some(t) if named.iter().any(|n| n == t) => Some(t.to_owned()),
        _ => named.into_iter().next(),
    }
}

/// `(parameter, value, resource type)` for each type a search pulls in beyond its own.
fn pulled_in_types(access: &FhirAccess<'_>) -> Vec<(String, String, String)> {
    if access.compartment_given || access.interaction != Interaction::Search {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (name, value) in access.params {
        let base = name.split(':').next().unwrap_or("");
        let value = scopes::percent_decode(value);
        match base {
            "_include" => {
                let parts: Vec<&str> = value.split(':').collect();
                let ty = match parts.as_slice() {
                    [_, _, target] if scopes::is_resource_type(target) => (*target).to_owned(),
                    _ => "*".to_owned(),
                };
                out.push((name.clone(), value.clone(), ty));
            }
            "_revinclude" => {
                let source = value.split(':').next().unwrap_or("");
                let ty = if scopes::is_resource_type(source) {
                    source.to_owned()
                } else {
                    "*".to_owned()
                };
                out.push((name.clone(), value.clone(), ty));
            }
            "_type" => {
                for ty in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                    if ty != access.resource_type {
                        let ty = if scopes::is_resource_type(ty) {
                            ty
                        } else {
                            "*"
                        };
                        out.push((name.clone(), value.clone(), ty.to_owned()));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn required_scope(token: &Token<'_>, req: &Request<'_>) -> String {
    let limited_to_token_patient =
        token.patient.is_some() && req.compartment.as_deref() == token.patient.as_deref();
    let level = if limited_to_token_patient {
        Level::Patient
    } else if token.scopes.resources().any(|s| s.level == Level::System) {
        Level::System
    } else {
        Level::User
    };
    let only_v1 = token.scopes.resources().next().is_some()
        && token.scopes.resources().all(|s| s.syntax == Syntax::V1);
    let ty = if req.resource_type.is_empty() {
        "*"
    } else {
        req.resource_type
    };
    if only_v1 {
        format!("{}/{ty}.{}", level.as_str(), req.interaction.v1())
    } else {
        format!("{}/{ty}.{}", level.as_str(), req.interaction.letter())
    }
}

fn what(req: &Request<'_>) -> String {
    if req.resource_type == "*" {
        format!("{} on any resource type", req.interaction)
    } else {
        format!("{} on {}", req.interaction, req.resource_type)
    }
}

fn granted_reason(scope: &ResourceScope, req: &Request<'_>) -> String {
    let restriction = if scope.query.is_empty() {
        String::new()
    } else {
        format!(
            ", restricted to {}, which the search carries",
            restriction_text(&scope.query.iter().collect::<Vec<_>>())
        )
    };
    let limit = match scope.level {
        Level::Patient => format!(
            ", limited to patient {} (the token's patient)",
            req.compartment.as_deref().unwrap_or("")
        ),
        Level::User => {
            " (a user-level scope: the FHIR server still applies the user's own permissions)"
                .to_owned()
        }
        Level::System => {
            " (a system-level scope: the client's pre-configured policy still applies)".to_owned()
        }
    };
    format!(
        "Allowed by \"{}\": {}{restriction}{limit}.",
        scope.scope,
        what(req)
    )
}

fn restriction_text(q: &[&QueryParam]) -> String {
    q.iter()
        .map(|p| format!("{}={}", p.name, p.value))
        .collect::<Vec<_>>()
        .join("&")
}

fn miss_reason(miss: &Miss<'_>, token: &Token<'_>, req: &Request<'_>) -> String {
    let patient = token.patient.as_deref().unwrap_or("");
    match miss {
        Miss::NoPatientClaim(s) => format!(
            "\"{}\" is a patient-level scope, but the token names no patient (no \"patient\" claim), so it reaches no data.",
            s.scope
        ),
        Miss::OtherPatient(s, other) => format!(
            "\"{}\" reaches only patient {patient} (the token's patient); this request is for patient {other}.",
            s.scope
        ),
        Miss::NotLimited(s) => {
            let hint = match req.interaction {
                Interaction::Search if req.resource_type == "Patient" => {
                    format!("add _id={patient} to the search")
                }
                Interaction::Search => format!(
                    "add patient={patient} to the search, or search Patient/{patient}/{}",
                    req.resource_type
                ),
                Interaction::Create => "a create names no patient azlens can check; use a user/ scope".to_owned(),
                _ => format!(
                    "a {} by id names no patient, so azlens cannot tell whose record it is; search with patient={patient}&_id=<id> instead, or use a user/ scope",
                    req.interaction
                ),
            };
            format!(
                "\"{}\" reaches only patient {patient}, and this {} is not limited to a patient: {hint}.",
                s.scope, req.interaction
            )
        }
        Miss::RestrictedNotSearch(s) => format!(
            "\"{}\" grants only searches carrying {}; a {} cannot be checked against that restriction (azlens does not see the resource's content), so it is not granted.",
            s.scope,
            restriction_text(&s.query.iter().collect::<Vec<_>>()),
            req.interaction
        ),
        Miss::RestrictionUnmet(s, unmet) => format!(
            "\"{}\" grants only searches carrying {}; this search does not carry {}.",
            s.scope,
            restriction_text(&s.query.iter().collect::<Vec<_>>()),
            restriction_text(unmet)
        ),
        Miss::NoPermission => {
            let covering: Vec<&str> = token
                .scopes
                .resources()
                .filter(|s| s.covers_type(req.resource_type))
                .map(|s| s.scope.as_str())
                .collect();
            format!(
                "The token's scopes for {} ({}) do not include {} (\"{}\").",
                req.resource_type,
                covering.join(", "),
                req.interaction,
                req.interaction.letter()
            )
        }
    }
}

fn no_scope_reason(token: &Token<'_>, req: &Request<'_>) -> String {
    let ignored = if token.scopes.invalid.is_empty() {
        String::new()
    } else {
        format!(
            " (ignored as malformed: {})",
            token
                .scopes
                .invalid
                .iter()
                .map(|i| i.scope.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    if !token.scope_present {
        return "The token has no \"scope\" claim, so it grants no FHIR access.".to_owned();
    }
    let resources: Vec<&str> = token.scopes.resources().map(|s| s.scope.as_str()).collect();
    if resources.is_empty() {
        format!("The token's scopes grant no FHIR resource access{ignored}.")
    } else {
        format!(
            "No scope in the token covers {} (resource scopes: {}){ignored}.",
            if req.resource_type == "*" {
                "every resource type"
            } else {
                req.resource_type
            },
            resources.join(", ")
        )
    }
}

/// The reasons built here begin with an ASCII letter: ASCII case mapping is enough, and keeps
/// core's Unicode case tables (about 24 KB) out of the wasm build.
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => std::iter::once(f.to_ascii_lowercase()).chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(scope: &str, patient: Option<&str>) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("scope".into(), json!(scope));
        if let Some(p) = patient {
            m.insert("patient".into(), json!(p));
        }
        m
    }

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn ask(
        scope: &str,
        patient: Option<&str>,
        i: Interaction,
        ty: &str,
        target: Option<&str>,
        p: &[(&str, &str)],
    ) -> Authorization {
        let params = params(p);
        authorize(
            &claims(scope, patient),
            &FhirAccess {
                interaction: i,
                resource_type: ty,
                patient: target,
                params: &params,
                compartment_given: false,
            },
        )
    }

    use Interaction::*;
    const LAB: &str =
        "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory";
    const LAB_VALUE: &str = "http://terminology.hl7.org/CodeSystem/observation-category|laboratory";

    #[test]
    fn decision_table() {
        // scope, token patient, interaction, type, compartment, params, allowed, granted_by, required
        type Row<'a> = (
            &'a str,
            Option<&'a str>,
            Interaction,
            &'a str,
            Option<&'a str>,
            &'a [(&'a str, &'a str)],
            bool,
            Option<&'a str>,
            &'a str,
        );
        let table: &[Row] = &[
            // patient/ scopes: only the token's patient
            (
                "patient/Observation.rs",
                Some("123"),
                Search,
                "Observation",
                None,
                &[("patient", "123")],
                true,
                Some("patient/Observation.rs"),
                "patient/Observation.s",
            ),
            (
                "patient/Observation.rs",
                Some("123"),
                Search,
                "Observation",
                None,
                &[("subject", "Patient/123")],
                true,
                Some("patient/Observation.rs"),
                "patient/Observation.s",
            ),
            (
                "patient/Observation.rs",
                Some("123"),
                Search,
                "Observation",
                None,
                &[("patient", "Patient/123"), ("code", "x")],
                true,
                Some("patient/Observation.rs"),
                "patient/Observation.s",
            ),
            (
                "patient/Observation.rs",
                Some("123"),
                Search,
                "Observation",
                Some("123"),
                &[],
                true,
                Some("patient/Observation.rs"),
                "patient/Observation.s",
            ),
            (
                "patient/Observation.rs",
                Some("Patient/123"),
                Search,
                "Observation",
                Some("Patient/123"),
                &[],
                true,
                Some("patient/Observation.rs"),
                "patient/Observation.s",
            ),
            (
                "patient/Observation.rs",
                Some("123"),
                Search,
                "Observation",
                None,
                &[],
                false,
                None,
                "user/Observation.s",
            ),
            (
                "patient/Observation.rs",
                Some("123"),
                Search,
                "Observation",
                None,
                &[("patient", "456")],
                false,
                None,
                "user/Observation.s",
            ),
            (
                "patient/Observation.rs",
                Some("123"),
                Search,
                "Observation",
                None,
                &[("patient", "123,456")],
                false,
                None,
                "user/Observation.s",
            ),
            (
                "patient/Observation.rs",
                Some("123"),
                Search,
                "Observation",
                None,
                &[("subject", "123")],
                false,
                None,
                "user/Observation.s",
            ),
            (
                "patient/Observation.rs",
                Some("123"),
                Search,
                "Observation",
                Some("456"),
                &[],
                false,
                None,
                "user/Observation.s",
            ),
            (
                "patient/Observation.rs",
                None,
                Search,
                "Observation",
                None,
                &[("patient", "123")],
                false,
                None,
                "user/Observation.s",
            ),
            (
                "patient/Observation.rs",
                Some("123"),
                Read,
                "Observation",
                None,
                &[],
                false,
                None,
                "user/Observation.r",
            ),
            (
                "patient/Patient.r",
                Some("123"),
                Read,
                "Patient",
                Some("123"),
                &[],
                true,
                Some("patient/Patient.r"),
                "patient/Patient.r",
            ),
            (
                "patient/Patient.r",
                Some("123"),
                Read,
                "Patient",
                Some("124"),
                &[],
                false,
                None,
                "user/Patient.r",
            ),
            (
                "patient/Patient.rs",
                Some("123"),
                Search,
                "Patient",
                None,
                &[("_id", "123")],
                true,
                Some("patient/Patient.rs"),
                "patient/Patient.s",
            ),
            (
                "patient/Patient.rs",
                Some("123"),
                Search,
                "Patient",
                None,
                &[("patient", "123")],
                false,
                None,
                "user/Patient.s",
            ),
            (
                "patient/Observation.c",
                Some("123"),
                Create,
                "Observation",
                None,
                &[],
                false,
                None,
                "user/Observation.c",
            ),
            (
                "patient/Observation.c",
                Some("123"),
                Create,
                "Observation",
                Some("123"),
                &[],
                true,
                Some("patient/Observation.c"),
                "patient/Observation.c",
            ),
            (
                "patient/Observation.c",
                Some("123"),
                Read,
                "Observation",
                Some("123"),
                &[],
                false,
                None,
                "patient/Observation.r",
            ),
            (
                "patient/*.rs",
                Some("123"),
                Search,
                "Condition",
                Some("123"),
                &[],
                true,
                Some("patient/*.rs"),
                "patient/Condition.s",
            ),
            (
                "patient/*.rs",
                Some("123"),
                Update,
                "Condition",
                Some("123"),
                &[],
                false,
                None,
                "patient/Condition.u",
            ),
            (
                "patient/*.cruds",
                Some("123"),
                Delete,
                "Condition",
                Some("123"),
                &[],
                true,
                Some("patient/*.cruds"),
                "patient/Condition.d",
            ),
            // user/ and system/: no compartment
            (
                "user/Observation.rs",
                None,
                Read,
                "Observation",
                None,
                &[],
                true,
                Some("user/Observation.rs"),
                "user/Observation.r",
            ),
            (
                "user/Observation.rs",
                Some("123"),
                Search,
                "Observation",
                Some("456"),
                &[],
                true,
                Some("user/Observation.rs"),
                "user/Observation.s",
            ),
            (
                "user/Appointment.cruds",
                None,
                Delete,
                "Appointment",
                None,
                &[],
                true,
                Some("user/Appointment.cruds"),
                "user/Appointment.d",
            ),
            (
                "user/Patient.rs",
                None,
                Search,
                "Patient",
                None,
                &[("name", "smith")],
                true,
                Some("user/Patient.rs"),
                "user/Patient.s",
            ),
            (
                "system/*.rs",
                None,
                Search,
                "Observation",
                None,
                &[],
                true,
                Some("system/*.rs"),
                "system/Observation.s",
            ),
            (
                "system/Encounter.cud",
                None,
                Create,
                "Encounter",
                None,
                &[],
                true,
                Some("system/Encounter.cud"),
                "system/Encounter.c",
            ),
            (
                "system/Encounter.cud",
                None,
                Read,
                "Encounter",
                None,
                &[],
                false,
                None,
                "system/Encounter.r",
            ),
            (
                "system/Observation.rs",
                None,
                Search,
                "Condition",
                None,
                &[],
                false,
                None,
                "system/Condition.s",
            ),
            // resource types are case-sensitive
            (
                "user/Observation.rs",
                None,
                Read,
                "observation",
                None,
                &[],
                false,
                None,
                "user/observation.r",
            ),
            // v1 scopes keep v1 in required_scope
            (
                "patient/*.read",
                Some("123"),
                Search,
                "Observation",
                None,
                &[("patient", "123")],
                true,
                Some("patient/*.read"),
                "patient/Observation.read",
            ),
            (
                "patient/*.read",
                Some("123"),
                Create,
                "Observation",
                Some("123"),
                &[],
                false,
                None,
                "patient/Observation.write",
            ),
            (
                "user/*.write",
                None,
                Update,
                "Observation",
                None,
                &[],
                true,
                Some("user/*.write"),
                "user/Observation.write",
            ),
            (
                "user/*.*",
                None,
                Delete,
                "Observation",
                None,
                &[],
                true,
                Some("user/*.*"),
                "user/Observation.write",
            ),
            // ?query restrictions: searches carrying them only, never reads
            (
                LAB,
                Some("123"),
                Search,
                "Observation",
                None,
                &[("patient", "123"), ("category", LAB_VALUE)],
                true,
                Some(LAB),
                "patient/Observation.s",
            ),
            (
                LAB,
                Some("123"),
                Search,
                "Observation",
                None,
                &[
                    ("patient", "123"),
                    (
                        "category",
                        "http://terminology.hl7.org/CodeSystem/observation-category%7Claboratory",
                    ),
                ],
                true,
                Some(LAB),
                "patient/Observation.s",
            ),
            (
                LAB,
                Some("123"),
                Search,
                "Observation",
                None,
                &[("patient", "123")],
                false,
                None,
                "patient/Observation.s",
            ),
            (
                LAB,
                Some("123"),
                Search,
                "Observation",
                None,
                &[("patient", "123"), ("category", "vital-signs")],
                false,
                None,
                "patient/Observation.s",
            ),
            (
                LAB,
                Some("123"),
                Search,
                "Observation",
                None,
                &[
                    ("patient", "123"),
                    ("category", &format!("{LAB_VALUE},vital-signs")),
                ],
                false,
                None,
                "patient/Observation.s",
            ),
            (
                LAB,
                Some("123"),
                Read,
                "Observation",
                Some("123"),
                &[],
                false,
                None,
                "patient/Observation.r",
            ),
            (
                "user/Observation.rs?category=vital-signs&status=final",
                None,
                Search,
                "Observation",
                None,
                &[("status", "final"), ("category", "vital-signs")],
                true,
                Some("user/Observation.rs?category=vital-signs&status=final"),
                "user/Observation.s",
            ),
            (
                "user/Observation.rs?category=vital-signs&status=final",
                None,
                Search,
                "Observation",
                None,
                &[("category", "vital-signs")],
                false,
                None,
                "user/Observation.s",
            ),
            // a restricted and an unrestricted scope: the unrestricted one grants the read
            (
                &format!("{LAB} patient/Observation.r"),
                Some("123"),
                Read,
                "Observation",
                Some("123"),
                &[],
                true,
                Some("patient/Observation.r"),
                "patient/Observation.r",
            ),
            // no usable scope
            (
                "openid fhirUser launch/patient",
                Some("123"),
                Read,
                "Patient",
                Some("123"),
                &[],
                false,
                None,
                "patient/Patient.r",
            ),
            (
                "patient/Observation.dus",
                Some("123"),
                Search,
                "Observation",
                Some("123"),
                &[],
                false,
                None,
                "patient/Observation.s",
            ),
            (
                "",
                None,
                Search,
                "Observation",
                None,
                &[],
                false,
                None,
                "user/Observation.s",
            ),
        ];
        for (scope, tp, i, ty, target, p, allowed, by, required) in table {
            let a = ask(scope, *tp, *i, ty, *target, p);
            let ctx = format!("{scope} / {tp:?} / {i} {ty} {target:?} {p:?} → {a:?}");
            assert_eq!(a.allowed, *allowed, "{ctx}");
            assert_eq!(a.granted_by.as_deref(), *by, "{ctx}");
            assert_eq!(a.required_scope, *required, "{ctx}");
            assert!(a.reason.ends_with('.'), "{ctx}");
        }
    }

    #[test]
    fn reasons_say_what_to_do() {
        let r = ask(
            "patient/Observation.rs",
            Some("123"),
            Search,
            "Observation",
            None,
            &[],
        )
        .reason;
        assert!(r.contains("add patient=123"), "{r}");
        let r = ask(
            "patient/Observation.rs",
            Some("123"),
            Read,
            "Observation",
            None,
            &[],
        )
        .reason;
        assert!(r.contains("read by id names no patient"), "{r}");
        let r = ask(
            "patient/Observation.rs",
            Some("123"),
            Search,
            "Observation",
            Some("456"),
            &[],
        )
        .reason;
        assert!(
            r.contains("only patient 123") && r.contains("patient 456"),
            "{r}"
        );
        let r = ask(LAB, Some("123"), Read, "Observation", Some("123"), &[]).reason;
        assert!(
            r.contains("cannot be checked") && r.contains("content"),
            "{r}"
        );
        let r = ask(
            LAB,
            Some("123"),
            Search,
            "Observation",
            Some("123"),
            &[("category", "x")],
        )
        .reason;
        assert!(r.contains("does not carry category="), "{r}");
        let r = ask(
            "patient/Observation.rs",
            Some("123"),
            Create,
            "Observation",
            Some("123"),
            &[],
        )
        .reason;
        assert!(r.contains("do not include create (\"c\")"), "{r}");
        let r = ask(
            "patient/Observation.rs",
            None,
            Search,
            "Observation",
            Some("123"),
            &[],
        )
        .reason;
        assert!(r.contains("names no patient"), "{r}");
        let r = ask("openid", None, Search, "Observation", None, &[]).reason;
        assert!(r.contains("grant no FHIR resource access"), "{r}");
        let r = ask(
            "patient/Condition.rs patient/Observation.dus",
            Some("1"),
            Search,
            "Observation",
            Some("1"),
            &[],
        )
        .reason;
        assert!(
            r.contains("ignored as malformed: patient/Observation.dus"),
            "{r}"
        );
        let mut no_scope = Map::new();
        no_scope.insert("sub".into(), json!("x"));
        let a = authorize(
            &no_scope,
            &FhirAccess {
                interaction: Read,
                resource_type: "Patient",
                patient: None,
                params: &[],
                compartment_given: false,
            },
        );
        assert!(!a.allowed && a.reason.contains("no \"scope\" claim"));
        let ok = ask("user/Observation.rs", None, Read, "Observation", None, &[]).reason;
        assert!(ok.starts_with("Allowed by \"user/Observation.rs\""), "{ok}");
    }

    #[test]
    fn included_types_need_their_own_grant() {
        let s = "patient/Observation.rs patient/Patient.rs";
        // the included Patient is granted in the same compartment
        let a = ask(
            s,
            Some("123"),
            Search,
            "Observation",
            None,
            &[
                ("patient", "123"),
                ("_include", "Observation:subject:Patient"),
            ],
        );
        assert!(a.allowed, "{a:?}");
        // _revinclude pulls in Provenance: not granted
        let a = ask(
            s,
            Some("123"),
            Search,
            "Patient",
            None,
            &[("_id", "123"), ("_revinclude", "Provenance:target")],
        );
        assert!(!a.allowed);
        assert_eq!(a.required_scope, "patient/Provenance.s");
        assert!(a.reason.contains("Provenance resources"), "{}", a.reason);
        // a target type that is not named needs a * scope
        let a = ask(
            s,
            Some("123"),
            Search,
            "Observation",
            None,
            &[
                ("patient", "123"),
                ("_include:iterate", "Observation:subject"),
            ],
        );
        assert!(!a.allowed);
        assert!(a.reason.contains("Name the target type"), "{}", a.reason);
        let a = ask(
            "patient/*.rs",
            Some("123"),
            Search,
            "Observation",
            None,
            &[("patient", "123"), ("_include", "*")],
        );
        assert!(a.allowed, "{a:?}");
        // a restricted scope cannot grant included resources (the restriction would not apply)
        let a = ask(
            &format!("{LAB} patient/Patient.rs"),
            Some("123"),
            Search,
            "Patient",
            None,
            &[("_id", "123"), ("_revinclude", "Observation:subject")],
        );
        assert!(!a.allowed, "{a:?}");
        // _type lists more types
        let a = ask(
            "user/Observation.rs user/Condition.rs",
            None,
            Search,
            "Observation",
            None,
            &[("_type", "Observation,Condition")],
        );
        assert!(a.allowed, "{a:?}");
        let a = ask(
            "user/Observation.rs",
            None,
            Search,
            "Observation",
            None,
            &[("_type", "Observation,Condition")],
        );
        assert!(
            !a.allowed && a.required_scope == "user/Condition.s",
            "{a:?}"
        );
        // includes matter only for searches
        let a = ask(
            "user/Observation.rs",
            None,
            Read,
            "Observation",
            None,
            &[("_include", "*")],
        );
        assert!(a.allowed);
    }

    #[test]
    fn serialises_for_hosts() {
        let a = ask("user/Observation.rs", None, Read, "Observation", None, &[]);
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["allowed"], true);
        assert_eq!(v["granted_by"], "user/Observation.rs");
        assert_eq!(v["required_scope"], "user/Observation.r");
        assert_eq!(serde_json::to_value(Interaction::Search).unwrap(), "search");
        let i: Interaction = serde_json::from_value(json!("create")).unwrap();
        assert_eq!(i.letter(), 'c');
    }
}
