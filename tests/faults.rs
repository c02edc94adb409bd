//! Faults and floods (issue 19): hostile tokens and key sets cost bounded work and get short,
//! precise answers; requests carrying two credentials are refused as invalid requests.

mod common;

use azlens::gate;
use azlens::guard::{Decision, Request};
use azlens::Verifier;
use azlens::{Algorithm, ErrorCode, KeySet, Limits};
use common::*;
use serde_json::{json, Value};

fn unsigned(header: &Value, claims: &Value) -> String {
    format!("{}.{}.", b64(header.to_string()), b64(claims.to_string()))
}

/// 1,500 `crit` names in an unsigned 14.6 KB token (within the default limits).
fn crit_flood() -> String {
    let names: Vec<String> = (0..1500).map(|i| format!("e{i}")).collect();
    let token = unsigned(&json!({"alg": "none", "crit": names}), &claims());
    assert!(
        token.len() > 14_000 && token.len() < 16 * 1024,
        "{}",
        token.len()
    );
    token
}

fn bearer(token: &str) -> Request {
    Request::new(
        "GET",
        "/fhir/Patient/1",
        vec![("authorization".into(), format!("Bearer {token}"))],
    )
}

#[test]
fn a_long_crit_list_gets_one_short_error() {
    let v = verifier(&policy(&[Algorithm::ES256]));
    let verdict = v.verify(&crit_flood(), &KeySet::new(), NOW);
    let crit: Vec<_> = verdict
        .errors
        .iter()
        .filter(|e| e.code == ErrorCode::CritUnsupported)
        .collect();
    assert_eq!(crit.len(), 1, "{:?}", verdict.errors);
    assert!(
        crit[0].message.contains("1500 names") && crit[0].message.len() < 200,
        "{}",
        crit[0].message
    );
    let total: usize = verdict.errors.iter().map(|e| e.message.len()).sum();
    assert!(total < 1000, "{total} bytes of messages");
}

#[test]
fn crit_names_are_bounded_in_length_and_checked_once() {
    let v = verifier(&policy(&[Algorithm::ES256]));
    let long = "x".repeat(65);
    let t = unsigned(
        &json!({"alg": "ES256", "crit": [long], long.clone(): 1}),
        &claims(),
    );
    let verdict = v.verify(&t, &KeySet::new(), NOW);
    let crit: Vec<_> = verdict
        .errors
        .iter()
        .filter(|e| e.code == ErrorCode::CritUnsupported)
        .collect();
    assert_eq!(crit.len(), 1);
    assert!(crit[0].message.contains("65 bytes"), "{}", crit[0].message);

    // Several problems in one list: still one error, naming each.
    let t = unsigned(
        &json!({"alg": "ES256", "crit": ["x", "x", "kid", "absent"], "x": 1}),
        &claims(),
    );
    let verdict = v.verify(&t, &KeySet::new(), NOW);
    let crit: Vec<_> = verdict
        .errors
        .iter()
        .filter(|e| e.code == ErrorCode::CritUnsupported)
        .collect();
    assert_eq!(crit.len(), 1, "{:?}", verdict.errors);
    for part in ["\"x\" twice", "\"kid\", a registered", "\"absent\", but"] {
        assert!(crit[0].message.contains(part), "{}", crit[0].message);
    }
}

#[test]
fn refusal_bodies_and_log_lines_stay_short_whatever_the_token_holds() {
    let v = verifier(&policy(&[Algorithm::ES256]));
    let d = decide(&v, &bearer(&crit_flood()), &KeySet::new(), NOW);
    assert_eq!(d.status, 401);
    let body = d.body.unwrap_or_default();
    let log = serde_json::to_string(&d.log).unwrap_or_default();
    let challenge = d.www_authenticate.unwrap_or_default();
    assert!(body.len() < 2048, "{} bytes of body", body.len());
    assert!(log.len() < 1024, "{} bytes of log line", log.len());
    assert!(
        challenge.len() < 512,
        "{} bytes of challenge",
        challenge.len()
    );

    // Long attacker-chosen text (kid, iss, sub) is echoed clipped, with an ellipsis.
    let mut c = claims();
    c["sub"] = json!("s".repeat(4000));
    c["iss"] = json!("i".repeat(2000));
    let key = TestKey::p256();
    let t = sign(
        &json!({"alg": "ES256", "kid": "k".repeat(3000)}),
        &c,
        &key,
        Algorithm::ES256,
    );
    let d = decide(&v, &bearer(&t), &key.keyset("k1"), NOW);
    assert_eq!(d.status, 401);
    let body = d.body.unwrap_or_default();
    let log = serde_json::to_string(&d.log).unwrap_or_default();
    assert!(body.len() < 2048, "{} bytes of body: {body}", body.len());
    assert!(log.len() < 2048, "{} bytes of log line: {log}", log.len());
    assert!(log.contains('…'), "{log}");
}

