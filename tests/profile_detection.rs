//! Auto-detection on real-shaped tokens: which profile the core picks (the page's "auto-detect"
//! and the CLI's `--profile auto` both ask `report::profile_match::detect`), and the verdict
//! under that profile's rules with the policy a user would give.

mod profiles_support;

use azlens::report::{inspect, profile_match, InspectOptions};
use azlens::Profile;
use profiles_support::*;
use serde_json::{json, Value};

const AS: &str = "https://ehr.example/auth";
const FHIR: &str = "https://ehr.example/fhir/r4";
const APP: &str = "growth-chart-app";

struct Case {
    name: &'static str,
    header: Value,
    claims: Value,
    /// The policy's issuer entry (`audience`, …) beside `algorithms` and the detected profile.
    issuer: Value,
    profile_options: Value,
    detected: Option<Profile>,
    valid: bool,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "SMART access token (RFC 9068 typ, launch context, fhirUser, auth_time)",
            header: json!({"alg": "RS256", "kid": "as-1", "typ": "at+jwt"}),
            claims: json!({
                "iss": AS, "sub": "practitioner-9", "aud": FHIR, "client_id": APP,
                "scope": "launch/patient openid fhirUser patient/Observation.rs patient/Patient.r",
                "patient": "123", "fhirUser": format!("{FHIR}/Practitioner/9"),
                "auth_time": NOW - 60, "acr": "urn:mace:incommon:iap:silver",
                "exp": NOW + 300, "iat": NOW, "jti": "at-1"
            }),
            issuer: json!({"issuer": AS, "audience": FHIR}),
            profile_options: json!({}),
            detected: Some(Profile::Smart),
            valid: true,
        },
        Case {
            name: "SMART access token without typ, scope only",
            header: json!({"alg": "RS256", "kid": "as-1"}),
            claims: json!({
                "iss": AS, "sub": "system-1", "aud": FHIR, "client_id": "bulk-client",
                "scope": "system/Observation.rs", "exp": NOW + 300, "iat": NOW, "jti": "at-2"
            }),
            issuer: json!({"issuer": AS, "audience": FHIR}),
            profile_options: json!({}),
            detected: Some(Profile::Smart),
            valid: true,
        },
        Case {
            name: "ID token from a SMART server (nonce, auth_time, acr, amr, fhirUser)",
            header: json!({"alg": "RS256", "kid": "as-1"}),
            claims: json!({
                "iss": AS, "sub": "practitioner-9", "aud": APP, "nonce": "n-0S6_WzA2Mj",
                "auth_time": NOW - 30, "acr": "urn:mace:incommon:iap:silver", "amr": ["pwd", "otp"],
                "fhirUser": format!("{FHIR}/Practitioner/9"), "exp": NOW + 300, "iat": NOW
            }),
            issuer: json!({"issuer": AS, "audience": APP}),
            profile_options: json!({"nonce": "n-0S6_WzA2Mj"}),
            detected: Some(Profile::Oidc),
            valid: true,
        },
        Case {
            name: "ID token without nonce: aud is the client (azp), fhirUser",
            header: json!({"alg": "RS256", "kid": "as-1"}),
            claims: json!({
                "iss": AS, "sub": "patient-123", "aud": APP, "azp": APP,
                "fhirUser": format!("{FHIR}/Patient/123"), "exp": NOW + 300, "iat": NOW
            }),
            issuer: json!({"issuer": AS, "audience": APP}),
            profile_options: json!({}),
            detected: Some(Profile::Oidc),
            valid: true,
        },
        Case {
            name: "ID token under the wrong nonce",
            header: json!({"alg": "RS256", "kid": "as-1"}),
            claims: json!({
                "iss": AS, "sub": "practitioner-9", "aud": APP, "nonce": "replayed",
                "fhirUser": format!("{FHIR}/Practitioner/9"), "exp": NOW + 300, "iat": NOW
            }),
            issuer: json!({"issuer": AS, "audience": APP}),
            profile_options: json!({"nonce": "n-0S6_WzA2Mj"}),
            detected: Some(Profile::Oidc),
            valid: false,
        },
        Case {
            name: "IHE IUA access token with extensions",
            header: json!({"alg": "ES256", "kid": "sts-es256", "typ": "at+jwt"}),
            claims: json!({
                "iss": "urn:tiani-spirit:sts", "sub": "b3ca1045", "aud": FHIR,
                "exp": NOW + 300, "nbf": NOW, "iat": NOW, "jti": "iua-1",
                "client_id": "iua-mobile-app", "scope": "ITI-68",
                "extensions": {"ihe_iua": {
                    "subject_name": "Dr. John Smith",
                    "subject_organization_id": "urn:oid:1.2.3.4",
                    "home_community_id": "urn:oid:1.2.3.4.5.6.7.8",
                    "purpose_of_use": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}]
                }}
            }),
            issuer: json!({"issuer": "urn:tiani-spirit:sts", "audience": FHIR}),
            profile_options: json!({}),
            detected: Some(Profile::Iua),
            valid: true,
        },
        Case {
            name: "CDS Hooks client JWT (with tenant)",
            header: json!({"alg": "ES384", "kid": "ehr-cds", "typ": "JWT"}),
            claims: json!({
                "iss": "https://ehr.example", "aud": "https://cds.example/cds-services/patient-view",
                "exp": NOW + 300, "iat": NOW, "jti": "cds-1", "tenant": "2ddd6c3a"
            }),
            issuer: json!({"issuer": "https://ehr.example",
                           "audience": "https://cds.example/cds-services/patient-view"}),
            profile_options: json!({}),
            detected: Some(Profile::CdsHooks),
            valid: true,
        },
        Case {
            name: "CDS Hooks client JWT living an hour",
            header: json!({"alg": "ES384", "kid": "ehr-cds", "typ": "JWT"}),
            claims: json!({
                "iss": "https://ehr.example", "aud": "https://cds.example/cds-services/patient-view",
                "exp": NOW + 3600, "iat": NOW, "jti": "cds-2"
            }),
            issuer: json!({"issuer": "https://ehr.example",
                           "audience": "https://cds.example/cds-services/patient-view"}),
            profile_options: json!({}),
            detected: Some(Profile::CdsHooks),
            valid: false,
        },
        Case {
            name: "SMART Backend Services client assertion",
            header: json!({"alg": "RS384", "kid": "client-rsa", "typ": "JWT"}),
            claims: json!({
                "iss": "bulk-client", "sub": "bulk-client", "aud": format!("{AS}/token"),
                "exp": NOW + 240, "jti": "assertion-1"
            }),
            issuer: json!({"issuer": "bulk-client"}),
            profile_options: json!({"token_endpoint": format!("{AS}/token")}),
            detected: Some(Profile::SmartBackend),
            valid: true,
        },
        Case {
            name: "plain RFC 9068 access token (no healthcare scopes)",
            header: json!({"alg": "RS256", "kid": "as-1", "typ": "at+jwt"}),
            claims: json!({
                "iss": AS, "sub": "u1", "aud": "https://api.example", "client_id": APP,
                "scope": "read write", "auth_time": NOW - 10, "acr": "1", "amr": ["pwd"],
                "exp": NOW + 300, "iat": NOW, "jti": "at-3"
            }),
            issuer: json!({"issuer": AS, "audience": "https://api.example"}),
            profile_options: json!({}),
            detected: None,
            valid: true,
        },
    ]
}

