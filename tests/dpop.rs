//! Sender-constrained tokens at the gate: DPoP proofs (RFC 9449) and certificate-bound tokens
//! (RFC 8705), attacked one rule at a time. Each refusal names its rule and code.

mod common;

use azlens::dpop::binding::certificate_thumbprint;
use azlens::dpop::proof::access_token_hash;
use azlens::dpop::thumbprint::jwk_thumbprint;
use azlens::gate;
use azlens::guard::{Decision, Request};
use azlens::{Algorithm, KeySet, Verifier};
use common::*;
use serde_json::{json, Value};

const ORIGIN: &str = "https://api.example";
const URL: &str = "https://api.example/fhir/Patient/1";

fn gate(extra: Value) -> Verifier {
    let mut p = policy(&[Algorithm::ES256]);
    p["token"] = json!({"realm": "fhir"});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            p["token"][k] = v;
        }
    }
    verifier(&p)
}

fn keys() -> KeySet {
    TestKey::p256().keyset("k1")
}

/// The client's proof key (the issuer signs with P-256; the client holds a P-384 key).
fn client() -> TestKey {
    TestKey::p384()
}

fn jkt(key: &TestKey) -> String {
    jwk_thumbprint(key.public_jwk().as_object().unwrap()).unwrap()
}

fn access_token(cnf: Value) -> String {
    let mut c = claims();
    c["cnf"] = cnf;
    sign(
        &header(Algorithm::ES256, "k1"),
        &c,
        &TestKey::p256(),
        Algorithm::ES256,
    )
}

fn bound_token() -> String {
    access_token(json!({"jkt": jkt(&client())}))
}

fn proof_claims(token: &str, jti: &str) -> Value {
    json!({"htm": "GET", "htu": URL, "iat": NOW, "jti": jti, "ath": access_token_hash(token)})
}

fn proof_with(header: Value, claims: &Value, key: &TestKey, alg: Algorithm) -> String {
    sign(&header, claims, key, alg)
}

fn proof(token: &str, jti: &str) -> String {
    let key = client();
    let h = json!({"typ": "dpop+jwt", "alg": "ES384", "jwk": key.public_jwk()});
    proof_with(h, &proof_claims(token, jti), &key, Algorithm::ES384)
}

fn request(method: &str, auth: &str, proofs: &[&str]) -> Request {
    let mut headers = vec![("authorization".to_string(), auth.to_string())];
    for p in proofs {
        headers.push(("DPoP".to_string(), p.to_string()));
    }
    let mut r = Request::new(method, "/fhir/Patient/1", headers);
    r.origin = Some(ORIGIN.into());
    r
}

fn run(v: &Verifier, req: &Request) -> Decision {
    let answer = gate::decide(v, req.clone(), &keys(), NOW);
    answer.into_decision().expect("a decision")
}

fn refused(d: &Decision, rule: &str, code: &str) {
    assert!(!d.allow, "{rule}: allowed: {d:?}");
    assert_eq!(d.status, 401, "{rule}");
    assert_eq!(d.log.rule, Some(rule), "{d:?}");
    let body: Value = serde_json::from_str(d.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["errors"][0]["code"], code, "{rule}: {body}");
    assert_eq!(body["rule"], rule);
    assert!(!body["errors"][0]["message"].as_str().unwrap().is_empty());
}

#[test]
fn a_good_proof_passes_once_and_is_not_forwarded() {
    let v = gate(json!({}));
    let token = bound_token();
    let p = proof(&token, "j-1");
    let req = request("GET", &format!("DPoP {token}"), &[&p]);
    let d = run(&v, &req);
    assert!(d.allow, "{d:?}");
    assert!(d.remove_headers.contains(&"dpop".to_string()));
    assert!(d.remove_headers.contains(&"authorization".to_string()));
    // The same proof again: a replay.
    let again = run(&v, &req);
    refused(&again, "dpop.replay", "dpop_proof_invalid");
    let challenge = again.www_authenticate.unwrap();
    assert!(
        challenge.starts_with("DPoP realm=\"fhir\", error=\"invalid_dpop_proof\""),
        "{challenge}"
    );
    assert!(challenge.contains("algs=\"RS256"), "{challenge}");
    let body: Value = serde_json::from_str(again.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["error"], "invalid_dpop_proof");
    // A fresh proof from the same client passes; a clone of the verifier shares the memory.
    assert!(
        run(
            &v,
            &request("GET", &format!("DPoP {token}"), &[&proof(&token, "j-2")])
        )
        .allow
    );
    refused(&run(&v.clone(), &req), "dpop.replay", "dpop_proof_invalid");
}

