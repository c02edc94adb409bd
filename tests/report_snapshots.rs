//! Snapshot tests of the inspection report: a handful of real-shaped tokens, the JSON report
//! for each committed under `tests/snapshots/` and reviewed by eye. Any change to the report
//! shows up as a diff here.
//!
//! To rewrite the snapshots after an intended change: `AZLENS_UPDATE_SNAPSHOTS=1 cargo test
//! --test report_snapshots`, then read the diff before committing.

mod profiles_support;

use azlens::report::{inspect, InspectOptions, Report};
use profiles_support::*;
use serde_json::{json, Value};
use std::path::PathBuf;

/// Every finding code in a report (and its nested reports) is one the README documents.
fn known_codes_only(r: &Report) {
    let known: Vec<&str> = azlens::report::findings::CODES
        .iter()
        .map(|c| c.0)
        .collect();
    for f in &r.findings {
        assert!(
            known.contains(&f.code),
            "undocumented finding code {}",
            f.code
        );
    }
    for n in &r.nested {
        known_codes_only(&n.report);
    }
}

fn snapshot(name: &str, cases: &[(&str, Report)]) {
    for (_, r) in cases {
        known_codes_only(r);
    }
    let doc: Vec<Value> = cases
        .iter()
        .map(|(token, report)| json!({"token": token, "report": report}))
        .collect();
    let doc = if doc.len() == 1 {
        doc[0].clone()
    } else {
        Value::Array(doc)
    };
    let text = serde_json::to_string_pretty(&doc).expect("json") + "\n";
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.json"));
    if std::env::var("AZLENS_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&path, &text).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run with AZLENS_UPDATE_SNAPSHOTS=1 and review it",
            path.display()
        )
    });
    if text != expected {
        let line = text
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| text.lines().count().min(expected.lines().count()));
        panic!(
            "the report for {name} changed (first difference at line {}):\n  now:      {}\n  snapshot: {}\nrerun with AZLENS_UPDATE_SNAPSHOTS=1 if intended, and review the diff",
            line + 1,
            text.lines().nth(line).unwrap_or("<end>"),
            expected.lines().nth(line).unwrap_or("<end>")
        );
    }
}

fn plain(token: &str) -> Report {
    inspect(token, NOW, &InspectOptions::default())
}

#[test]
fn iua_rev2_access_token_verified_under_the_iua_profile() {
    let token = sign(
        json!({"alg": "RS256", "kid": "sts-rsa-1", "typ": "at+jwt"}),
        json!({
            "iss": "urn:tiani-spirit:sts", "sub": "b3ca1045-aa8b-42f9-9fd9-e0cbf5cb90a7",
            "aud": "http://ihe.connectathon.IUA/ResourceProvider-IHE-Connectathon",
            "exp": NOW + 240, "nbf": NOW - 60, "iat": NOW - 60,
            "jti": "c5436729-3f26-4dbf-abd3-2790dc7771a", "client_id": "iua-mobile-app",
            "scope": "ITI-68",
            "extensions": {
                "ihe_iua": {
                    "subject_name": "Dr. John Smith", "subject_organization": "Central Hospital",
                    "subject_organization_id": "urn:oid:1.2.3.4",
                    "home_community_id": "urn:oid:1.2.3.4.5.6.7.8", "person_id": "urn:uuid:1.2.3.4",
                    "subject_role": [{"system": "2.16.840.1.113883.6.96", "code": "46255001", "display": "Pharmacist"}],
                    "purpose_of_use": {"system": "1.0.14265.1", "code": "12", "display": "Law Enforcement"}
                },
                "ihe_bppc": {"patient_id": "543797436^^^&1.2.840.113619.6.197&ISO",
                             "doc_id": "urn:oid:1.2.3.4.99", "acp": "urn:oid:1.2.3.4.100"}
            }
        }),
    );
    let keys = key_set(&[("RS256", "sts-rsa-1")]);
    let v = verifier(json!({
        "algorithms": ["RS256"],
        "issuers": [{"issuer": "urn:tiani-spirit:sts",
                     "audience": "http://ihe.connectathon.IUA/ResourceProvider-IHE-Connectathon"}],
        "profile": "iua"
    }));
    let r = inspect(
        &token,
        NOW,
        &InspectOptions {
            keys: Some(&keys),
            verifier: Some(&v),
            ..InspectOptions::default()
        },
    );
    assert!(r.verification.as_ref().unwrap().valid);
    snapshot("iua_rev2", &[(&token, r)]);
}