#[test]
fn detected_profile_and_verdict_of_real_shaped_tokens() {
    for c in cases() {
        let alg = c.header["alg"].as_str().unwrap().to_owned();
        let kid = c.header["kid"].as_str().unwrap().to_owned();
        let token = sign(c.header.clone(), c.claims.clone());

        // the report marks exactly the profile detect() picks
        let report = inspect(&token, NOW, &InspectOptions::default());
        let marked: Vec<Profile> = report
            .profiles
            .iter()
            .filter(|m| m.detected)
            .map(|m| m.name)
            .collect();
        assert_eq!(
            marked,
            c.detected.into_iter().collect::<Vec<_>>(),
            "{}",
            c.name
        );
        let (h, p) = (report.header.unwrap(), report.payload.unwrap());
        assert_eq!(profile_match::detect(&h, &p), c.detected, "{}", c.name);

        // the verdict under the detected profile's rules
        let mut policy = json!({
            "algorithms": [alg],
            "issuers": [c.issuer],
            "profile_options": c.profile_options,
        });
        if let Some(p) = c.detected {
            policy["profile"] = json!(p.name());
        }
        let v = verifier(policy).verify(&token, &key_set(&[(&alg, &kid)]), NOW);
        assert_eq!(v.valid, c.valid, "{}: {:?}", c.name, v.errors);
        assert_eq!(v.profile, c.detected, "{}", c.name);
    }
}
