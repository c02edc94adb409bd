//! Tokens that authenticate a caller rather than grant access: SMART Backend Services client
//! assertions (checked by an authorization server) and CDS Hooks client JWTs (checked by a CDS
//! Service). Signed at test time, verified under the profile.

mod profiles_support;

use azlens::Profile;
use profiles_support::*;
use serde_json::{json, Value};

const TOKEN_URL: &str = "https://ehr.example/auth/token";
const CLIENT: &str = "bulk-data-client";

fn backend_policy() -> Value {
    json!({
        "algorithms": ["RS384", "ES384", "HS384"],
        "issuers": [{"issuer": CLIENT}],
        "profile": "smart-backend",
        "profile_options": {"token_endpoint": TOKEN_URL}
    })
}

fn assertion() -> Value {
    json!({
        "iss": CLIENT, "sub": CLIENT, "aud": TOKEN_URL,
        "exp": NOW + 300, "jti": "random-non-reusable-jwt-id-123"
    })
}

fn backend(header: Value, claims: Value) -> azlens::Verdict {
    let kid = header["kid"].as_str().unwrap_or("client-ec").to_owned();
    verifier(backend_policy()).verify(
        &sign_as(&kid, header, claims),
        &key_set(&[
            ("RS384", "client-rsa"),
            ("ES384", "client-ec"),
            ("HS384", "client-secret"),
        ]),
        NOW,
    )
}

#[test]
fn backend_assertions_with_rs384_and_es384() {
    for (alg, kid) in [("RS384", "client-rsa"), ("ES384", "client-ec")] {
        let v = backend(json!({"alg": alg, "kid": kid, "typ": "JWT"}), assertion());
        assert!(v.valid, "{alg}: {:?}", v.errors);
        assert_eq!(v.profile, Some(Profile::SmartBackend));
        assert_eq!(v.context["client_id"], CLIENT);
        assert_eq!(v.context["jti"], "random-non-reusable-jwt-id-123");
    }
}

#[test]
fn backend_rule_table() {
    let h = json!({"alg": "ES384", "kid": "client-ec", "typ": "JWT"});
    let table: Vec<(Value, Value, Vec<&str>)> = vec![
        (
            h.clone(),
            with(&assertion(), json!({"jti": null})),
            vec!["missing_claim smart-backend.required-claims"],
        ),
        (
            h.clone(),
            with(&assertion(), json!({"sub": "another-client"})),
            vec!["profile_violation smart-backend.iss-is-sub"],
        ),
        (
            h.clone(),
            with(
                &assertion(),
                json!({"aud": "https://ehr.example/auth/authorize"}),
            ),
            vec!["profile_violation smart-backend.aud-token-endpoint"],
        ),
        (
            h.clone(),
            with(&assertion(), json!({"exp": NOW + 3600})),
            vec!["profile_violation smart-backend.exp-window"],
        ),
        (
            json!({"alg": "ES384", "typ": "JWT"}),
            assertion(),
            vec!["profile_violation smart-backend.header"],
        ),
        (
            json!({"alg": "ES384", "kid": "client-ec"}),
            assertion(),
            vec!["profile_violation smart-backend.header"],
        ),
        (
            json!({"alg": "HS384", "kid": "client-secret", "typ": "JWT"}),
            assertion(),
            vec!["profile_violation smart-backend.algorithm"],
        ),
        // an expired assertion fails the core check; the profile adds nothing
        (
            h.clone(),
            with(&assertion(), json!({"exp": NOW - 120})),
            vec!["expired"],
        ),
    ];
    for (header, claims, want) in table {
        let v = backend(header.clone(), claims.clone());
        assert!(!v.valid);
        assert_eq!(error_summary(&v), want, "{header} {claims}");
    }
}

const SERVICE: &str = "https://cds.example.org/cds-services/patient-greeting";
const EHR: &str = "https://fhir-ehr.example.com/";

fn cds_policy(algorithms: Value) -> Value {
    json!({
        "algorithms": algorithms,
        "issuers": [{"issuer": EHR, "audience": SERVICE,
                     "jku": ["https://fhir-ehr.example.com/jwk_uri"]}],
        "profile": "cds-hooks"
    })
}

