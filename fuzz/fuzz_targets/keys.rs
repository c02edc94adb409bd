//! Bytes as a key set in any format (JWK Set, JWK, PEM, certificate, DER, OpenSSH): reading
//! never panics, and whatever is read can be selected for every algorithm. The same bytes also
//! go through the key-set lifecycle as a host's fetch completion (src/keycache/): the first
//! byte splits off header lines (`Cache-Control`, `Age`, `Expires`, `Date`, …) from the body,
//! which is checked, recorded into a slot and read as a discovery document, never panicking.
#![no_main]

use azlens::keycache::{self, Completion, Discovery, Slot, Timing};
use azlens::{Algorithm, KeySet, Limits, Policy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    completion(data);
    let Ok(set) = KeySet::parse(data, &Limits::default()) else {
        return;
    };
    assert!(set.keys().len() <= Limits::default().max_keys);
    for alg in Algorithm::ALL {
        let _ = set.select(alg, None);
        let _ = set.select(alg, Some("k1"));
    }
});

fn completion(data: &[u8]) {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let (head, body) = rest.split_at(usize::from(split).min(rest.len()));
    let headers = String::from_utf8_lossy(head)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let status = if split % 7 == 0 { 503 } else { 200 };
    let response = Completion::Response {
        status,
        headers,
        body: body.to_vec(),
    };
    let policy = Policy::with_algorithms(&[Algorithm::ES256]);
    let timing = Timing::of(&policy.key_cache);
    let now = 1_800_000_000_000 + u64::from(split) * 1000;
    let url = "https://as.example/jwks";
    let checked = keycache::check(url, &response, now, &timing, &policy.limits);
    let mut slot = Slot::default();
    let result = checked.as_ref().map(|g| &g.fresh).map_err(String::as_str);
    let changed = slot.record(result, Some(now), now, &timing);
    assert_eq!(changed, checked.is_ok(), "a first good fetch is a new generation");
    let again = slot.record(result, None, now + 1, &timing);
    assert!(!again, "the same bytes are the same generation");
    let _ = (slot.serving(now), slot.due(now, true, &timing));
    let mut discovery = Discovery::new("https://as.example");
    let _ = discovery.complete(&policy, &response);
}
