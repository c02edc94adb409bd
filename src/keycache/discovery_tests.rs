use super::*;
use serde_json::json;

const ISS: &str = "https://as.example";

fn policy(extra: serde_json::Value) -> Policy {
    let mut p = json!({"algorithms": ["ES256"], "issuers": [{"issuer": ISS, "discovery": true}]});
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    Policy::from_json(&p.to_string()).unwrap()
}

fn doc(v: serde_json::Value) -> Completion {
    Completion::Response {
        status: 200,
        headers: Vec::new(),
        body: v.to_string().into_bytes(),
    }
}

fn status(code: u16) -> Completion {
    Completion::Response {
        status: code,
        headers: Vec::new(),
        body: Vec::new(),
    }
}

#[test]
fn openid_first_then_smart_when_the_first_gets_no_document() {
    let p = policy(json!({}));
    let mut d = Discovery::new("https://as.example/");
    let first = "https://as.example/.well-known/openid-configuration";
    let second = "https://as.example/.well-known/smart-configuration";
    assert_eq!(d.start(&p), DiscoveryStep::Fetch { url: first.into() });
    assert_eq!(
        d.complete(&p, &status(404)),
        DiscoveryStep::Fetch { url: second.into() }
    );
    let found = Discovery::new(ISS);
    let mut found = found;
    found.complete(&p, &Completion::Failed("refused".into()));
    match found.complete(
        &p,
        &doc(json!({"issuer": ISS, "jwks_uri": "https://as.example/jwks"})),
    ) {
        DiscoveryStep::Found(f) => {
            assert_eq!(f.jwks_uri, "https://as.example/jwks");
            assert_eq!(f.document, second);
        }
        other => panic!("{other:?}"),
    }
    // Neither answers: one sentence naming both problems.
    let mut none = Discovery::new(ISS);
    none.complete(&p, &Completion::Failed("refused".into()));
    match none.complete(&p, &status(500)) {
        DiscoveryStep::Failed { problem } => {
            assert!(
                problem.starts_with("refused ") && problem.contains("HTTP 500"),
                "{problem}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_issuer_mismatch_is_refused_and_the_other_document_not_tried() {
    let p = policy(json!({}));
    let mut d = Discovery::new(ISS);
    let step = d.complete(
        &p,
        &doc(json!({"issuer": "https://evil.example", "jwks_uri": "https://evil.example/jwks"})),
    );
    match step {
        DiscoveryStep::Failed { problem } => {
            assert!(
                problem.contains("names the issuer \"https://evil.example\""),
                "{problem}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(d.complete(&p, &status(200)), DiscoveryStep::Failed { .. }),
        "ended"
    );
    // Exactly: a trailing slash is another issuer.
    let mut d = Discovery::new(ISS);
    let step = d.complete(
        &p,
        &doc(json!({"issuer": "https://as.example/", "jwks_uri": "https://as.example/jwks"})),
    );
    assert!(matches!(step, DiscoveryStep::Failed { .. }), "{step:?}");
}

#[test]
fn the_jwks_uri_follows_the_url_rules() {
    let mut d = Discovery::new(ISS);
    let p = policy(json!({}));
    match d.complete(
        &p,
        &doc(json!({"issuer": ISS, "jwks_uri": "http://127.0.0.1:9/jwks"})),
    ) {
        DiscoveryStep::Failed { problem } => {
            assert!(
                problem.contains("unusable jwks_uri") && problem.contains("plain http"),
                "{problem}"
            )
        }
        other => panic!("{other:?}"),
    }
    let loopback = json!({"issuers": [{"issuer": "http://127.0.0.1:9", "discovery": true}],
                         "key_cache": {"allow_loopback_http": true}});
    let p = policy(loopback);
    let mut d = Discovery::new("http://127.0.0.1:9");
    assert!(matches!(d.start(&p), DiscoveryStep::Fetch { .. }));
    let step = d.complete(
        &p,
        &doc(json!({"issuer": "http://127.0.0.1:9", "jwks_uri": "http://127.0.0.1:9/jwks"})),
    );
    assert!(matches!(step, DiscoveryStep::Found(_)), "{step:?}");
    // The issuer's own address is checked before anything is fetched.
    let d = Discovery::new("http://as.example");
    assert!(matches!(
        d.start(&policy(json!({}))),
        DiscoveryStep::Failed { .. }
    ));
}