/// The claims of the CDS Hooks specification's example request token.
fn hook_claims() -> Value {
    json!({
        "iss": EHR, "sub": "client_id", "aud": SERVICE,
        "exp": NOW + 300, "iat": NOW,
        "jti": "ee22b021-e1b7-4611-ba5b-8eec6a33ac1e",
        "tenant": "2ddd6c3a-8e9a-44c6-a305-52111ad302a2"
    })
}

fn hook_header() -> Value {
    json!({"alg": "ES384", "typ": "JWT", "kid": "ehr-2026", "jku": "https://fhir-ehr.example.com/jwk_uri"})
}

fn cds(header: Value, claims: Value, algorithms: Value) -> azlens::Verdict {
    let kid = header["kid"].as_str().unwrap_or("ehr-2026").to_owned();
    verifier(cds_policy(algorithms)).verify(
        &sign_as(&kid, header, claims),
        &key_set(&[("ES384", "ehr-2026"), ("HS256", "shared")]),
        NOW,
    )
}

#[test]
fn a_cds_hooks_request_token_surfaces_the_tenant() {
    let v = cds(hook_header(), hook_claims(), json!(["ES384"]));
    assert!(v.valid, "{:?}", v.errors);
    assert_eq!(v.context["tenant"], "2ddd6c3a-8e9a-44c6-a305-52111ad302a2");
    assert_eq!(v.context["iss"], EHR);
}

#[test]
fn cds_hooks_rule_table() {
    let es = json!(["ES384"]);
    let table: Vec<(Value, Value, Value, Vec<&str>)> = vec![
        (
            hook_header(),
            with(&hook_claims(), json!({"jti": null})),
            es.clone(),
            vec!["missing_claim cds-hooks.required-claims"],
        ),
        (
            hook_header(),
            with(&hook_claims(), json!({"iat": null})),
            es.clone(),
            vec!["missing_claim cds-hooks.required-claims"],
        ),
        (
            hook_header(),
            with(&hook_claims(), json!({"exp": NOW + 900})),
            es.clone(),
            vec!["profile_violation cds-hooks.lifetime"],
        ),
        (
            with(&hook_header(), json!({"kid": null})),
            hook_claims(),
            es.clone(),
            vec!["profile_violation cds-hooks.header"],
        ),
        (
            hook_header(),
            with(&hook_claims(), json!({"tenant": ["a"]})),
            es.clone(),
            vec!["claim_invalid cds-hooks.tenant"],
        ),
        // the exact service URL: a trailing slash or another service is another audience
        (
            hook_header(),
            with(&hook_claims(), json!({"aud": format!("{SERVICE}/")})),
            es.clone(),
            vec!["audience_mismatch"],
        ),
        (
            hook_header(),
            with(
                &hook_claims(),
                json!({"aud": "https://cds.example.org/cds-services/other"}),
            ),
            es.clone(),
            vec!["audience_mismatch"],
        ),
        // even when the policy allows HS256, the profile refuses a shared secret
        (
            json!({"alg": "HS256", "typ": "JWT", "kid": "shared"}),
            hook_claims(),
            json!(["ES384", "HS256"]),
            vec!["profile_violation cds-hooks.asymmetric"],
        ),
    ];
    for (h, c, algs, want) in table {
        let v = cds(h.clone(), c.clone(), algs);
        assert!(!v.valid);
        assert_eq!(error_summary(&v), want, "{h} {c}");
    }
}

#[test]
fn policies_without_the_audience_a_profile_needs_are_refused() {
    for p in [
        json!({"algorithms": ["ES384"], "profile": "cds-hooks"}),
        json!({"algorithms": ["ES384"], "profile": "smart-backend"}),
        json!({"algorithms": ["RS256"], "profile": "oidc"}),
    ] {
        let e = azlens::Verifier::from_json(&p.to_string()).unwrap_err();
        assert!(e.to_string().contains("profile"), "{e}");
    }
}