#[test]
fn proofs_for_another_request_are_refused() {
    let v = gate(json!({}));
    let token = bound_token();
    let auth = format!("DPoP {token}");
    let key = client();
    let h = json!({"typ": "dpop+jwt", "alg": "ES384", "jwk": key.public_jwk()});
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = proof_claims(&token, "j");
        f(&mut c);
        proof_with(h.clone(), &c, &key, Algorithm::ES384)
    };
    let cases: Vec<(String, &str)> = vec![
        (
            with(&|c| c["htu"] = json!("https://api.example/fhir/Patient/2")),
            "dpop.htu",
        ),
        (
            with(&|c| c["htu"] = json!("https://evil.example/fhir/Patient/1")),
            "dpop.htu",
        ),
        (with(&|c| c["htm"] = json!("POST")), "dpop.htm"),
        (with(&|c| c["iat"] = json!(NOW - 3600)), "dpop.iat-stale"),
        (with(&|c| c["iat"] = json!(NOW + 3600)), "dpop.iat-future"),
        (
            with(&|c| c["ath"] = json!(access_token_hash("another token"))),
            "dpop.ath",
        ),
        (with(&|c| c["jti"] = json!("x".repeat(300))), "dpop.jti"),
        (
            with(&|c| {
                c.as_object_mut().unwrap().remove("jti");
            }),
            "dpop.jti",
        ),
        (
            with(&|c| {
                c.as_object_mut().unwrap().remove("ath");
            }),
            "dpop.ath",
        ),
    ];
    for (p, rule) in cases {
        refused(
            &run(&v, &request("GET", &auth, &[&p])),
            rule,
            "dpop_proof_invalid",
        );
    }
    // The htu is compared in the gateway's canonical form: a default port, upper-case host,
    // dot segment, query and fragment change nothing.
    let same = with(&|c| c["htu"] = json!("HTTPS://API.example:443/fhir/./Patient/1?x=1#y"));
    assert!(run(&v, &request("GET", &auth, &[&same])).allow);
}

#[test]
fn proofs_with_bad_keys_or_algorithms_are_refused() {
    let v = gate(json!({}));
    let token = bound_token();
    let auth = format!("DPoP {token}");
    let c = proof_claims(&token, "k");
    let rsa = TestKey::rsa2048();
    // Signed by a key other than the one in its header.
    let other = proof_with(
        json!({"typ": "dpop+jwt", "alg": "RS256", "jwk": rsa.public_jwk()}),
        &c,
        &TestKey::rsa2048b(),
        Algorithm::RS256,
    );
    refused(
        &run(&v, &request("GET", &auth, &[&other])),
        "dpop.signature",
        "dpop_proof_invalid",
    );
    // A private key in the header.
    let mut private = client().public_jwk();
    private["d"] = json!(b64([7u8; 48]));
    let leaked = proof_with(
        json!({"typ": "dpop+jwt", "alg": "ES384", "jwk": private}),
        &c,
        &client(),
        Algorithm::ES384,
    );
    refused(
        &run(&v, &request("GET", &auth, &[&leaked])),
        "dpop.jwk-private",
        "dpop_proof_invalid",
    );
    // An HMAC proof, with the secret in the header.
    let secret = TestKey::hmac(HS256_SECRET);
    let hmac = proof_with(
        json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": secret.public_jwk()}),
        &c,
        &secret,
        Algorithm::HS256,
    );
    refused(
        &run(&v, &request("GET", &auth, &[&hmac])),
        "dpop.alg",
        "dpop_proof_invalid",
    );
    // An oct key under an asymmetric algorithm name.
    let oct = proof_with(
        json!({"typ": "dpop+jwt", "alg": "ES384", "jwk": secret.public_jwk()}),
        &c,
        &client(),
        Algorithm::ES384,
    );
    refused(
        &run(&v, &request("GET", &auth, &[&oct])),
        "dpop.jwk-symmetric",
        "dpop_proof_invalid",
    );
    // No typ, no jwk, an algorithm the policy does not list.
    let key = client();
    let untyped = proof_with(
        json!({"alg": "ES384", "jwk": key.public_jwk()}),
        &c,
        &key,
        Algorithm::ES384,
    );
    refused(
        &run(&v, &request("GET", &auth, &[&untyped])),
        "dpop.typ",
        "dpop_proof_invalid",
    );
    let no_jwk = proof_with(
        json!({"typ": "dpop+jwt", "alg": "ES384"}),
        &c,
        &key,
        Algorithm::ES384,
    );
    refused(
        &run(&v, &request("GET", &auth, &[&no_jwk])),
        "dpop.jwk",
        "dpop_proof_invalid",
    );
    let narrow = gate(json!({"dpop_algorithms": ["ES256"]}));
    refused(
        &run(&narrow, &request("GET", &auth, &[&proof(&token, "n")])),
        "dpop.alg",
        "dpop_proof_invalid",
    );
}

