//! Bytes into the inspector (`report::inspect_json`), which reads anything a person pastes:
//! JWS, JWE, SAML, opaque strings. The first eight bytes are `now`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (now, rest) = match data.split_first_chunk::<8>() {
        Some((n, rest)) => (i64::from_le_bytes(*n), rest),
        None => (1_795_000_000, data),
    };
    let text = String::from_utf8_lossy(rest);
    let json = azlens::report::inspect_json(&text, now);
    assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
});
