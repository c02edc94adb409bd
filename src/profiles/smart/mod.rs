//! SMART App Launch access tokens: the scope language ([`scopes`]), the launch context
//! ([`launch`]) and the FHIR request decision hosts call ([`authorize()`]).

pub mod authorize;
pub mod configuration;
pub mod interaction;
pub mod launch;
pub mod scopes;

pub use authorize::{authorize, Authorization, FhirAccess};
pub use interaction::Interaction;
pub use launch::LaunchContext;
pub use scopes::{Level, Scope, Scopes};

use super::{require_claims, Context, Outcome, Rule};
use serde_json::{Map, Value};

const SCOPES_SPEC: &str = "SMART App Launch 2.x, Scopes and Launch Context";

pub const SCOPE_PRESENT: Rule = Rule {
    name: "smart.scope-present",
    summary: "the token carries its granted scopes in scope",
    spec: "SMART App Launch 2.x; RFC 9068 §2.2.3",
};
pub const SCOPE_SYNTAX: Rule = Rule {
    name: "smart.scope-syntax",
    summary: "patient/, user/ and system/ scopes follow the v2 (.cruds, ?param=value) or v1 (.read, .write, .*) grammar; others grant nothing (warning)",
    spec: SCOPES_SPEC,
};
pub const PATIENT_CONTEXT: Rule = Rule {
    name: "smart.patient-context",
    summary: "a token with patient/ scopes names its patient in patient (warning: without it patient/ scopes grant nothing)",
    spec: SCOPES_SPEC,
};
pub const CONTEXT_TYPES: Rule = Rule {
    name: "smart.launch-context-types",
    summary: "patient, encounter, fhirUser, tenant, intent and smart_style_url are strings, need_patient_banner a boolean, fhirContext an array of objects with reference, canonical or identifier (strings, identifier an Identifier object; type and role strings; a launch-role Patient or Encounter there is a warning)",
    spec: SCOPES_SPEC,
};
pub const PATIENT_ID: Rule = Rule {
    name: "smart.patient-id",
    summary: "patient is a bare id (123), not a reference (Patient/123) (warning; read as the id)",
    spec: SCOPES_SPEC,
};
pub const FHIR_USER: Rule = Rule {
    name: "smart.fhir-user",
    summary: "fhirUser is the URL of a Patient, Practitioner, PractitionerRole, RelatedPerson or Person (warning)",
    spec: "SMART App Launch 2.x, Scopes for requesting identity data",
};
pub const JWT_ACCESS_TOKEN: Rule = Rule {
    name: "smart.jwt-access-token",
    summary: "a JWT access token carries iss, exp, aud, sub, client_id, iat and jti (warning)",
    spec: "RFC 9068 §2.2",
};

pub const RULES: &[Rule] = &[
    SCOPE_PRESENT,
    SCOPE_SYNTAX,
    PATIENT_CONTEXT,
    CONTEXT_TYPES,
    PATIENT_ID,
    FHIR_USER,
    JWT_ACCESS_TOKEN,
];