#[test]
fn headers_and_sizes() {
    let v = gate(json!({}));
    let token = bound_token();
    let auth = format!("DPoP {token}");
    let (a, b) = (proof(&token, "h1"), proof(&token, "h2"));
    refused(
        &run(&v, &request("GET", &auth, &[&a, &b])),
        "dpop.header-count",
        "dpop_proof_invalid",
    );
    refused(
        &run(&v, &request("GET", &auth, &[&format!("{a}, {b}")])),
        "dpop.header-count",
        "dpop_proof_invalid",
    );
    refused(
        &run(&v, &request("GET", &auth, &[])),
        "dpop.missing",
        "dpop_proof_invalid",
    );
    let huge = format!("{a}{}", "A".repeat(9000));
    refused(
        &run(&v, &request("GET", &auth, &[&huge])),
        "dpop.too-large",
        "dpop_proof_invalid",
    );
    refused(
        &run(&v, &request("GET", &auth, &["not-a-jws"])),
        "dpop.malformed",
        "dpop_proof_invalid",
    );
    // No origin from the host and none in the policy: the htu cannot be checked.
    let mut blind = request("GET", &auth, &[&a]);
    blind.origin = None;
    refused(
        &run(&v, &blind),
        "dpop.origin-unknown",
        "dpop_proof_invalid",
    );
    let fixed = gate(json!({"public_origin": ORIGIN}));
    assert!(run(&fixed, &blind).allow);
}

#[test]
fn bindings_are_enforced_and_never_downgraded() {
    let v = gate(json!({}));
    // Bound to another key than the proof's.
    let elsewhere = access_token(json!({"jkt": jkt(&TestKey::ed25519())}));
    let d = run(
        &v,
        &request(
            "GET",
            &format!("DPoP {elsewhere}"),
            &[&proof(&elsewhere, "b1")],
        ),
    );
    refused(&d, "dpop.jkt", "token_binding_mismatch");
    assert!(d
        .www_authenticate
        .unwrap()
        .contains("error=\"invalid_token\""));
    // A bound token sent as Bearer, with or without the proof.
    let token = bound_token();
    for proofs in [vec![], vec![proof(&token, "b2")]] {
        let p: Vec<&str> = proofs.iter().map(String::as_str).collect();
        refused(
            &run(&v, &request("GET", &format!("Bearer {token}"), &p)),
            "dpop.bearer-downgrade",
            "token_binding_mismatch",
        );
    }
    // An unbound token with the DPoP scheme.
    let plain = access_token(json!({}));
    refused(
        &run(
            &v,
            &request("GET", &format!("DPoP {plain}"), &[&proof(&plain, "b3")]),
        ),
        "dpop.unbound-token",
        "token_binding_mismatch",
    );
}

#[test]
fn modes() {
    let plain = access_token(json!({}));
    let bearer = request("GET", &format!("Bearer {plain}"), &[]);
    assert!(
        run(&gate(json!({})), &bearer).allow,
        "allowed: plain bearer tokens pass"
    );
    refused(
        &run(&gate(json!({"dpop": "required"})), &bearer),
        "dpop.required",
        "dpop_proof_invalid",
    );
    let off = gate(json!({"dpop": "off"}));
    let token = bound_token();
    let d = run(
        &off,
        &request("GET", &format!("DPoP {token}"), &[&proof(&token, "m1")]),
    );
    assert_eq!(
        (d.allow, d.status),
        (false, 401),
        "off: the DPoP scheme is not read"
    );
    assert!(run(&off, &request("GET", &format!("Bearer {token}"), &[])).allow);
    for bad in [
        json!({"dpop_algorithms": ["HS256"]}),
        json!({"dpop_max_age": 0}),
        json!({"dpop": "sometimes"}),
        json!({"public_origin": "https://api.example/fhir"}),
    ] {
        let mut p = policy(&[Algorithm::ES256]);
        p["token"] = bad.clone();
        assert!(Verifier::from_json(&p.to_string()).is_err(), "{bad}");
    }
}

