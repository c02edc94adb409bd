//! RFC 8693 delegation: `act` (and nested `act`) as a chain in the verdict, and as a
//! `forward.headers` source (`act_chain`, or a dotted path such as `act.sub`).

mod common;

use azlens::guard::forward::headers_to_set;
use azlens::{Algorithm, ErrorCode, Verifier};
use common::{claims, sign, TestKey, NOW};
use serde_json::json;

fn verify(act: serde_json::Value) -> azlens::Verdict {
    let key = TestKey::rsa2048();
    let mut c = claims();
    c["act"] = act;
    let t = sign(
        &json!({"alg": "RS256", "kid": "k1"}),
        &c,
        &key,
        Algorithm::RS256,
    );
    let p = json!({"algorithms": ["RS256"], "audience": common::AUDIENCE,
                   "forward": {"headers": {"x-actors": "act_chain", "x-actor": "act.sub"}}});
    Verifier::from_json(&p.to_string())
        .unwrap()
        .verify(&t, &key.keyset("k1"), NOW)
}

#[test]
fn nested_actors_are_a_chain_in_the_verdict_and_upstream_headers() {
    let v =
        verify(json!({"sub": "https://svc-b.example", "act": {"sub": "https://svc-a.example"}}));
    assert!(v.valid, "{:?}", v.errors);
    let chain = v.context["act_chain"].as_array().unwrap();
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[0]["sub"], "https://svc-b.example");
    assert_eq!(chain[1]["sub"], "https://svc-a.example");
    let forward = Verifier::from_json(
        r#"{"algorithms":["RS256"],"forward":{"headers":{"x-actors":"act_chain","x-actor":"act.sub"}}}"#,
    )
    .unwrap()
    .policy()
    .forward
    .clone();
    let set = headers_to_set(&forward, v.payload.as_ref().unwrap(), None);
    assert!(
        set.contains(&(
            "x-actors".into(),
            "https://svc-b.example, https://svc-a.example".into()
        )),
        "{set:?}"
    );
    assert!(
        set.contains(&("x-actor".into(), "https://svc-b.example".into())),
        "{set:?}"
    );
}

#[test]
fn an_act_that_is_not_an_object_is_refused() {
    let v = verify(json!({"sub": "b", "act": "a"}));
    assert!(v.has(ErrorCode::ClaimInvalid), "{:?}", v.errors);
    assert!(v.errors.iter().any(|e| e
        .message
        .contains("\"act\" at depth 2 is not a JSON object")));
}
