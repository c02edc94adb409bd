//! SMART App Launch profile end to end: verify a launch token, then ask the authorization
//! question hosts ask, through the public path `azlens::profiles::smart`.

mod profiles_support;

use azlens::profiles::smart::{authorize, FhirAccess, Interaction};
use azlens::Profile;
use profiles_support::*;
use serde_json::{json, Value};

const ISS: &str = "https://ehr.example/auth";
const FHIR: &str = "https://ehr.example/fhir";

fn claims(scope: &str) -> Value {
    json!({
        "iss": ISS, "sub": "practitioner-7", "aud": FHIR,
        "exp": NOW + 600, "iat": NOW, "jti": "at-1", "client_id": "growth-chart",
        "scope": scope,
        "patient": "123", "encounter": "enc-9",
        "fhirContext": [{"reference": "DiagnosticReport/dr-1"}],
        "fhirUser": "https://ehr.example/fhir/Practitioner/practitioner-7",
        "need_patient_banner": false, "smart_style_url": "https://ehr.example/styles/smart_v1.json",
        "tenant": "2ddd6c3a-8e9a-44c6-a305-52111ad302a2", "intent": "reconcile-medications"
    })
}

fn verify(scope: &str) -> azlens::Verdict {
    let v = verifier(json!({
        "algorithms": ["ES256"],
        "issuers": [{"issuer": ISS, "audience": FHIR, "profile": "smart"}],
        "typ": "at+jwt"
    }));
    let token = sign(
        json!({"alg": "ES256", "kid": "ehr-as", "typ": "at+jwt"}),
        claims(scope),
    );
    v.verify(&token, &key_set(&[("ES256", "ehr-as")]), NOW)
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn a_launch_token_verifies_and_surfaces_its_context() {
    let v = verify("launch openid fhirUser patient/Observation.rs patient/Patient.r");
    assert!(v.valid, "{:?}", v.errors);
    assert!(v.warnings.is_empty(), "{:?}", v.warnings);
    assert_eq!(v.profile, Some(Profile::Smart));
    for (k, want) in [
        ("patient", json!("123")),
        ("encounter", json!("enc-9")),
        ("tenant", json!("2ddd6c3a-8e9a-44c6-a305-52111ad302a2")),
        (
            "fhirUser",
            json!("https://ehr.example/fhir/Practitioner/practitioner-7"),
        ),
        ("need_patient_banner", json!(false)),
        ("intent", json!("reconcile-medications")),
        ("client_id", json!("growth-chart")),
    ] {
        assert_eq!(v.context[k], want, "{k}");
    }
    assert_eq!(
        v.context["fhirContext"][0]["reference"],
        "DiagnosticReport/dr-1"
    );
    let grants = v.context["grants"]["scopes"].as_array().unwrap();
    assert_eq!(grants.len(), 5);
    assert_eq!(grants[3]["scope"], "patient/Observation.rs");
}

/// The worker and the filter call `authorize` on the claims of a verified token.
#[test]
fn authorize_on_a_verified_token() {
    let v = verify("launch patient/Observation.rs patient/Patient.r user/Practitioner.rs patient/Condition.rs?clinical-status=active");
    assert!(v.valid, "{:?}", v.errors);
    let claims = v.payload.clone().unwrap();
    use Interaction::*;
    type Row<'a> = (
        Interaction,
        &'a str,
        Option<&'a str>,
        &'a [(&'a str, &'a str)],
        bool,
        &'a str,
    );
    let table: &[Row] = &[
        (
            Search,
            "Observation",
            None,
            &[("patient", "123"), ("code", "http://loinc.org|8302-2")],
            true,
            "patient/Observation.s",
        ),
        (
            Search,
            "Observation",
            Some("123"),
            &[],
            true,
            "patient/Observation.s",
        ),
        (
            Search,
            "Observation",
            None,
            &[("patient", "999")],
            false,
            "user/Observation.s",
        ),
        (
            Search,
            "Observation",
            None,
            &[],
            false,
            "user/Observation.s",
        ),
        (Read, "Observation", None, &[], false, "user/Observation.r"),
        (
            Create,
            "Observation",
            Some("123"),
            &[],
            false,
            "patient/Observation.c",
        ),
        (Read, "Patient", Some("123"), &[], true, "patient/Patient.r"),
        (Read, "Patient", Some("124"), &[], false, "user/Patient.r"),
        (
            Search,
            "Patient",
            None,
            &[("_id", "123")],
            false,
            "patient/Patient.s",
        ),
        (Read, "Practitioner", None, &[], true, "user/Practitioner.r"),
        (
            Search,
            "Condition",
            None,
            &[("patient", "123"), ("clinical-status", "active")],
            true,
            "patient/Condition.s",
        ),
        (
            Search,
            "Condition",
            None,
            &[("patient", "123")],
            false,
            "patient/Condition.s",
        ),
        (
            Read,
            "Condition",
            Some("123"),
            &[],
            false,
            "patient/Condition.r",
        ),
        (
            Search,
            "MedicationRequest",
            Some("123"),
            &[],
            false,
            "patient/MedicationRequest.s",
        ),
    ];
    for (i, ty, target, p, allowed, required) in table {
        let params = pairs(p);
        let a = authorize(
            &claims,
            &FhirAccess {
                interaction: *i,
                resource_type: ty,
                patient: *target,
                params: &params,
                compartment_given: false,
            },
        );
        assert_eq!(
            a.allowed, *allowed,
            "{i} {ty} {target:?} {p:?}: {}",
            a.reason
        );
        assert_eq!(a.required_scope, *required, "{i} {ty} {target:?} {p:?}");
        assert_eq!(a.granted_by.is_some(), *allowed);
    }
}

#[test]
fn profile_findings_on_launch_tokens() {
    // patient/ scopes with no patient in context: valid, warned, and grants nothing
    let v = verifier(json!({"algorithms": ["ES256"], "audience": FHIR, "profile": "smart"}));
    let c = with(
        &claims("patient/*.rs patient/Observation.dus"),
        json!({"patient": null}),
    );
    let token = sign(json!({"alg": "ES256", "kid": "ehr-as"}), c);
    let verdict = v.verify(&token, &key_set(&[("ES256", "ehr-as")]), NOW);
    assert!(verdict.valid, "{:?}", verdict.errors);
    let codes: Vec<&str> = verdict.warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, ["smart_scope_invalid", "smart_no_patient_context"]);
    let a = authorize(
        verdict.payload.as_ref().unwrap(),
        &FhirAccess {
            interaction: Interaction::Search,
            resource_type: "Observation",
            patient: Some("123"),
            params: &[],
            compartment_given: false,
        },
    );
    assert!(
        !a.allowed && a.reason.contains("names no patient"),
        "{}",
        a.reason
    );

    // wrong types in the launch context make the token invalid under the profile
    let c = with(
        &claims("launch patient/*.rs"),
        json!({"need_patient_banner": "no", "fhirContext": "DiagnosticReport/1"}),
    );
    let token = sign(json!({"alg": "ES256", "kid": "ehr-as"}), c);
    let verdict = v.verify(&token, &key_set(&[("ES256", "ehr-as")]), NOW);
    assert_eq!(
        error_summary(&verdict),
        [
            "claim_invalid smart.launch-context-types",
            "claim_invalid smart.launch-context-types"
        ]
    );
}
