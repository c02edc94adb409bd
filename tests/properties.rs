//! Property tests: parsing and verification never panic on any input, and a correctly signed
//! token with any single character changed never verifies. Case counts are modest so the suite
//! runs in seconds in a debug build.

mod common;

use azlens::{key_plan, token, Algorithm, KeySet, Limits, Policy, Verifier};
use common::*;
use proptest::prelude::*;
use serde_json::json;
use std::sync::OnceLock;

/// Tokens signed once (RSA signing is slow in debug), with the keys that verify them.
struct Fixture {
    verifier: Verifier,
    policy: Policy,
    keys: KeySet,
    tokens: Vec<String>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let signers = [
            (TestKey::hmac(HS256_SECRET), Algorithm::HS256),
            (TestKey::p256(), Algorithm::ES256),
            (TestKey::p384(), Algorithm::ES384),
            (TestKey::ed25519(), Algorithm::EdDSA),
            (TestKey::rsa2048(), Algorithm::RS256),
            (TestKey::rsa2048(), Algorithm::PS256),
        ];
        let mut keys = KeySet::new();
        let mut tokens = Vec::new();
        for (i, (key, alg)) in signers.iter().enumerate() {
            let kid = format!("k{i}");
            keys.extend(key.keyset(&kid));
            tokens.push(sign(&header(*alg, &kid), &claims(), key, *alg));
        }
        let algs: Vec<Algorithm> = signers.iter().map(|(_, a)| *a).collect();
        let p = policy(&algs);
        let verifier = verifier(&p);
        for t in &tokens {
            assert!(verifier.verify(t, &keys, NOW).valid, "fixture token {t}");
        }
        Fixture {
            verifier,
            policy: Policy::from_json(&p.to_string()).unwrap(),
            keys,
            tokens,
        }
    })
}

/// Strings shaped like tokens: base64url characters and dots.
fn token_like() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_=+/.-]{0,300}"
}

/// JSON-ish text that often gets past the first character.
fn json_like() -> impl Strategy<Value = String> {
    prop_oneof![
        r#"\{("[a-z]{1,4}":(-?[0-9]{1,20}(\.[0-9]{1,5})?(e-?[0-9]{1,3})?|"[^"\\]{0,8}"|true|null|\[|\{),?){0,6}\}?"#,
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in prop_oneof![any::<String>(), token_like()]) {
        let f = fixture();
        let _ = token::parse(&text, &Limits::default());
        let verdict = f.verifier.verify(&text, &f.keys, NOW);
        prop_assert!(!verdict.valid);
        prop_assert!(!verdict.errors.is_empty());
        let _ = key_plan(&text, &f.policy);
        let _ = serde_json::to_string(&verdict).unwrap();
    }

    /// The inspector reads anything pasted into it and always answers with JSON.
    #[cfg(feature = "report")]
    #[test]
    fn inspector_never_panics(text in prop_oneof![any::<String>(), token_like(), json_like().prop_map(|j| format!("{}.{}.", b64(r#"{"alg":"HS256"}"#), b64(j)))], now in any::<i64>()) {
        let json = azlens::report::inspect_json(&text, now);
        prop_assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
    }

    #[test]
    fn arbitrary_key_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = KeySet::parse(&bytes, &Limits::default());
    }

    #[test]
    fn arbitrary_key_text_never_panics(text in prop_oneof![
        any::<String>(),
        json_like(),
        "(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp256) [A-Za-z0-9+/=]{0,120}",
        "-----BEGIN (PUBLIC KEY|CERTIFICATE|RSA PUBLIC KEY)-----\n[A-Za-z0-9+/=\n]{0,200}\n-----END (PUBLIC KEY|CERTIFICATE|RSA PUBLIC KEY)-----",
    ]) {
        let _ = KeySet::parse(text.as_bytes(), &Limits::default());
    }

    #[test]
    fn arbitrary_header_and_payload_json_never_panic(h in json_like(), p in json_like(), sig in proptest::collection::vec(any::<u8>(), 0..80)) {
        let f = fixture();
        let t = format!("{}.{}.{}", b64(&h), b64(&p), b64(&sig));
        let verdict = f.verifier.verify(&t, &f.keys, NOW);
        prop_assert!(!verdict.valid);
    }

    /// Signed, well-formed tokens with arbitrary claim values: verification never panics and
    /// is deterministic.
    #[test]
    fn signed_arbitrary_claims_never_panic(
        exp in prop_oneof![any::<i64>().prop_map(|v| json!(v)), any::<f64>().prop_map(|v| json!(v)), any::<String>().prop_map(|v| json!(v))],
        aud in prop_oneof![Just(json!(AUDIENCE)), any::<String>().prop_map(|v| json!([v]))],
        now in any::<i64>(),
    ) {
        let key = TestKey::hmac(HS256_SECRET);
        let mut c = claims();
        c["exp"] = exp;
        c["aud"] = aud;
        let t = sign(&header(Algorithm::HS256, "k0"), &c, &key, Algorithm::HS256);
        let f = fixture();
        let a = f.verifier.verify(&t, &f.keys, now);
        let b = f.verifier.verify(&t, &f.keys, now);
        prop_assert_eq!(serde_json::to_value(&a).unwrap(), serde_json::to_value(&b).unwrap());
        // The signature itself is always fine here.
        prop_assert!(!a.has(azlens::ErrorCode::SignatureInvalid));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// Any one character of a valid token replaced by any other character: never valid.
    #[test]
    fn one_changed_character_never_verifies(which in 0usize..6, at in any::<prop::sample::Index>(), with in any::<char>()) {
        let f = fixture();
        let token = &f.tokens[which];
        let pos = at.index(token.len());
        let old = token.as_bytes()[pos] as char;
        prop_assume!(with != old);
        let mut changed = String::with_capacity(token.len() + 4);
        changed.push_str(&token[..pos]);
        changed.push(with);
        changed.push_str(&token[pos + 1..]);
        let verdict = f.verifier.verify(&changed, &f.keys, NOW);
        prop_assert!(!verdict.valid, "changed {:?} at {} to {:?}: {}", old, pos, with, changed);
    }

    /// One bit of the decoded header, payload or signature flipped and re-encoded (so the
    /// base64url stays valid): never valid.
    #[test]
    fn one_flipped_bit_never_verifies(which in 0usize..6, segment in 0usize..3, at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let f = fixture();
        let token = &f.tokens[which];
        let mut parts: Vec<Vec<u8>> = token.split('.').map(|s| azlens::token::base64url::decode(s).unwrap()).collect();
        let seg = &mut parts[segment];
        let i = at.index(seg.len());
        seg[i] ^= 1 << bit;
        let changed = parts.iter().map(b64).collect::<Vec<_>>().join(".");
        let verdict = f.verifier.verify(&changed, &f.keys, NOW);
        prop_assert!(!verdict.valid, "segment {} byte {} bit {}", segment, i, bit);
    }
}
