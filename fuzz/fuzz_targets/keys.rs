//! Bytes as a key set in any format (JWK Set, JWK, PEM, certificate, DER, OpenSSH): reading
//! never panics, and whatever is read can be selected for every algorithm.
#![no_main]

use azlens::{Algorithm, KeySet, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(set) = KeySet::parse(data, &Limits::default()) else {
        return;
    };
    assert!(set.keys().len() <= Limits::default().max_keys);
    for alg in Algorithm::ALL {
        let _ = set.select(alg, None);
        let _ = set.select(alg, Some("k1"));
    }
});