fn two_keys_one_kid(a: &TestKey, b: &TestKey) -> String {
    let mut ja = a.jwk("dup");
    let mut jb = b.jwk("dup");
    ja["use"] = json!("sig");
    jb["use"] = json!("sig");
    json!({"keys": [ja, jb]}).to_string()
}

#[test]
fn a_kid_naming_two_different_keys_serves_no_token() {
    let (a, b) = (TestKey::rsa2048(), TestKey::rsa2048b());
    let keys = KeySet::parse(two_keys_one_kid(&a, &b).as_bytes(), &Limits::default()).unwrap();
    let v = verifier(&policy(&[Algorithm::RS256]));
    for key in [&a, &b] {
        let t = sign(
            &header(Algorithm::RS256, "dup"),
            &claims(),
            key,
            Algorithm::RS256,
        );
        let verdict = v.verify(&t, &keys, NOW);
        assert!(!verdict.valid);
        assert_eq!(verdict.errors[0].code, ErrorCode::KeyInvalid);
        assert!(
            verdict.errors[0].message.contains("more than one"),
            "{}",
            verdict.errors[0].message
        );
    }

    // The same key listed twice under one kid is no ambiguity.
    let same = KeySet::parse(two_keys_one_kid(&a, &a).as_bytes(), &Limits::default()).unwrap();
    let t = sign(
        &header(Algorithm::RS256, "dup"),
        &claims(),
        &a,
        Algorithm::RS256,
    );
    assert!(v.verify(&t, &same, NOW).valid);

    // One kid for keys of different types (kid and kty together name one key) is fine too.
    let ec = TestKey::p256();
    let mixed = json!({"keys": [a.jwk("dup"), ec.jwk("dup")]}).to_string();
    let mixed = KeySet::parse(mixed.as_bytes(), &Limits::default()).unwrap();
    assert!(v.verify(&t, &mixed, NOW).valid);
}

#[test]
fn a_set_of_only_unusable_keys_is_not_called_empty() {
    let keys: Vec<Value> = (0..3)
        .map(|i| json!({"kty": "RSA", "kid": format!("k{i}"), "n": "AQAB", "e": "AQAB"}))
        .collect();
    let set = KeySet::parse(
        json!({ "keys": keys }).to_string().as_bytes(),
        &Limits::default(),
    )
    .unwrap();
    let v = verifier(&policy(&[Algorithm::ES256]));
    let key = TestKey::p256();
    let t = sign(
        &header(Algorithm::ES256, "other"),
        &claims(),
        &key,
        Algorithm::ES256,
    );
    let verdict = v.verify(&t, &set, NOW);
    let m = &verdict.errors[0].message;
    assert!(!m.contains("no keys were given"), "{m}");
    assert!(m.contains("3 unusable keys were given"), "{m}");
}

fn two_credentials(headers: &[(&str, &str)]) -> u16 {
    let v = verifier(&policy(&[Algorithm::ES256]));
    let req = Request::new(
        "GET",
        "/x",
        headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
    );
    let d = decide(&v, &req, &KeySet::new(), NOW);
    assert!(
        d.www_authenticate
            .as_deref()
            .unwrap_or_default()
            .contains("invalid_request"),
        "{d:?}"
    );
    d.status
}

#[test]
fn two_authorization_headers_joined_by_the_host_are_two_tokens() {
    let key = TestKey::p256();
    let t = good_token(&key);
    // What workerd's Headers and Envoy's header map hand over for two Authorization headers.
    let joined = format!("Bearer {t}, Bearer {t}");
    assert_eq!(two_credentials(&[("authorization", &joined)]), 400);
    let joined = format!("Bearer {t},Bearer {t}");
    assert_eq!(two_credentials(&[("authorization", &joined)]), 400);
    // A token never holds white space or a comma.
    let spaced = format!("Bearer {t} {t}");
    assert_eq!(two_credentials(&[("authorization", &spaced)]), 400);

    // Another scheme beside the Bearer token is not a second token.
    let v = verifier(&policy(&[Algorithm::ES256]));
    let req = Request::new(
        "GET",
        "/x",
        vec![(
            "authorization".into(),
            format!("Basic dXNlcjpwdw==, Bearer {t}"),
        )],
    );
    let d = decide(&v, &req, &key.keyset("k1"), NOW);
    assert!(d.allow, "{:?}", d.log);
}

/// The gate's decision with every key at hand.
fn decide(v: &Verifier, req: &Request, keys: &KeySet, now: i64) -> Decision {
    let answer = gate::decide(v, req.clone(), keys, now);
    answer.into_decision().expect("a decision")
}