pub(super) fn check(ctx: &Context<'_>, out: &mut Outcome) {
    let claims = ctx.claims;
    require_claims(ctx, &SCOPE_PRESENT, "a SMART access token", &["scope"], out);
    let granted = scopes::parse(claims.get("scope").and_then(Value::as_str).unwrap_or(""));
    for bad in &granted.invalid {
        out.warn(
            "smart_scope_invalid",
            &SCOPE_SYNTAX,
            "scope",
            format!(
                "The scope \"{}\" is not valid: {}. It grants nothing.",
                bad.scope, bad.reason
            ),
        );
    }
    let patient_scopes: Vec<&str> = granted
        .resources()
        .filter(|s| s.level == Level::Patient)
        .map(|s| s.scope.as_str())
        .collect();
    if !patient_scopes.is_empty() && launch::patient_id(claims).is_none() {
        out.warn(
            "smart_no_patient_context",
            &PATIENT_CONTEXT,
            "patient",
            format!(
                "The token grants patient-level scopes ({}) but names no patient; SMART requires a patient in context for them, and azlens grants nothing through them.",
                patient_scopes.join(", ")
            ),
        );
    }
    check_context_types(claims, out);
    if let Some(Value::String(p)) = claims.get("patient") {
        if let Some(id) = p.strip_prefix("Patient/") {
            out.warn(
                "smart_patient_reference",
                &PATIENT_ID,
                "patient",
                format!("\"patient\" is the reference \"{p}\"; SMART sends the bare id. Read as \"{id}\"."),
            );
        }
    }
    if let Some(Value::String(u)) = claims.get("fhirUser") {
        match launch::fhir_user_reference(u) {
            Some((ty, _)) if launch::FHIR_USER_TYPES.contains(&ty) => {}
            _ => out.warn(
                "smart_fhir_user_type",
                &FHIR_USER,
                "fhirUser",
                format!("\"fhirUser\" is \"{u}\"; SMART makes it the URL of a Patient, Practitioner, PractitionerRole, RelatedPerson or Person resource."),
            ),
        }
    }
    let missing: Vec<&str> = ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"]
        .into_iter()
        .filter(|n| !claims.contains_key(*n))
        .collect();
    if !missing.is_empty() {
        out.warn(
            "smart_jwt_access_token_claims",
            &JWT_ACCESS_TOKEN,
            missing[0],
            format!(
                "The token lacks {} that RFC 9068 JWT access tokens carry.",
                missing
                    .iter()
                    .map(|m| format!("\"{m}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    if let Ok(Value::Object(m)) = serde_json::to_value(launch::LaunchContext::read(claims)) {
        out.context.extend(m);
    }
    out.surface(claims, "client_id");
    if let Ok(g) = serde_json::to_value(&granted) {
        out.context.insert("grants".into(), g);
    }
}

fn check_context_types(claims: &Map<String, Value>, out: &mut Outcome) {
    for name in [
        "patient",
        "encounter",
        "fhirUser",
        "tenant",
        "intent",
        "smart_style_url",
    ] {
        if let Some(v) = claims.get(name) {
            if !v.is_string() {
                out.invalid(
                    &CONTEXT_TYPES,
                    name,
                    format!("The launch context \"{name}\" must be a string."),
                );
            }
        }
    }
    if let Some(v) = claims.get("need_patient_banner") {
        if !v.is_boolean() {
            out.invalid(
                &CONTEXT_TYPES,
                "need_patient_banner",
                "\"need_patient_banner\" must be true or false.",
            );
        }
    }
    match claims.get("fhirContext") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("fhirContext[{i}]");
                match item {
                    Value::Object(o)
                        if ["reference", "canonical", "identifier"]
                            .iter()
                            .any(|k| o.contains_key(*k)) =>
                    {
                        check_fhir_context_object(o, &path, out)
                    }
                    Value::Object(_) => out.invalid(
                        &CONTEXT_TYPES,
                        &path,
                        "A fhirContext entry needs a \"reference\", \"canonical\" or \"identifier\".",
                    ),
                    Value::String(s) => out.warn(
                        "smart_fhir_context_string",
                        &CONTEXT_TYPES,
                        &path,
                        format!("The fhirContext entry \"{s}\" is a bare string (SMART 2.0.0 form); SMART 2.1+ sends objects like {{\"reference\": \"{s}\"}}."),
                    ),
                    _ => out.invalid(
                        &CONTEXT_TYPES,
                        &path,
                        "A fhirContext entry must be an object like {\"reference\": \"DiagnosticReport/123\"}.",
                    ),
                }
            }
        }
        Some(_) => out.invalid(
            &CONTEXT_TYPES,
            "fhirContext",
            "\"fhirContext\" must be an array of objects.",
        ),
    }
}

/// One SMART 2.2 `fhirContext` object: `reference`, `canonical`, `type` and `role` strings,
/// `identifier` an object (a FHIR Identifier); a Patient or Encounter in the launch role
/// belongs in `patient` / `encounter` instead (warning).
fn check_fhir_context_object(o: &Map<String, Value>, path: &str, out: &mut Outcome) {
    for k in ["reference", "canonical", "type", "role"] {
        if o.get(k).is_some_and(|v| !v.is_string()) {
            out.invalid(
                &CONTEXT_TYPES,
                &format!("{path}.{k}"),
                format!("\"{k}\" in a fhirContext entry must be a string."),
            );
        }
    }
    if o.get("identifier").is_some_and(|v| !v.is_object()) {
        out.invalid(
            &CONTEXT_TYPES,
            &format!("{path}.identifier"),
            "\"identifier\" in a fhirContext entry must be a FHIR Identifier object ({\"system\", \"value\"}).",
        );
    }
    let launch_role = o
        .get("role")
        .and_then(Value::as_str)
        .is_none_or(|r| r == "launch");
    let kind = o.get("type").and_then(Value::as_str).or_else(|| {
        o.get("reference")
            .and_then(Value::as_str)
            .and_then(|r| r.split('/').next())
    });
    if launch_role && matches!(kind, Some("Patient" | "Encounter")) {
        out.warn(
            "smart_fhir_context_launch_patient",
            &CONTEXT_TYPES,
            path,
            "A Patient or Encounter in fhirContext with the launch role belongs in the \"patient\" / \"encounter\" claims; SMART App Launch 2.2 allows it in fhirContext only with another role.",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Profile, ProfileOptions};
    use serde_json::{json, Value};

    fn good() -> Value {
        json!({
            "iss": "https://ehr.example/auth", "sub": "user-1", "aud": "https://ehr.example/fhir",
            "exp": NOW + 300, "iat": NOW, "jti": "j-1", "client_id": "growth-chart",
            "scope": "launch openid fhirUser patient/Observation.rs patient/Patient.r",
            "patient": "123", "encounter": "enc-9",
            "fhirContext": [{"reference": "DiagnosticReport/123"}],
            "fhirUser": "https://ehr.example/fhir/Practitioner/abc",
            "need_patient_banner": true, "tenant": "2ddd6c3a-8e9a-44c6-a305-52111ad302a2"
        })
    }

    fn run_smart(claims: Value) -> super::super::Outcome {
        run(
            Profile::Smart,
            json!({"alg": "RS256", "typ": "at+jwt"}),
            claims,
            &ProfileOptions::default(),
            &[],
        )
    }

    #[test]
    fn a_launch_token_passes_and_surfaces_grants_and_context() {
        let out = run_smart(good());
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        assert_eq!(out.context["patient"], "123");
        assert_eq!(
            out.context["tenant"],
            "2ddd6c3a-8e9a-44c6-a305-52111ad302a2"
        );
        assert_eq!(
            out.context["fhirUser"],
            "https://ehr.example/fhir/Practitioner/abc"
        );
        assert_eq!(out.context["client_id"], "growth-chart");
        let grants = &out.context["grants"]["scopes"];
        assert_eq!(grants[3]["kind"], "resource");
        assert_eq!(grants[3]["level"], "patient");
        assert_eq!(grants[3]["resource_type"], "Observation");
        assert_eq!(grants[3]["permissions"]["s"], true);
    }

    #[test]
    fn errors() {
        let table: Vec<(Value, &str, &str, crate::ErrorCode)> = vec![
            (
                with(&good(), json!({"scope": null})),
                "smart.scope-present",
                "scope",
                crate::ErrorCode::MissingClaim,
            ),
            (
                with(&good(), json!({"patient": 123})),
                "smart.launch-context-types",
                "patient",
                crate::ErrorCode::ClaimInvalid,
            ),
            (
                with(&good(), json!({"tenant": {}})),
                "smart.launch-context-types",
                "tenant",
                crate::ErrorCode::ClaimInvalid,
            ),
            (
                with(&good(), json!({"need_patient_banner": "true"})),
                "smart.launch-context-types",
                "need_patient_banner",
                crate::ErrorCode::ClaimInvalid,
            ),
            (
                with(&good(), json!({"fhirContext": {"reference": "A/1"}})),
                "smart.launch-context-types",
                "fhirContext",
                crate::ErrorCode::ClaimInvalid,
            ),
            (
                with(&good(), json!({"fhirContext": [{"type": "A"}]})),
                "smart.launch-context-types",
                "fhirContext[0]",
                crate::ErrorCode::ClaimInvalid,
            ),
            (
                with(&good(), json!({"fhirContext": [{"reference": 7}]})),
                "smart.launch-context-types",
                "fhirContext[0].reference",
                crate::ErrorCode::ClaimInvalid,
            ),
            (
                with(
                    &good(),
                    json!({"fhirContext": [{"identifier": "x", "type": "Questionnaire"}]}),
                ),
                "smart.launch-context-types",
                "fhirContext[0].identifier",
                crate::ErrorCode::ClaimInvalid,
            ),
            (
                with(&good(), json!({"fhirContext": [1]})),
                "smart.launch-context-types",
                "fhirContext[0]",
                crate::ErrorCode::ClaimInvalid,
            ),
        ];
        for (claims, rule, claim, code) in table {
            let out = run_smart(claims);
            assert_eq!(
                error_rules(&out),
                vec![rule.to_string()],
                "{claim}: {:?}",
                out.errors
            );
            assert_eq!(out.errors[0].claim.as_deref(), Some(claim));
            assert_eq!(out.errors[0].code, code);
        }
    }

    #[test]
    fn warnings() {
        let table: Vec<(Value, &str)> = vec![
            (
                with(&good(), json!({"scope": "patient/Observation.dus launch"})),
                "smart_scope_invalid",
            ),
            (
                with(&good(), json!({"patient": null})),
                "smart_no_patient_context",
            ),
            (
                with(&good(), json!({"patient": "Patient/123"})),
                "smart_patient_reference",
            ),
            (
                with(
                    &good(),
                    json!({"fhirUser": "https://ehr.example/fhir/Device/1"}),
                ),
                "smart_fhir_user_type",
            ),
            (
                with(&good(), json!({"fhirUser": "abc"})),
                "smart_fhir_user_type",
            ),
            (
                with(&good(), json!({"fhirContext": ["DiagnosticReport/123"]})),
                "smart_fhir_context_string",
            ),
            (
                with(
                    &good(),
                    json!({"fhirContext": [{"reference": "Patient/9"}]}),
                ),
                "smart_fhir_context_launch_patient",
            ),
            (
                with(
                    &good(),
                    json!({"fhirContext": [{"type": "Encounter", "identifier": {"value": "e"}, "role": "launch"}]}),
                ),
                "smart_fhir_context_launch_patient",
            ),
            (
                with(&good(), json!({"jti": null})),
                "smart_jwt_access_token_claims",
            ),
        ];
        for (claims, code) in table {
            let out = run_smart(claims);
            assert!(out.errors.is_empty(), "{code}: {:?}", out.errors);
            assert_eq!(warning_codes(&out), vec![code]);
            assert!(out.warnings[0].message.starts_with("smart."));
        }
        // user-level scopes need no patient
        let out = run_smart(with(
            &good(),
            json!({"patient": null, "scope": "user/*.rs"}),
        ));
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    }
}
