//! Bytes into every verification entry point. The first byte picks the route:
//! 0 — the rest as a compact token, through `token::parse`, `Verifier::verify` and `key_plan`;
//! 1 — the rest split at the first NUL into header and payload JSON, given a valid HS256 MAC,
//!     so claim and header rules run on arbitrary JSON behind a good signature;
//! 2 — the rest as a key set, then a fixed token verified with it;
//! 3 — the rest as a policy document, then a fixed token verified under it.
#![no_main]

use azlens::{key_plan, token, KeySet, Limits, Verifier};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{KeyInit, Mac};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const SECRET: &[u8] = b"azlens-fuzz-hs256-secret-32bytes";
const NOW: i64 = 1_795_000_000;

struct Fixed {
    verifier: Verifier,
    keys: KeySet,
    token: String,
}

fn fixed() -> &'static Fixed {
    static F: OnceLock<Fixed> = OnceLock::new();
    F.get_or_init(|| {
        let verifier = Verifier::from_json(
            r#"{"algorithms":["HS256","ES256","RS256","EdDSA"],"typ":"JWT","max_token_age":3600,
                "max_lifetime":86400,"required_claims":["jti"],"crit":["urn:x"],
                "issuers":[{"issuer":"https://as.example","audience":"https://fhir.example",
                            "jku":["https://as.example/jwks"]}]}"#,
        )
        .expect("fuzz policy");
        let jwks = format!(
            r#"{{"keys":[{{"kty":"oct","kid":"k1","k":"{}"}}]}}"#,
            URL_SAFE_NO_PAD.encode(SECRET)
        );
        let keys = KeySet::parse(jwks.as_bytes(), &Limits::default()).expect("fuzz keys");
        let token = signed(
            br#"{"alg":"HS256","kid":"k1","typ":"JWT"}"#,
            br#"{"iss":"https://as.example","aud":"https://fhir.example","exp":1795000600,"iat":1794999990,"jti":"j"}"#,
        );
        assert!(verifier.verify(&token, &keys, NOW).valid);
        Fixed { verifier, keys, token }
    })
}

fn signed(header: &[u8], payload: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(SECRET).expect("key");
    mac.update(input.as_bytes());
    let tag = mac.finalize().into_bytes();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag))
}

fuzz_target!(|data: &[u8]| {
    let Some((&route, rest)) = data.split_first() else {
        return;
    };
    let f = fixed();
    match route % 4 {
        0 => {
            let text = String::from_utf8_lossy(rest);
            let _ = token::parse(&text, &Limits::default());
            let verdict = f.verifier.verify(&text, &f.keys, NOW);
            let _ = serde_json::to_string(&verdict);
            let _ = key_plan(&text, f.verifier.policy());
        }
        1 => {
            let split = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            let (header, payload) = rest.split_at(split);
            let payload = payload.get(1..).unwrap_or_default();
            let t = signed(header, payload);
            let verdict = f.verifier.verify(&t, &f.keys, NOW);
            // A verdict is valid exactly when it lists no errors.
            assert_eq!(verdict.valid, verdict.errors.is_empty());
            let _ = serde_json::to_string(&verdict);
        }
        2 => {
            if let Ok(keys) = KeySet::parse(rest, &Limits::default()) {
                let _ = f.verifier.verify(&f.token, &keys, NOW);
            }
        }
        _ => {
            if let Ok(text) = std::str::from_utf8(rest) {
                if let Ok(v) = Verifier::from_json(text) {
                    let _ = v.verify(&f.token, &f.keys, NOW);
                    let _ = key_plan(&f.token, v.policy());
                }
            }
        }
    }
});
