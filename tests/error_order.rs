//! The most decisive error comes first: hosts put the first error in RFC 6750 challenges and log
//! lines, so it must be the cause, not a consequence.

mod profiles_support;

use profiles_support::*;
use serde_json::json;

#[test]
fn a_token_from_another_issuer_says_so_before_the_key_error() {
    let v = verifier(json!({
        "algorithms": ["ES256"],
        "issuers": [{"issuer": "https://as.example", "audience": "https://fhir.example"}]
    }));
    let token = sign(
        json!({"alg": "ES256", "kid": "other-as-key"}),
        json!({"iss": "https://other.example", "aud": "https://fhir.example", "sub": "u", "exp": NOW + 60}),
    );
    let verdict = v.verify(&token, &key_set(&[("ES256", "as-key")]), NOW);
    let codes: Vec<&str> = verdict.errors.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(codes, ["issuer_mismatch", "key_not_found"]);
}
