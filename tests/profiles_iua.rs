//! IHE IUA profile, end to end: tokens signed at test time, verified under a policy naming
//! `"profile": "iua"`.

mod profiles_support;

use azlens::Profile;
use profiles_support::*;
use serde_json::{json, Value};

const ISS: &str = "urn:tiani-spirit:sts";
const AUD: &str = "http://ihe.connectathon.IUA/ResourceProvider-IHE-Connectathon";

/// The IUA Rev 2.x example token, completed with the claims Rev 2.x requires.
fn claims() -> Value {
    json!({
        "iss": ISS,
        "sub": "b3ca1045-aa8b-42f9-9fd9-e0cbf5cb90a7",
        "aud": AUD,
        "exp": NOW + 300, "nbf": NOW, "iat": NOW,
        "jti": "c5436729-3f26-4dbf-abd3-2790dc7771a",
        "client_id": "iua-mobile-app",
        "scope": "ITI-68",
        "extensions": {
            "ihe_iua": {
                "subject_name": "Dr. John Smith",
                "subject_organization": "Central Hospital",
                "subject_organization_id": "urn:oid:1.2.3.4",
                "home_community_id": "urn:oid:1.2.3.4.5.6.7.8",
                "person_id": "urn:uuid:1.2.3.4",
                "subject_role": [{"system": "2.16.840.1.113883.6.96", "code": "46255001", "display": "Pharmacist"}],
                "purpose_of_use": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}]
            },
            "ihe_bppc": {
                "patient_id": "543797436^^^&1.2.840.113619.6.197&ISO",
                "doc_id": "urn:oid:1.2.3.4.99",
                "acp": "urn:oid:1.2.3.4.100"
            }
        }
    })
}

fn policy() -> Value {
    json!({
        "algorithms": ["HS256", "RS256", "ES256"],
        "issuers": [{"issuer": ISS, "audience": AUD}],
        "profile": "iua"
    })
}

fn keys() -> azlens::KeySet {
    key_set(&[
        ("HS256", "hs-1"),
        ("RS256", "rsa-1"),
        ("ES256", "sts-es256"),
    ])
}

fn verify(header: Value, claims: Value) -> azlens::Verdict {
    verifier(policy()).verify(&sign(header, claims), &keys(), NOW)
}

#[test]
fn a_rev2_token_verifies_with_each_iua_algorithm() {
    for (alg, kid, warning) in [
        ("RS256", "rsa-1", None),
        ("ES256", "sts-es256", None),
        ("HS256", "hs-1", Some("iua_symmetric_algorithm")),
    ] {
        let v = verify(json!({"alg": alg, "kid": kid, "typ": "at+jwt"}), claims());
        assert!(v.valid, "{alg}: {:?}", v.errors);
        assert_eq!(v.profile, Some(Profile::Iua));
        assert_eq!(
            v.warnings.iter().map(|w| w.code).next(),
            warning,
            "{alg}: {:?}",
            v.warnings
        );
        assert_eq!(v.context["ihe_iua"]["subject_name"], "Dr. John Smith");
        assert_eq!(v.context["ihe_bppc"]["doc_id"], "urn:oid:1.2.3.4.99");
        assert_eq!(
            v.context["atna_user"],
            format!("{AUD}<b3ca1045-aa8b-42f9-9fd9-e0cbf5cb90a7@{ISS}>")
        );
    }
}

#[test]
fn rule_table() {
    let h = json!({"alg": "RS256", "kid": "rsa-1"});
    let mut iua = claims()["extensions"]["ihe_iua"].clone();
    iua["subject_role"] = json!("Pharmacist");
    let table: Vec<(Value, Vec<&str>)> = vec![
        (
            with(&claims(), json!({"client_id": null})),
            vec!["missing_claim iua.required-claims"],
        ),
        (
            with(&claims(), json!({"scope": null})),
            vec!["missing_claim iua.required-claims"],
        ),
        (
            with(&claims(), json!({"jti": null, "iat": null})),
            vec![
                "missing_claim iua.required-claims",
                "missing_claim iua.required-claims",
            ],
        ),
        (
            with(&claims(), json!({"extensions": {"ihe_iua": iua}})),
            vec!["claim_invalid iua.codings"],
        ),
        (
            with(
                &claims(),
                json!({"extensions": {"ihe_bppc": {"acp": ["x"]}}}),
            ),
            vec!["claim_invalid iua.ihe-bppc-strings"],
        ),
        (
            with(&claims(), json!({"extensions": []})),
            vec!["claim_invalid iua.extensions"],
        ),
    ];
    for (c, want) in table {
        let v = verify(h.clone(), c.clone());
        assert!(!v.valid);
        assert_eq!(error_summary(&v), want, "{c}");
    }
}

