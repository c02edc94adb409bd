//! `x5c` certificate chains to the policy's trust anchors: good chains (ECDSA and RSA-PSS
//! signatures, intermediates, CRLs) and every broken chain the checks exist for. The
//! certificates are fixtures made by `tests/fixtures/x509/regenerate.sh` (openssl).

mod common;

use azlens::{Algorithm, ErrorCode, KeySet, Verdict, Verifier};
use common::{fixture_str, pem_body, TestKey, NOW};
use serde_json::{json, Value};

const CLIENT: &str = "https://client.example/udap";

fn cert(name: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .encode(pem_body(&fixture_str(&format!("x509/{name}.pem"))))
}

fn policy(extra: Value) -> Verifier {
    let mut p = json!({
        "algorithms": ["ES256", "RS256"],
        "audience": "https://as.example/token",
        "trust_anchors": [fixture_str("x509/root.pem")],
        "crls": [fixture_str("x509/crl-root.pem"), fixture_str("x509/crl-int.pem")],
    });
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    Verifier::from_json(&p.to_string()).expect("policy")
}

fn claims(iss: &str) -> Value {
    json!({
        "iss": iss, "sub": iss, "aud": "https://as.example/token",
        "iat": NOW - 10, "exp": NOW + 240, "jti": "udap-1",
    })
}

fn token(key: &str, chain: &[&str], iss: &str) -> String {
    let signer = TestKey::x509(key);
    let alg = signer.alg();
    let x5c: Vec<String> = chain.iter().map(|c| cert(c)).collect();
    common::sign(
        &json!({"alg": alg.name(), "typ": "JWT", "x5c": x5c}),
        &claims(iss),
        &signer,
        alg,
    )
}

fn verify(v: &Verifier, t: &str) -> Verdict {
    v.verify(t, &KeySet::new(), NOW)
}

fn chain_error(v: &Verdict) -> String {
    assert!(!v.valid, "expected a refusal: {v:?}");
    let e = v.errors.iter().find(|e| e.code == ErrorCode::ChainInvalid);
    e.unwrap_or_else(|| panic!("no chain_invalid in {:?}", v.errors))
        .message
        .clone()
}

#[test]
fn a_chain_through_an_intermediate_verifies_with_the_leaf_key() {
    let v = verify(&policy(json!({})), &token("leaf", &["leaf", "int"], CLIENT));
    assert!(v.valid, "{:?}", v.errors);
    assert_eq!(v.key.as_ref().unwrap().alg, Algorithm::ES256);
    let chain = v.chain.as_ref().unwrap();
    assert_eq!(chain.revocation, "checked");
    let roles: Vec<_> = chain.certificates.iter().map(|c| c.role).collect();
    assert_eq!(roles, ["leaf", "intermediate", "anchor"]);
    assert_eq!(chain.certificates[0].san_uris, [CLIENT]);
    assert!(chain.certificates.iter().all(|c| c.status == "ok"));
    // The report shows it for people.
    let text = serde_json::to_string(&v).unwrap();
    assert!(text.contains("CN=Test Intermediate CA"), "{text}");
}

#[test]
fn an_rsa_leaf_signed_with_rsassa_pss_by_the_root_verifies() {
    let v = verify(
        &policy(json!({})),
        &token("leaf-rsa", &["leaf-rsa"], "https://rsa-client.example"),
    );
    assert!(v.valid, "{:?}", v.errors);
    assert_eq!(v.key.as_ref().unwrap().alg, Algorithm::RS256);
    let chain = v.chain.unwrap();
    assert_eq!(
        chain.certificates[0].signature_algorithm,
        "RSASSA-PSS (SHA-256)"
    );
}

#[test]
fn the_anchor_may_end_the_x5c_list() {
    let v = verify(
        &policy(json!({})),
        &token("leaf", &["leaf", "int", "root"], CLIENT),
    );
    assert!(v.valid, "{:?}", v.errors);
}

