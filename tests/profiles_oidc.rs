//! OpenID Connect ID tokens under the `oidc` profile: nonce (per login, through `verify_with`),
//! `azp`, `auth_time` with `max_age`, and required `acr`/`amr`.

mod profiles_support;

use azlens::{Profile, ProfileOptions};
use profiles_support::*;
use serde_json::{json, Value};

const ISS: &str = "https://server.example.com";
const CLIENT: &str = "s6BhdRkqt3";

fn id_token() -> Value {
    json!({
        "iss": ISS, "sub": "24400320", "aud": CLIENT,
        "nonce": "n-0S6_WzA2Mj", "exp": NOW + 1000, "iat": NOW,
        "auth_time": NOW - 30, "acr": "urn:mace:incommon:iap:silver",
        "amr": ["pwd", "otp"]
    })
}

fn policy(options: Value) -> Value {
    json!({
        "algorithms": ["RS256"],
        "issuers": [{"issuer": ISS, "audience": CLIENT}],
        "profile": "oidc",
        "profile_options": options
    })
}

fn verify(options: Value, claims: Value) -> azlens::Verdict {
    verifier(policy(options)).verify(
        &sign(json!({"alg": "RS256", "kid": "op-1"}), claims),
        &key_set(&[("RS256", "op-1")]),
        NOW,
    )
}

#[test]
fn an_id_token_verifies_and_surfaces_acr_and_amr() {
    let v = verify(
        json!({"nonce": "n-0S6_WzA2Mj", "max_age": 300,
               "required_acr": ["urn:mace:incommon:iap:silver"], "required_amr": ["otp"]}),
        id_token(),
    );
    assert!(v.valid, "{:?}", v.errors);
    assert_eq!(v.profile, Some(Profile::Oidc));
    assert_eq!(v.context["acr"], "urn:mace:incommon:iap:silver");
    assert_eq!(v.context["amr"], json!(["pwd", "otp"]));
    assert_eq!(v.context["auth_time"], NOW - 30);
}

#[test]
fn rule_table() {
    let strict = json!({"nonce": "n-0S6_WzA2Mj", "max_age": 300,
                        "required_acr": ["urn:mace:incommon:iap:silver", "urn:mace:incommon:iap:gold"],
                        "required_amr": ["otp"]});
    let table: Vec<(Value, Vec<&str>)> = vec![
        (
            with(&id_token(), json!({"nonce": "n-replayed"})),
            vec!["profile_violation oidc.nonce"],
        ),
        (
            with(&id_token(), json!({"nonce": null})),
            vec!["missing_claim oidc.nonce"],
        ),
        (
            with(&id_token(), json!({"aud": [CLIENT, "other-client"]})),
            vec!["missing_claim oidc.azp"],
        ),
        (
            with(
                &id_token(),
                json!({"aud": [CLIENT, "other-client"], "azp": "other-client"}),
            ),
            vec!["profile_violation oidc.azp"],
        ),
        (
            with(&id_token(), json!({"auth_time": NOW - 3600})),
            vec!["profile_violation oidc.auth-time"],
        ),
        (
            with(&id_token(), json!({"auth_time": null})),
            vec!["missing_claim oidc.auth-time"],
        ),
        (
            with(&id_token(), json!({"acr": "0"})),
            vec!["profile_violation oidc.acr"],
        ),
        (
            with(&id_token(), json!({"amr": ["pwd"]})),
            vec!["profile_violation oidc.amr"],
        ),
        (
            with(&id_token(), json!({"iat": null})),
            vec!["missing_claim oidc.required-claims"],
        ),
    ];
    for (c, want) in table {
        let v = verify(strict.clone(), c.clone());
        assert!(!v.valid);
        assert_eq!(error_summary(&v), want, "{c}");
    }
    // several audiences with azp naming this client are fine
    let v = verify(
        strict,
        with(
            &id_token(),
            json!({"aud": [CLIENT, "other-client"], "azp": CLIENT}),
        ),
    );
    assert!(v.valid, "{:?}", v.errors);
}

/// A relying party verifies each login's ID token with that login's nonce, under one policy.
#[test]
fn the_nonce_is_given_per_call() {
    let v = verifier(policy(json!({})));
    let keys = key_set(&[("RS256", "op-1")]);
    let token = sign(json!({"alg": "RS256", "kid": "op-1"}), id_token());
    let login = |nonce: &str| ProfileOptions {
        nonce: Some(nonce.into()),
        ..ProfileOptions::default()
    };
    assert!(
        v.verify_with(&token, &keys, NOW, &login("n-0S6_WzA2Mj"))
            .valid
    );
    let other = v.verify_with(&token, &keys, NOW, &login("n-another-login"));
    assert_eq!(error_summary(&other), ["profile_violation oidc.nonce"]);
    // the policy's own options (none here) apply to plain verify
    assert!(v.verify(&token, &keys, NOW).valid);
}