#[test]
fn certificate_bound_tokens_need_their_certificate() {
    let v = gate(json!({}));
    let cert_hex = "a".repeat(64);
    let x5t = certificate_thumbprint(&cert_hex).unwrap();
    let token = access_token(json!({"x5t#S256": x5t}));
    let mut req = request("GET", &format!("Bearer {token}"), &[]);
    refused(
        &run(&v, &req),
        "mtls.no-certificate",
        "token_binding_mismatch",
    );
    req.client_cert_sha256 = Some("b".repeat(64));
    let d = run(&v, &req);
    refused(&d, "mtls.x5t", "token_binding_mismatch");
    assert!(d
        .www_authenticate
        .unwrap()
        .starts_with("Bearer realm=\"fhir\", error=\"invalid_token\""));
    for spelling in [
        cert_hex.clone(),
        cert_hex.to_uppercase(),
        x5t.clone(),
        vec!["aa"; 32].join(":"),
    ] {
        req.client_cert_sha256 = Some(spelling.clone());
        assert!(run(&v, &req).allow, "{spelling}");
    }
}

#[test]
fn server_nonces_are_asked_for_and_accepted() {
    let secret = "a nonce secret of at least thirty-two bytes";
    let v = gate(json!({"dpop_nonce_secret": secret}));
    let token = bound_token();
    let auth = format!("DPoP {token}");
    // Without a nonce: 401 use_dpop_nonce, with the nonce to use.
    let d = run(&v, &request("GET", &auth, &[&proof(&token, "n1")]));
    refused(&d, "dpop.nonce", "dpop_proof_invalid");
    let challenge = d.www_authenticate.clone().unwrap();
    assert!(
        challenge.starts_with("DPoP realm=\"fhir\", error=\"use_dpop_nonce\""),
        "{challenge}"
    );
    let (name, nonce) = d
        .response_headers
        .iter()
        .find(|(n, _)| n == "dpop-nonce")
        .unwrap()
        .clone();
    assert_eq!(name, "dpop-nonce");
    let key = client();
    let with_nonce = |jti: &str, n: &str| {
        let mut c = proof_claims(&token, jti);
        c["nonce"] = json!(n);
        proof_with(
            json!({"typ": "dpop+jwt", "alg": "ES384", "jwk": key.public_jwk()}),
            &c,
            &key,
            Algorithm::ES384,
        )
    };
    let ok = run(&v, &request("GET", &auth, &[&with_nonce("n2", &nonce)]));
    assert!(ok.allow, "{ok:?}");
    assert!(ok.response_headers.iter().any(|(n, _)| n == "dpop-nonce"));
    refused(
        &run(&v, &request("GET", &auth, &[&with_nonce("n3", "made-up")])),
        "dpop.nonce",
        "dpop_proof_invalid",
    );
    let mut p = policy(&[Algorithm::ES256]);
    p["token"] = json!({"dpop_nonce_secret": "short"});
    assert!(Verifier::from_json(&p.to_string()).is_err());
}

#[test]
fn refusals_of_dpop_requests_use_the_dpop_challenge() {
    let v = gate(json!({}));
    let mut c = claims();
    c["exp"] = json!(NOW - 3600);
    c["cnf"] = json!({"jkt": jkt(&client())});
    let expired = sign(
        &header(Algorithm::ES256, "k1"),
        &c,
        &TestKey::p256(),
        Algorithm::ES256,
    );
    let d = run(
        &v,
        &request("GET", &format!("DPoP {expired}"), &[&proof(&expired, "c1")]),
    );
    let challenge = d.www_authenticate.unwrap();
    assert!(
        challenge.starts_with("DPoP realm=\"fhir\", error=\"invalid_token\""),
        "{challenge}"
    );
    assert!(
        challenge.ends_with("algs=\"RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA\""),
        "{challenge}"
    );
    // No token where DPoP is required: a DPoP challenge naming the algorithms; where it is only
    // allowed, the bearer challenge stays as it was.
    let mut none = Request::new("GET", "/fhir/Patient/1", vec![]);
    none.origin = Some(ORIGIN.into());
    let required = run(&gate(json!({"dpop": "required"})), &none);
    assert_eq!(
        required.www_authenticate.as_deref(),
        Some("DPoP realm=\"fhir\", algs=\"RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA\"")
    );
    assert_eq!(
        run(&v, &none).www_authenticate.as_deref(),
        Some("Bearer realm=\"fhir\"")
    );
}
