//! Inspection of a high-assurance ID token whose claims are signed statements from other
//! authorities (IDESG High Assurance AZ Token: `software`, `instance`, `identity`, `consent`):
//! each is decoded, and with keys, verified on its own.

mod profiles_support;

use azlens::report::{inspect, InspectOptions, TokenKind};
use profiles_support::*;
use serde_json::{json, Value};

const IDP: &str = "https://idp.example";
const RP: &str = "https://ehr.example";

/// `(claim, signer kid, claims)` of each nested statement.
fn statements() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "software",
            "vendor",
            json!({
                "iss": "https://vendor.example", "sub": "urn:app:health-wallet:3.2.1",
                "iat": NOW - 86_400 * 30, "software_id": "health-wallet", "software_version": "3.2.1"
            }),
        ),
        (
            "instance",
            "wallet-instance",
            json!({
                "iss": "urn:app:health-wallet:3.2.1", "sub": "device-42",
                "iat": NOW - 20, "exp": NOW + 280, "presence": "user-verified", "nonce": "p-77"
            }),
        ),
        (
            "identity",
            "proofer",
            json!({
                "iss": "https://proofing.example", "sub": "24400320", "iat": NOW - 86_400,
                "ial": 2, "trust_framework": "US Healthcare Assurance Framework"
            }),
        ),
        (
            "consent",
            "patient-device",
            json!({
                "iss": "urn:app:health-wallet:3.2.1", "sub": "24400320", "iat": NOW - 15,
                "aud": RP, "purpose": "TREAT", "share": ["Observation", "Condition"]
            }),
        ),
    ]
}

fn az_token(statements: &[(&str, &str, Value)]) -> String {
    let mut claims = json!({
        "iss": IDP, "sub": "24400320", "aud": RP,
        "exp": NOW + 300, "iat": NOW - 5, "auth_time": NOW - 60,
        "nonce": "n-0S6_WzA2Mj", "acr": "urn:mace:incommon:iap:silver", "amr": ["hwk", "user"],
        "uniqueID": "7f9c2ba4-e88f-11e9-81b4-2a2ae2dbcce4",
        "trust_framework": "US Healthcare Assurance Framework"
    });
    for (claim, kid, body) in statements {
        claims[*claim] = json!(sign(
            json!({"alg": "ES256", "kid": kid, "typ": "JWT"}),
            body.clone()
        ));
    }
    sign(
        json!({"alg": "ES256", "kid": "idp-2026", "typ": "JWT"}),
        claims,
    )
}

fn all_keys() -> azlens::KeySet {
    key_set(&[
        ("ES256", "idp-2026"),
        ("ES256", "vendor"),
        ("ES256", "wallet-instance"),
        ("ES256", "proofer"),
        ("ES256", "patient-device"),
    ])
}

#[test]
fn statements_are_decoded_without_keys() {
    let r = inspect(&az_token(&statements()), NOW, &InspectOptions::default());
    assert_eq!(r.kind, TokenKind::Jws);
    let claims: Vec<&str> = r.nested.iter().map(|n| n.claim.as_str()).collect();
    assert_eq!(claims, ["software", "instance", "identity", "consent"]);
    for n in &r.nested {
        assert_eq!(n.report.kind, TokenKind::Jws);
        assert!(n.report.verification.is_none());
        assert!(n.report.payload.is_some());
    }
    assert_eq!(
        r.nested[0].report.payload.as_ref().unwrap()["software_id"],
        "health-wallet"
    );
    let oidc = r
        .profiles
        .iter()
        .find(|p| p.name == azlens::Profile::Oidc)
        .unwrap();
    assert!(oidc.matches);
    assert!(r.verification.is_none() && r.introspection.is_none());
    assert!(r.summary.contains("4 signed statements"), "{}", r.summary);
    // the catalog knows the high-assurance claims
    let software = r.claims.iter().find(|c| c.name == "software").unwrap();
    assert_eq!(
        software.defined_by,
        Some("IDESG High Assurance AZ Token (draft)")
    );
}