/// A token from a 2013 trial-implementation server: flat XUA names, times in milliseconds,
/// a single Coding. It is refused (the times), and every quirk is named.
#[test]
fn a_2013_style_token_is_explained() {
    let c = json!({
        "iss": ISS, "sub": "dr.smith", "aud": AUD,
        "exp": (NOW + 300) * 1000, "iat": NOW * 1000,
        "jti": "j-2013", "client_id": "legacy", "scope": "ITI-18",
        "SubjectID": "Dr. John Smith", "SubjectOrganization": "Central Hospital",
        "SubjectOrganizationID": "urn:oid:1.2.3.4", "HomeCommunityID": "urn:oid:1.2.3",
        "NationalProviderIdentifier": "1234567890", "SubjectRole": "Pharmacist",
        "docid": "urn:oid:1.2.3.99", "acp": "urn:oid:1.2.3.100", "PurposeOfUse": "TREATMENT",
        "resourceID": "543797436^^^&1.2.840.113619.6.197&ISO", "personID": "urn:uuid:5"
    });
    let v = verify(json!({"alg": "HS256", "kid": "hs-1", "typ": "JWT"}), c);
    assert!(!v.valid);
    assert_eq!(
        error_summary(&v),
        ["claim_invalid", "claim_invalid"],
        "{:?}",
        v.errors
    );
    let flat: Vec<(&str, &str)> = v
        .warnings
        .iter()
        .filter(|w| w.code == "iua_2013_claim")
        .map(|w| (w.claim.as_deref().unwrap_or(""), w.message.as_str()))
        .collect();
    assert_eq!(flat.len(), 11, "{:?}", v.warnings);
    for f in azlens::profiles::xua::FLAT_NAMES {
        let (_, msg) = flat.iter().find(|(c, _)| *c == f.name).unwrap();
        assert!(msg.contains(f.today), "{msg}");
    }
    let ms: Vec<&str> = v
        .warnings
        .iter()
        .filter(|w| w.code == "iua_time_in_milliseconds")
        .filter_map(|w| w.claim.as_deref())
        .collect();
    assert_eq!(ms, ["exp", "iat"]);
}

#[test]
fn a_single_coding_is_a_warning_not_an_error() {
    let mut c = claims();
    c["extensions"]["ihe_iua"]["purpose_of_use"] =
        json!({"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"});
    let v = verify(json!({"alg": "ES256", "kid": "sts-es256"}), c);
    assert!(v.valid, "{:?}", v.errors);
    assert_eq!(v.warnings[0].code, "iua_single_coding");
    assert_eq!(
        v.warnings[0].claim.as_deref(),
        Some("extensions.ihe_iua.purpose_of_use")
    );
}

#[test]
fn the_profile_adds_to_the_core_checks_never_replaces_them() {
    // a tampered token still fails the signature, whatever the profile says
    let t = sign(json!({"alg": "RS256", "kid": "rsa-1"}), claims());
    let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
    parts[1] = b64(with(&claims(), json!({"sub": "admin"})).to_string());
    let v = verifier(policy()).verify(&parts.join("."), &keys(), NOW);
    assert!(!v.valid);
    assert!(v.has(azlens::ErrorCode::SignatureInvalid));
    // and without the profile, the IUA rules do not apply
    let mut p = policy();
    p.as_object_mut().unwrap().remove("profile");
    let v = verifier(p).verify(
        &sign(
            json!({"alg": "RS256", "kid": "rsa-1"}),
            with(&claims(), json!({"client_id": null})),
        ),
        &keys(),
        NOW,
    );
    assert!(v.valid, "{:?}", v.errors);
    assert_eq!(v.profile, None);
    assert!(v.context.is_empty());
}

/// ITI-72 3.72.4.3 (IUA Rev 2.4): a valid token whose scope does not cover the request is
/// answered 401, where RFC 6750 (and azlens under other profiles) says 403.
#[test]
fn an_iua_resource_server_answers_401_when_the_scope_does_not_cover_the_request() {
    use azlens::guard::request::Request;
    let decide = |v: &azlens::Verifier, req: &Request, keys: &azlens::KeySet, now: i64| {
        let answer = azlens::gate::decide(v, req.clone(), keys, now);
        answer.into_decision().expect("a decision")
    };
    let route_policy = |profile: Option<&str>| {
        let mut p = policy();
        p["routes"] = json!([{"path_prefix": "/mhd", "any_scope": ["ITI-67"]}]);
        match profile {
            Some(name) => p["profile"] = json!(name),
            None => {
                p.as_object_mut().unwrap().remove("profile");
            }
        }
        verifier(p)
    };
    let token = sign(json!({"alg": "RS256", "kid": "rsa-1"}), claims());
    let req = Request::new(
        "GET",
        "/mhd/DocumentReference",
        vec![("authorization".into(), format!("Bearer {token}"))],
    );
    let iua = decide(&route_policy(Some("iua")), &req, &keys(), NOW);
    assert!(!iua.allow);
    assert_eq!(iua.status, 401);
    let challenge = iua.www_authenticate.unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    let plain = decide(&route_policy(None), &req, &keys(), NOW);
    assert_eq!(plain.status, 403);
    // An invalid token stays 401 under both.
    let expired = sign(
        json!({"alg": "RS256", "kid": "rsa-1"}),
        with(&claims(), json!({"exp": NOW - 600, "scope": "ITI-67"})),
    );
    let req = Request::new(
        "GET",
        "/mhd/DocumentReference",
        vec![("authorization".into(), format!("Bearer {expired}"))],
    );
    assert_eq!(
        decide(&route_policy(Some("iua")), &req, &keys(), NOW).status,
        401
    );
}
