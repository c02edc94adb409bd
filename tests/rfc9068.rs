//! RFC 9068 JWT access tokens: a policy's `typ: "at+jwt"` (with or without `application/`) is
//! enforced, and an OpenID Connect ID token offered as an access token is named as such.

mod common;

use azlens::{Algorithm, ErrorCode, Verifier};
use common::{claims, sign, TestKey, NOW};
use serde_json::json;

fn verifier(typ: &str) -> (Verifier, azlens::KeySet) {
    let key = TestKey::rsa2048();
    let p = json!({"algorithms": ["RS256"], "typ": typ, "audience": common::AUDIENCE,
                   "issuers": [{"issuer": common::ISSUER}]});
    (
        Verifier::from_json(&p.to_string()).unwrap(),
        key.keyset("k1"),
    )
}

fn token(typ: Option<&str>, extra: serde_json::Value) -> String {
    let key = TestKey::rsa2048();
    let mut h = json!({"alg": "RS256", "kid": "k1"});
    if let Some(t) = typ {
        h["typ"] = json!(t);
    }
    let mut c = claims();
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    sign(&h, &c, &key, Algorithm::RS256)
}

#[test]
fn at_jwt_is_required_in_either_spelling() {
    for policy_typ in ["at+jwt", "application/at+jwt"] {
        let (v, keys) = verifier(policy_typ);
        for ok in ["at+jwt", "application/at+jwt", "AT+JWT"] {
            let verdict = v.verify(&token(Some(ok), json!({})), &keys, NOW);
            assert!(verdict.valid, "{policy_typ} / {ok}: {:?}", verdict.errors);
        }
        for bad in [Some("JWT"), None, Some("at+jwt2")] {
            let verdict = v.verify(&token(bad, json!({})), &keys, NOW);
            assert!(
                verdict.has(ErrorCode::TypMismatch),
                "{policy_typ} / {bad:?}"
            );
        }
    }
}

#[test]
fn an_id_token_is_refused_as_an_access_token_with_a_sentence() {
    let (v, keys) = verifier("at+jwt");
    let id_token = token(
        Some("JWT"),
        json!({"nonce": "n-1", "at_hash": "x", "azp": "app"}),
    );
    let verdict = v.verify(&id_token, &keys, NOW);
    assert!(!verdict.valid);
    let e = verdict
        .errors
        .iter()
        .find(|e| e.code == ErrorCode::TypMismatch)
        .unwrap();
    assert!(
        e.message
            .contains("it carries nonce, at_hash: it is an OpenID Connect ID token"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("send the access token instead"),
        "{}",
        e.message
    );
    // A plain JWT without ID-token claims gets the plain sentence.
    let plain = v.verify(&token(Some("JWT"), json!({})), &keys, NOW);
    let e = plain
        .errors
        .iter()
        .find(|e| e.code == ErrorCode::TypMismatch)
        .unwrap();
    assert!(!e.message.contains("ID token"), "{}", e.message);
}
