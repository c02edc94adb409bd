use crate::Policy;
use serde_json::json;

fn load(doc: serde_json::Value) -> Result<Policy, crate::PolicyError> {
    let mut p = json!({"algorithms": ["ES256"]});
    for (k, v) in doc.as_object().unwrap() {
        p[k] = v.clone();
    }
    Policy::from_json(&p.to_string())
}

#[test]
fn http_key_urls_are_refused_unless_loopback_and_opted_in() {
    let http = json!({"issuers": [{"issuer": "x", "jwks_uri": "http://127.0.0.1:9/k"}]});
    let e = load(http.clone()).unwrap_err();
    assert_eq!(e.code, "key_set_url_plain_http");
    assert!(
        e.to_string()
            .contains("the \"jwks_uri\" of the issuer \"x\""),
        "{e}"
    );
    assert!(e.to_string().contains("plain http"), "{e}");
    let mut allowed = http;
    allowed["key_cache"] = json!({"allow_loopback_http": true});
    assert!(load(allowed).is_ok());
    let remote = json!({"issuers": [{"issuer": "x", "jwks_uri": "http://10.0.0.1/k"}],
                        "key_cache": {"allow_loopback_http": true}});
    assert_eq!(load(remote).unwrap_err().code, "key_set_url_not_https");
}

#[test]
fn every_fetched_url_is_checked() {
    for (doc, code) in [
        (
            json!({"issuers": [{"issuer": "x", "jku": ["https://ok/k", "ftp://a/k"]}]}),
            "key_set_url_not_https",
        ),
        (
            json!({"issuers": [{"issuer": "x", "crl_urls": ["https://u:p@a/crl"]}]}),
            "key_set_url_malformed",
        ),
        (
            json!({"crl_urls": ["http://ca.example/crl"]}),
            "key_set_url_not_https",
        ),
        (
            json!({"issuers": [{"issuer": "http://as.example", "discovery": true}]}),
            "key_set_url_not_https",
        ),
        (
            json!({"issuers": [{"issuer": "as.example", "discovery": true}]}),
            "key_set_url_malformed",
        ),
    ] {
        assert_eq!(load(doc.clone()).unwrap_err().code, code, "{doc}");
    }
    // An issuer that is not fetched may be any string.
    assert!(load(
        json!({"issuers": [{"issuer": "urn:example:as", "jwks_uri": "https://as.example/jwks"}]})
    )
    .is_ok());
    assert_eq!(
        load(json!({"algorithms": []})).unwrap_err().code,
        "policy_invalid"
    );
}
