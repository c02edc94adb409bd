//! Bytes into the policy document (`Verifier::from_json`), with all its host sections: token
//! sources, routes, forwarding, key cache, Envoy clusters, introspection. A policy that is
//! accepted must then serve a fixed token and a fixed request without panicking, name its
//! Envoy key sources (or say why not), and give the key cache's schedule.
#![no_main]

use azlens::gate;
use azlens::guard::Request;
use azlens::{key_plan, KeySet, Verifier};
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_795_000_000;
const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL2FzLmV4YW1wbGUiLCJhdWQiOiJodHRwczovL2ZoaXIuZXhhbXBsZSIsImV4cCI6MTc5NTAwMDYwMH0.c2ln";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(verifier) = Verifier::from_json(text) else {
        return;
    };
    let policy = verifier.policy();
    let _ = key_plan(TOKEN, policy);
    let verdict = verifier.verify(TOKEN, &KeySet::new(), NOW);
    assert_eq!(verdict.valid, verdict.errors.is_empty());
    let req = Request::new(
        "GET",
        "/fhir/Patient/123/Observation?code=x&access_token=y",
        vec![
            ("authorization".into(), format!("Bearer {TOKEN}")),
            ("cookie".into(), format!("session={TOKEN}")),
        ],
    );
    if let Some(d) = gate::decide(&verifier, req, &KeySet::new(), NOW).decision() {
        assert_eq!(d.allow, d.status == 200);
    }
    let _ = azlens::envoy::sources::sources(policy);
    let cache = &policy.key_cache;
    let _ = cache.fresh_for(Some("max-age=60"), Some("5"));
    let _ = cache.retry_after_ms(u32::MAX);
    let r = cache.kid_refetch_answered(Default::default(), u64::MAX);
    let _ = cache.kid_refetch_at(r);
});