#[test]
fn iua_2013_token_pasted_with_its_scheme() {
    let token = sign(
        json!({"alg": "HS256", "typ": "JWT"}),
        json!({
            "iss": "https://sts.hospital.example", "sub": "dr.smith",
            "aud": "https://xds.hospital.example", "exp": (NOW + 300) * 1000, "iat": NOW * 1000,
            "jti": "2013-1", "SubjectID": "Dr. Smith", "SubjectOrganization": "Central Hospital",
            "SubjectRole": "Pharmacist", "PurposeOfUse": "TREATMENT",
            "HomeCommunityID": "urn:oid:1.2.3", "resourceID": "543797436^^^&1.2.840.113619.6.197&ISO",
            "docid": "urn:oid:1.2.3.99", "acp": "urn:oid:1.2.3.100"
        }),
    );
    let pasted = format!("IHE-JWT {token}");
    let r = plain(&pasted);
    snapshot("iua_2013_pasted", &[(&pasted, r)]);
}

#[test]
fn smart_launch_access_token_with_introspection() {
    let token = sign(
        json!({"alg": "ES256", "kid": "ehr-as", "typ": "at+jwt"}),
        json!({
            "iss": "https://ehr.example/auth", "sub": "practitioner-7", "aud": "https://ehr.example/fhir",
            "exp": NOW + 3300, "iat": NOW - 300, "jti": "at-1", "client_id": "growth-chart",
            "scope": "launch openid fhirUser patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs patient/Patient.r user/Practitioner.rs",
            "patient": "123", "encounter": "enc-9",
            "fhirContext": [{"reference": "DiagnosticReport/dr-1"}],
            "fhirUser": "https://ehr.example/fhir/Practitioner/practitioner-7",
            "need_patient_banner": true, "tenant": "2ddd6c3a-8e9a-44c6-a305-52111ad302a2"
        }),
    );
    let keys = key_set(&[("ES256", "ehr-as")]);
    let r = inspect(
        &token,
        NOW,
        &InspectOptions {
            keys: Some(&keys),
            ..InspectOptions::default()
        },
    );
    assert_eq!(r.introspection.as_ref().unwrap()["patient"], "123");
    snapshot("smart_launch", &[(&token, r)]);
}

#[test]
fn cds_hooks_request_token() {
    let token = sign(
        json!({"alg": "ES384", "typ": "JWT", "kid": "example-kid", "jku": "https://fhir-ehr.example.com/jwk_uri"}),
        json!({
            "iss": "https://fhir-ehr.example.com/", "sub": "client_id",
            "aud": "https://cds.example.org/cds-services/some-service",
            "exp": NOW + 300, "iat": NOW, "jti": "ee22b021-e1b7-4611-ba5b-8eec6a33ac1e",
            "tenant": "2ddd6c3a-8e9a-44c6-a305-52111ad302a2"
        }),
    );
    snapshot("cds_hooks_request", &[(&token, plain(&token))]);
}

#[test]
fn smart_backend_client_assertion() {
    let token = sign(
        json!({"alg": "RS384", "kid": "client-rsa", "typ": "JWT",
               "jku": "https://client.example.com/path/to/jwks.json"}),
        json!({
            "iss": "bulk-data-client", "sub": "bulk-data-client",
            "aud": "https://authorize.smarthealthit.org/token",
            "exp": NOW + 300, "jti": "random-non-reusable-jwt-id-123"
        }),
    );
    snapshot("smart_backend_assertion", &[(&token, plain(&token))]);
}

