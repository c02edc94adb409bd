use super::*;
use crate::token::base64url::encode;
use base64::Engine;
use hmac::{KeyInit, Mac};
use serde_json::{json, Value};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const ROTATED: &[u8] = b"fedcba9876543210fedcba9876543210";
const NOW: i64 = 1_800_000_000;
const JWKS: &str = "https://as.example/jwks";

fn sign(kid: &str, secret: &[u8], claims: Value) -> String {
    let head = encode(format!(r#"{{"alg":"HS256","typ":"at+jwt","kid":"{kid}"}}"#).as_bytes());
    let body = encode(claims.to_string().as_bytes());
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(format!("{head}.{body}").as_bytes());
    format!("{head}.{body}.{}", encode(&mac.finalize().into_bytes()))
}

fn token(kid: &str, secret: &[u8]) -> String {
    sign(
        kid,
        secret,
        json!({"iss": "https://as.example", "sub": "dr-who", "aud": "https://fhir.example",
               "client_id": "app", "scope": "patient/*.rs", "exp": NOW + 300, "iat": NOW - 10,
               "patient": "123"}),
    )
}

fn set(kid: &str, secret: &[u8]) -> KeySet {
    let jwks = json!({"keys": [{"kty": "oct", "kid": kid, "k": encode(secret)}]});
    KeySet::parse(jwks.to_string().as_bytes(), &crate::Limits::default()).unwrap()
}

fn verifier() -> Verifier {
    Verifier::from_json(
        &json!({
            "algorithms": ["HS256"],
            "issuers": [{"issuer": "https://as.example", "audience": "https://fhir.example",
                         "jwks_uri": JWKS}],
            "token": {"realm": "fhir"},
            "routes": [{"path_prefix": "/public", "open": true},
                       {"path_prefix": "/fhir", "fhir": true}],
            "introspection": {"path": "/introspect",
                              "clients": [{"client_id": "rs", "secret": "rs-secret-long-and-random"}]}
        })
        .to_string(),
    )
    .unwrap()
}

fn get(path: &str, token: Option<&str>) -> Request {
    let headers = token
        .map(|t| vec![("Authorization".to_string(), format!("Bearer {t}"))])
        .unwrap_or_default();
    Request::new("GET", path, headers)
}

fn introspect_call() -> Request {
    let basic = base64::engine::general_purpose::STANDARD.encode("rs:rs-secret-long-and-random");
    Request::new(
        "POST",
        "/introspect",
        vec![
            (
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
            ("Authorization".into(), format!("Basic {basic}")),
        ],
    )
}

fn decision(answer: &Answer) -> &Decision {
    match answer {
        Answer::Decision(d) => d,
        Answer::Introspection(r) => panic!("an introspection reply: {r:?}"),
    }
}

fn fetch(step: Step) -> Ticket {
    match step {
        Step::Fetch(t) => t,
        other => panic!("not a fetch: {other:?}"),
    }
}

#[test]
fn a_request_decided_without_keys_is_answered_at_once_as_the_guard_does() {
    let v = verifier();
    let cache = VerdictCache::new(8);
    for req in [get("/fhir/Patient/123", None), get("/public/x", None)] {
        let Step::Reply(answer) = begin(&v, &cache, req.clone(), None) else {
            panic!("not answered at once");
        };
        let guard::Ready::Done(expected) = guard::begin(&v, &req, &VerdictCache::new(1)) else {
            panic!("the guard wants keys");
        };
        assert_eq!(
            serde_json::to_value(decision(&answer)).unwrap(),
            serde_json::to_value(&*expected).unwrap()
        );
    }
}

#[test]
fn a_token_gets_a_ticket_with_its_plan_and_finishes_as_the_guard_decides() {
    let v = verifier();
    let mut cache = VerdictCache::new(8);
    let t = token("k1", SECRET);
    let req = get("/fhir/Patient/123", Some(&t));
    let ticket = fetch(begin(&v, &cache, req.clone(), None));
    assert_eq!(
        ticket.plan().sources,
        vec![KeySource::JwksUri { url: JWKS.into() }]
    );
    let keys = set("k1", SECRET);
    let outcome = finish(&v, &mut cache, &ticket, &[&keys], 1, NOW);
    assert_eq!(outcome.keys, KeyAction::Keep);
    let expected = decide(&v, req.clone(), &keys, NOW)
        .decision()
        .cloned()
        .unwrap();
    assert!(expected.allow);
    assert_eq!(
        serde_json::to_value(decision(&outcome.answer)).unwrap(),
        serde_json::to_value(&expected).unwrap()
    );
}

#[test]
fn an_unknown_kid_asks_the_key_cache_to_refetch_and_the_same_ticket_finishes_after() {
    let v = verifier();
    let mut cache = VerdictCache::new(8);
    let t = token("k2", ROTATED);
    let ticket = fetch(begin(&v, &cache, get("/fhir/Patient/123", Some(&t)), None));
    let old = set("k1", SECRET);
    let first = finish(&v, &mut cache, &ticket, &[&old], 1, NOW);
    assert!(!decision(&first.answer).allow);
    assert_eq!(
        first.keys,
        KeyAction::RefetchUnknownKid(vec![KeySource::JwksUri { url: JWKS.into() }])
    );
    // The rotated set arrives beside the old one: the sets are merged in the core.
    let new = set("k2", ROTATED);
    let second = finish(&v, &mut cache, &ticket, &[&old, &new], 2, NOW);
    assert!(decision(&second.answer).allow);
    assert_eq!(second.keys, KeyAction::Keep);
}

#[test]
fn a_key_set_that_could_not_be_fetched_asks_for_no_unknown_kid_refetch() {
    let v = verifier();
    let mut cache = VerdictCache::new(8);
    let t = token("k1", SECRET);
    let ticket = fetch(begin(&v, &cache, get("/fhir/Patient/1", Some(&t)), None));
    let gone = KeySet::unavailable(JWKS, "connection refused");
    let outcome = finish(&v, &mut cache, &ticket, &[&gone], 0, NOW);
    assert!(!decision(&outcome.answer).allow);
    assert_eq!(outcome.keys, KeyAction::Keep);
}

#[test]
fn a_form_search_asks_for_its_body_then_begins_again_with_it() {
    let v = verifier();
    let cache = VerdictCache::new(8);
    let t = token("k1", SECRET);
    let mut req = Request::new(
        "POST",
        "/fhir/Observation/_search",
        vec![
            ("Authorization".into(), format!("Bearer {t}")),
            (
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
        ],
    );
    let Step::ReadBody { max_bytes } = begin(&v, &cache, req.clone(), None) else {
        panic!("the body is not asked for");
    };
    assert_eq!(max_bytes, v.policy().request.max_body_bytes);
    fetch(begin(&v, &cache, req.clone(), Some("patient=123".into())));
    // Over the limit: refused without keys.
    req.body = None;
    let Step::Reply(answer) = begin(&v, &cache, req, Some("x".repeat(max_bytes + 1))) else {
        panic!("an oversized body is not refused at once");
    };
    assert_eq!(decision(&answer).status, 400);
}

#[test]
fn introspection_is_another_step_of_the_same_protocol() {
    let v = verifier();
    let mut cache = VerdictCache::new(8);
    let Step::ReadBody { max_bytes } = begin(&v, &cache, introspect_call(), None) else {
        panic!("the introspection body is not asked for");
    };
    assert_eq!(max_bytes, introspection::max_body_bytes(v.policy()));
    let t = token("k1", SECRET);
    let body = format!("token={t}");
    let ticket = fetch(begin(&v, &cache, introspect_call(), Some(body.clone())));
    let keys = set("k1", SECRET);
    let outcome = finish(&v, &mut cache, &ticket, &[&keys], 1, NOW);
    let Answer::Introspection(reply) = &outcome.answer else {
        panic!("not an introspection reply");
    };
    assert_eq!(**reply, {
        let mut call = introspect_call();
        call.body = Some(body.clone());
        let Answer::Introspection(r) = decide(&v, call, &keys, NOW) else {
            panic!("not an introspection reply");
        };
        *r
    });
    assert!(reply.body.contains(r#""active":true"#));
    // A second call with the same token and keys is served by the verdict cache.
    let again = fetch(begin(&v, &cache, introspect_call(), Some(body)));
    finish(&v, &mut cache, &again, &[&keys], 1, NOW);
    assert_eq!(cache.stats(), (1, 1));
}

#[test]
fn a_bad_introspection_call_is_answered_at_once() {
    let v = verifier();
    let cache = VerdictCache::new(8);
    let mut req = introspect_call();
    req.headers.retain(|(n, _)| n != "Authorization");
    let Step::Reply(answer) = begin(&v, &cache, req, Some("token=x".into())) else {
        panic!("an unauthenticated call is not refused at once");
    };
    let Answer::Introspection(reply) = *answer else {
        panic!("not an introspection reply");
    };
    assert_eq!(reply.status, 401);
}

#[test]
fn an_introspected_token_with_an_unknown_kid_asks_for_a_refetch_too() {
    let v = verifier();
    let mut cache = VerdictCache::new(8);
    let t = token("k2", ROTATED);
    let ticket = fetch(begin(
        &v,
        &cache,
        introspect_call(),
        Some(format!("token={t}")),
    ));
    let outcome = finish(&v, &mut cache, &ticket, &[&set("k1", SECRET)], 1, NOW);
    assert!(matches!(outcome.keys, KeyAction::RefetchUnknownKid(_)));
}

#[test]
fn a_new_token_is_decoded_once_and_a_verified_one_not_at_all() {
    let v = verifier();
    let mut cache = VerdictCache::new(8);
    let t = token("k1", SECRET);
    let decoded = |ticket: &Ticket| match &ticket.pending {
        Pending::Guard(g) => g.carries_decoded_token(),
        Pending::Introspection { .. } => panic!("not a guard ticket"),
    };
    let first = fetch(begin(&v, &cache, get("/fhir/Patient/123", Some(&t)), None));
    assert!(
        decoded(&first),
        "decoded for its plan, kept for the signature check"
    );
    let outcome = finish(&v, &mut cache, &first, &[&set("k1", SECRET)], 1, NOW);
    assert!(matches!(outcome.answer, Answer::Decision(ref d) if d.allow));
    let again = fetch(begin(&v, &cache, get("/fhir/Patient/123", Some(&t)), None));
    assert!(
        !decoded(&again),
        "the cached verdict's plan: nothing decoded"
    );
}