#[test]
fn without_trust_anchors_x5c_is_no_key_source() {
    let p = Verifier::from_json(r#"{"algorithms": ["ES256"]}"#).unwrap();
    let v = verify(&p, &token("leaf", &["leaf", "int"], CLIENT));
    assert!(!v.valid);
    assert!(v.has(ErrorCode::KeySourceNotAllowed), "{:?}", v.errors);
    assert!(v
        .errors
        .iter()
        .any(|e| e.claim.as_deref() == Some("header.x5c") && e.message.contains("trust_anchors")));
    assert!(v.chain.is_none());
}

#[test]
fn an_expired_leaf_is_refused() {
    let m = chain_error(&verify(
        &policy(json!({})),
        &token("leaf-expired", &["leaf-expired", "int"], CLIENT),
    ));
    assert!(m.contains("expired at 2021-01-01T00:00:00Z"), "{m}");
}

#[test]
fn a_chain_to_another_anchor_is_refused() {
    let m = chain_error(&verify(
        &policy(json!({})),
        &token("leaf-other", &["leaf-other", "other-root"], CLIENT),
    ));
    assert!(m.contains("self-signed CN=Other Root CA"), "{m}");
    assert!(m.contains("not one of the policy's trust anchors"), "{m}");
}

#[test]
fn a_missing_intermediate_is_named() {
    let m = chain_error(&verify(
        &policy(json!({})),
        &token("leaf", &["leaf"], CLIENT),
    ));
    assert!(
        m.contains("no trust anchor or x5c certificate is named CN=Test Intermediate CA"),
        "{m}"
    );
}

#[test]
fn a_certificate_that_is_not_a_ca_cannot_issue() {
    let v = policy(
        json!({"crls": [fixture_str("x509/crl-root.pem"), fixture_str("x509/crl-notca.pem")]}),
    );
    let m = chain_error(&verify(
        &v,
        &token("leaf-notca", &["leaf-notca", "notca"], CLIENT),
    ));
    assert!(
        m.contains("CN=Test Not A CA, O=azlens test issued a certificate but is not a CA"),
        "{m}"
    );
}

#[test]
fn a_path_longer_than_the_path_length_constraint_is_refused() {
    let m = chain_error(&verify(
        &policy(json!({})),
        &token("leaf-sub", &["leaf-sub", "sub", "int"], CLIENT),
    ));
    assert!(
        m.contains("CN=Test Intermediate CA, O=azlens test allows 0 intermediate CA"),
        "{m}"
    );
}

#[test]
fn a_chain_longer_than_the_limit_is_refused_before_work() {
    let v = policy(json!({"limits": {"max_chain_length": 2}}));
    let m = chain_error(&verify(
        &v,
        &token("leaf-sub", &["leaf-sub", "sub", "int"], CLIENT),
    ));
    assert!(m.contains("over limits.max_chain_length (2)"), "{m}");
}

#[test]
fn a_certificate_with_a_bad_signature_is_refused() {
    use base64::Engine;
    let std = base64::engine::general_purpose::STANDARD;
    let mut der = pem_body(&fixture_str("x509/leaf.pem"));
    let last = der.len() - 3;
    der[last] ^= 0x01; // inside the ECDSA signature's s
    let signer = TestKey::x509("leaf");
    let t = common::sign(
        &json!({"alg": "ES256", "x5c": [std.encode(&der), cert("int")]}),
        &claims(CLIENT),
        &signer,
        Algorithm::ES256,
    );
    let m = chain_error(&verify(&policy(json!({})), &t));
    assert!(m.contains("does not verify"), "{m}");
}

#[test]
fn a_token_signed_by_another_key_than_the_leaf_is_refused() {
    let signer = TestKey::x509("leaf-other");
    let t = common::sign(
        &json!({"alg": "ES256", "x5c": [cert("leaf"), cert("int")]}),
        &claims(CLIENT),
        &signer,
        Algorithm::ES256,
    );
    let v = verify(&policy(json!({})), &t);
    assert!(v.has(ErrorCode::SignatureInvalid), "{:?}", v.errors);
    assert!(v.chain.unwrap().valid);
}

#[test]
fn a_loop_is_detected() {
    let m = chain_error(&verify(
        &policy(json!({})),
        &token("leaf-loop", &["leaf-loop", "loop-a2", "loop-b"], CLIENT),
    ));
    assert!(m.contains("the chain loops"), "{m}");
}

#[test]
fn a_revoked_certificate_is_refused() {
    let m = chain_error(&verify(
        &policy(json!({})),
        &token("leaf-revoked", &["leaf-revoked", "int"], CLIENT),
    ));
    assert!(
        m.contains("CN=Test Revoked Client, O=azlens test was revoked"),
        "{m}"
    );
}

#[test]
fn unknown_revocation_status_is_refused_when_required() {
    for crls in [
        json!([fixture_str("x509/crl-root.pem")]),
        json!([
            fixture_str("x509/crl-root.pem"),
            fixture_str("x509/crl-int-stale.pem")
        ]),
    ] {
        let m = chain_error(&verify(
            &policy(json!({"crls": crls})),
            &token("leaf", &["leaf", "int"], CLIENT),
        ));
        assert!(
            m.contains("revocation status of CN=Test UDAP Client, O=azlens test is unknown"),
            "{m}"
        );
    }
}

#[test]
fn best_effort_revocation_accepts_with_a_warning() {
    let v = verify(
        &policy(json!({"crls": [], "revocation": "best_effort"})),
        &token("leaf", &["leaf", "int"], CLIENT),
    );
    assert!(v.valid, "{:?}", v.errors);
    assert!(v
        .warnings
        .iter()
        .any(|w| w.code == "certificate_revocation_not_checked"));
    assert_eq!(v.chain.unwrap().revocation, "not_checked");
}

#[test]
fn an_issuers_own_anchors_replace_the_policys() {
    let v = policy(
        json!({"issuers": [{"issuer": CLIENT, "trust_anchors": fixture_str("x509/other-root.pem")}]}),
    );
    let m = chain_error(&verify(&v, &token("leaf", &["leaf", "int"], CLIENT)));
    assert!(
        m.contains("no trust anchor or x5c certificate is named CN=Test Root CA"),
        "{m}"
    );
}

#[test]
fn garbage_in_x5c_or_trust_anchors_is_an_error_never_a_panic() {
    let signer = TestKey::x509("leaf");
    for x5c in [
        json!(["AAAA"]),
        json!(["not base64!"]),
        json!([]),
        Value::Array(vec![json!(cert("leaf")); 9]),
    ] {
        let t = common::sign(
            &json!({"alg": "ES256", "x5c": x5c}),
            &claims(CLIENT),
            &signer,
            Algorithm::ES256,
        );
        let v = verify(&policy(json!({})), &t);
        assert!(v.has(ErrorCode::ChainInvalid), "{x5c}: {:?}", v.errors);
    }
    for anchors in [
        json!("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
        json!(42),
        json!(["nope"]),
    ] {
        let p = json!({"algorithms": ["ES256"], "trust_anchors": anchors});
        let e = Verifier::from_json(&p.to_string()).unwrap_err();
        assert!(e.message.contains("trust_anchors"), "{e}");
    }
}

/// CRLs fetched by a host (the key plan's `crl` sources, `crl_urls` in the policy) arrive as a
/// key-set document, PEM or DER, and count like the policy's own `crls`.
#[test]
fn crls_fetched_like_key_sets_make_the_revocation_status_known() {
    let v = policy(json!({"crls": [fixture_str("x509/crl-root.pem")]}));
    let t = token("leaf", &["leaf", "int"], CLIENT);
    // Without the intermediate's CRL the status is unknown, so the chain is refused.
    assert!(chain_error(&verify(&v, &t)).contains("is unknown"));
    // The host fetched it: PEM …
    let pem = fixture_str("x509/crl-int.pem");
    let fetched = KeySet::parse(pem.as_bytes(), &azlens::Limits::default()).expect("a CRL");
    assert!(fetched.is_empty());
    assert_eq!(fetched.crls().len(), 1);
    let verdict = v.verify(&t, &fetched, NOW);
    assert!(verdict.valid, "{:?}", verdict.errors);
    assert_eq!(verdict.chain.unwrap().revocation, "checked");
    // … or DER (application/pkix-crl), merged with another source's keys.
    let der = KeySet::parse(&pem_body(&pem), &azlens::Limits::default()).expect("a DER CRL");
    let mut union = KeySet::parse(
        fixture_str("x509/root.pem").as_bytes(),
        &azlens::Limits::default(),
    )
    .unwrap();
    union.extend(der);
    assert!(v.verify(&t, &union, NOW).valid);
    // A revoked leaf stays revoked when its CRL comes that way.
    let revoked = token("leaf-revoked", &["leaf-revoked", "int"], CLIENT);
    assert!(chain_error(&v.verify(&revoked, &fetched, NOW)).contains("revoked"));
}