#[test]
fn with_keys_each_statement_is_verified_on_its_own() {
    let keys = all_keys();
    let opts = InspectOptions {
        keys: Some(&keys),
        ..InspectOptions::default()
    };
    let r = inspect(&az_token(&statements()), NOW, &opts);
    let outer = r.verification.as_ref().unwrap();
    assert!(outer.valid, "{:?}", outer.errors);
    assert_eq!(r.introspection.as_ref().unwrap()["active"], true);
    for n in &r.nested {
        let v = n.report.verification.as_ref().unwrap();
        assert!(v.valid, "{}: {:?}", n.claim, v.errors);
        assert_eq!(v.key.as_ref().unwrap().alg, azlens::Algorithm::ES256);
    }
    assert_eq!(
        r.nested[2]
            .report
            .verification
            .as_ref()
            .unwrap()
            .key
            .as_ref()
            .unwrap()
            .kid
            .as_deref(),
        Some("proofer")
    );

    // one authority's key missing: only that statement fails
    let fewer = key_set(&[
        ("ES256", "idp-2026"),
        ("ES256", "vendor"),
        ("ES256", "wallet-instance"),
        ("ES256", "proofer"),
    ]);
    let opts = InspectOptions {
        keys: Some(&fewer),
        ..InspectOptions::default()
    };
    let r = inspect(&az_token(&statements()), NOW, &opts);
    assert!(r.verification.as_ref().unwrap().valid);
    let verdicts: Vec<(String, bool)> = r
        .nested
        .iter()
        .map(|n| {
            (
                n.claim.clone(),
                n.report.verification.as_ref().unwrap().valid,
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("software".to_string(), true),
            ("instance".to_string(), true),
            ("identity".to_string(), true),
            ("consent".to_string(), false)
        ]
    );
    assert!(r.nested[3]
        .report
        .verification
        .as_ref()
        .unwrap()
        .has(azlens::ErrorCode::KeyNotFound));
}

#[test]
fn a_forged_statement_inside_a_genuine_token_is_caught() {
    let mut s = statements();
    // the identity statement claims to be from the proofer but is signed by the wallet
    let forged = sign_as(
        "wallet-instance",
        json!({"alg": "ES256", "kid": "proofer", "typ": "JWT"}),
        json!({"iss": "https://proofing.example", "sub": "24400320", "ial": 3}),
    );
    s.remove(2);
    // the IdP signs the outer token over the forged statement, verbatim
    let mut claims =
        json!({"iss": IDP, "sub": "24400320", "aud": RP, "exp": NOW + 300, "iat": NOW});
    for (claim, kid, body) in &s {
        claims[*claim] = json!(sign(json!({"alg": "ES256", "kid": kid}), body.clone()));
    }
    claims["identity"] = json!(forged);
    let token = sign(json!({"alg": "ES256", "kid": "idp-2026"}), claims);
    let keys = all_keys();
    let r = inspect(
        &token,
        NOW,
        &InspectOptions {
            keys: Some(&keys),
            ..InspectOptions::default()
        },
    );
    assert!(
        r.verification.as_ref().unwrap().valid,
        "the IdP did sign the outer token"
    );
    let identity = r.nested.iter().find(|n| n.claim == "identity").unwrap();
    let v = identity.report.verification.as_ref().unwrap();
    assert!(!v.valid);
    assert!(v.has(azlens::ErrorCode::SignatureInvalid), "{:?}", v.errors);
    assert!(identity.report.summary.ends_with("; invalid."));
}

#[test]
fn the_outer_token_can_be_verified_under_a_policy() {
    let keys = all_keys();
    let v = verifier(json!({
        "algorithms": ["ES256"],
        "issuers": [{"issuer": IDP, "audience": RP, "profile": "oidc"}],
        "profile_options": {"nonce": "n-0S6_WzA2Mj", "required_amr": ["hwk"]}
    }));
    let opts = InspectOptions {
        keys: Some(&keys),
        verifier: Some(&v),
        ..InspectOptions::default()
    };
    let r = inspect(&az_token(&statements()), NOW, &opts);
    let verdict = r.verification.as_ref().unwrap();
    assert!(verdict.valid, "{:?}", verdict.errors);
    assert_eq!(verdict.profile, Some(azlens::Profile::Oidc));
    assert_eq!(verdict.context["amr"], json!(["hwk", "user"]));
    // nested statements are never held to the outer policy (other issuers, other audiences)
    assert!(r
        .nested
        .iter()
        .all(|n| n.report.verification.as_ref().unwrap().valid));
}