#[test]
fn id_token_with_nested_signed_statements() {
    let statement =
        |kid: &str, claims: Value| sign(json!({"alg": "ES256", "kid": kid, "typ": "JWT"}), claims);
    let token = sign(
        json!({"alg": "ES256", "kid": "idp-2026", "typ": "JWT"}),
        json!({
            "iss": "https://idp.example", "sub": "24400320", "aud": "https://ehr.example",
            "exp": NOW + 300, "iat": NOW - 5, "auth_time": NOW - 60, "nonce": "n-0S6_WzA2Mj",
            "acr": "urn:mace:incommon:iap:silver", "amr": ["hwk", "user"],
            "software": statement("vendor", json!({"iss": "https://vendor.example", "sub": "urn:app:health-wallet:3.2.1", "iat": NOW - 2_592_000})),
            "instance": statement("wallet-instance", json!({"iss": "urn:app:health-wallet:3.2.1", "sub": "device-42", "iat": NOW - 20, "exp": NOW + 280})),
            "identity": statement("proofer", json!({"iss": "https://proofing.example", "sub": "24400320", "iat": NOW - 86_400, "ial": 2})),
            "consent": statement("patient-device", json!({"iss": "urn:app:health-wallet:3.2.1", "sub": "24400320", "iat": NOW - 15, "aud": "https://ehr.example", "purpose": "TREAT"})),
            "trust_framework": "US Healthcare Assurance Framework"
        }),
    );
    // every authority's key except the consent signer's
    let keys = key_set(&[
        ("ES256", "idp-2026"),
        ("ES256", "vendor"),
        ("ES256", "wallet-instance"),
        ("ES256", "proofer"),
    ]);
    let r = inspect(
        &token,
        NOW,
        &InspectOptions {
            keys: Some(&keys),
            ..InspectOptions::default()
        },
    );
    snapshot("id_token_nested", &[(&token, r)]);
}

#[test]
fn a_token_that_should_never_be_accepted() {
    let token = format!(
        "{}.{}.",
        b64(
            r#"{"alg":"none","jwk":{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},"x5u":"http://169.254.169.254/latest/meta-data"}"#
        ),
        b64(
            r#"{"iss":"https://as.example","sub":"alice","sub":"admin","iat":1795003600,"scope":"user/*.cruds"}"#
        )
    );
    snapshot("never_accept", &[(&token, plain(&token))]);
}

#[test]
fn other_kinds() {
    let saml = r#"<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a75adf55" IssueInstant="2026-11-18T11:06:40Z" Version="2.0"><saml2:Issuer>https://idp.hospital.example/saml</saml2:Issuer><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">...</ds:Signature><saml2:Subject><saml2:NameID SPProvidedID="ehr-user-7">dr.smith@hospital.example</saml2:NameID></saml2:Subject><saml2:Conditions NotBefore="2026-11-18T11:06:40Z" NotOnOrAfter="2026-11-18T11:11:40Z"/></saml2:Assertion>"#;
    let saml_token = b64(saml);
    let jwe = format!(
        "{}.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGeipsEdY3mx_etLbbWSrFr05kLzcSr4qKAq7YN7e9jwQRb23nfa6c9d-StnImGyFDbSv04uVuxIp5Zms1gNxKKK2Da14B8S4rzVRltdYwam_lDp5XnZAYpQdb76FdIKLaVmqgfwX7XWRxv2322i-vDxRfqNzo_tETKzpVLzfiwQyeyPGLBIO56YJ7eObdv0je81860ppamavo35UgoRdbYaBcoh9QcfylQr66oc6vFWXRcZ_ZT2LawVCWTIy3brGPi6UklfCpIMfIjf7iGdXKHzg.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ",
        b64(r#"{"alg":"RSA-OAEP","enc":"A256GCM","kid":"rs-enc-1","cty":"JWT"}"#)
    );
    let cases = [
        (saml_token.as_str(), plain(&saml_token)),
        (jwe.as_str(), plain(&jwe)),
        ("2YotnFZFEjr1zCsicMWpAA", plain("2YotnFZFEjr1zCsicMWpAA")),
        ("Bearer ", plain("Bearer ")),
    ];
    snapshot("other_kinds", &cases);
}
