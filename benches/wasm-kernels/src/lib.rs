//! Bare wasm32 exports for timing azlens's signature checks from Node without any JS glue.
//!
//! Protocol (all through one byte buffer the host writes into):
//! 1. `input(len)` returns the address of a `len`-byte buffer in linear memory; the host copies
//!    bytes there.
//! 2. `load_key()` parses the buffer as a key set (JWK/JWKS/PEM) and keeps its first key;
//!    `load_message()` / `load_signature()` / `load_token()` keep a copy of the buffer.
//! 3. `verify(alg, n)` checks the kept signature `n` times and returns how many were valid;
//!    `verify_token(alg, n)` runs the whole `Verifier::verify` on the kept token `n` times.
//!
//! No `unsafe` blocks: the host writes into a `Vec` whose address Rust handed out. (The only
//! thing the `unsafe_code` lint would flag here is `#[no_mangle]` on the exports themselves.)

use azlens::keys::KeyMaterial;
use azlens::{Algorithm, KeySet, Limits, Verifier};
use std::cell::RefCell;

#[derive(Default)]
struct State {
    input: Vec<u8>,
    key_document: Vec<u8>,
    key: Option<KeyMaterial>,
    keys: Option<KeySet>,
    message: Vec<u8>,
    signature: Vec<u8>,
    token: String,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Algorithm codes used by bench.mjs (the order of `Algorithm::ALL`).
fn algorithm(code: u32) -> Option<Algorithm> {
    Algorithm::ALL.get(code as usize).copied()
}

#[no_mangle]
pub extern "C" fn input(len: u32) -> u32 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.input = vec![0; len as usize];
        s.input.as_mut_ptr() as usize as u32
    })
}

/// 1 if the buffer held a usable key, 0 otherwise.
#[no_mangle]
pub extern "C" fn load_key() -> u32 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.key_document = s.input.clone();
        match KeySet::parse(&s.input, &Limits::default()) {
            Ok(set) => {
                s.key = set.keys().first().map(|k| k.material.clone());
                let ok = s.key.is_some();
                s.keys = Some(set);
                u32::from(ok)
            }
            Err(_) => 0,
        }
    })
}

#[no_mangle]
pub extern "C" fn load_message() {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.message = s.input.clone();
    })
}

#[no_mangle]
pub extern "C" fn load_signature() {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.signature = s.input.clone();
    })
}

#[no_mangle]
pub extern "C" fn load_token() {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.token = String::from_utf8_lossy(&s.input).into_owned();
    })
}

/// Signature check only (`azlens::alg::verify`), `n` times; returns the number that passed.
#[no_mangle]
pub extern "C" fn verify(alg: u32, n: u32) -> u32 {
    let Some(alg) = algorithm(alg) else { return 0 };
    STATE.with(|s| {
        let s = s.borrow();
        let Some(key) = &s.key else { return 0 };
        (0..n)
            .filter(|_| azlens::alg::verify(alg, key, &s.message, &s.signature).is_ok())
            .count() as u32
    })
}

/// The whole token check (parse, header rules, key choice, signature, claims), `n` times.
#[no_mangle]
pub extern "C" fn verify_token(alg: u32, n: u32, now: u32) -> u32 {
    let Some(alg) = algorithm(alg) else { return 0 };
    let policy = format!(
        r#"{{"algorithms":["{}"],"issuers":[{{"issuer":"https://as.example","audience":"https://fhir.example"}}]}}"#,
        alg.name()
    );
    let Ok(verifier) = Verifier::from_json(&policy) else { return 0 };
    STATE.with(|s| {
        let s = s.borrow();
        let Some(keys) = &s.keys else { return 0 };
        (0..n)
            .filter(|_| verifier.verify(&s.token, keys, i64::from(now)).valid)
            .count() as u32
    })
}

/// The RSA kernel alone (RSAVP1, no hashing or padding check), `n` times; returns the number of
/// results whose last byte matched the first run's (a cheap guard against dead-code removal).
#[no_mangle]
pub extern "C" fn rsa_public_op(n: u32) -> u32 {
    STATE.with(|s| {
        let s = s.borrow();
        let Some(KeyMaterial::Rsa(key)) = &s.key else { return 0 };
        let first = key.public_op(&s.signature).and_then(|em| em.last().copied());
        (0..n)
            .filter(|_| key.public_op(&s.signature).and_then(|em| em.last().copied()) == first)
            .count() as u32
    })
}

/// A cold key, `n` times: parse the stored key document and verify the kept signature once (for
/// EC keys this includes building the key's table). Returns the number that passed.
#[no_mangle]
pub extern "C" fn verify_fresh_key(alg: u32, n: u32) -> u32 {
    let Some(alg) = algorithm(alg) else { return 0 };
    STATE.with(|s| {
        let s = s.borrow();
        (0..n)
            .filter(|_| {
                KeySet::parse(&s.key_document, &Limits::default())
                    .ok()
                    .and_then(|set| set.keys().first().map(|k| k.material.clone()))
                    .is_some_and(|key| {
                        azlens::alg::verify(alg, &key, &s.message, &s.signature).is_ok()
                    })
            })
            .count() as u32
    })
}

/// `n` chained P-256 field multiplications (a throughput probe for the field kernel).
#[no_mangle]
pub extern "C" fn p256_field_mul(n: u32) -> u32 {
    use azlens::alg::kernels::field::{Fe, P256Field};
    let Some(mut x) = Fe::<P256Field, 10>::from_bytes(&[7; 32]) else { return 0 };
    let Some(y) = Fe::<P256Field, 10>::from_bytes(&[9; 32]) else { return 0 };
    for _ in 0..n {
        x = x.mul(&y);
    }
    u32::from(x.to_bytes()[0])
}

/// `n` P-256 scalar computations (s⁻¹, u₁, u₂) on the kept signature.
#[no_mangle]
pub extern "C" fn p256_scalars(n: u32) -> u32 {
    use azlens::alg::kernels::ecdsa::{Curve, NistP256};
    STATE.with(|s| {
        let s = s.borrow();
        if s.signature.len() != 64 {
            return 0;
        }
        let digest = azlens::alg::Algorithm::ES256.hash().digest(&s.message);
        let (r, sig_s) = s.signature.split_at(32);
        let Some(field) = NistP256::scalar_field() else { return 0 };
        (0..n)
            .filter(|_| field.verification_scalars(&digest, r, sig_s).is_some())
            .count() as u32
    })
}
