//! Verification-only arithmetic sized for wasm32.
//!
//! A signature check works on public data only (the key, the message, the signature), so these
//! kernels are deliberately variable-time: they skip the constant-time discipline a signer needs
//! and use 32-bit limbs with 64-bit products, which wasm32 executes natively (a 64-bit limb
//! would need a 128-bit product that wasm has to emulate). Each module follows one published
//! algorithm, named in its header, and is checked against the RustCrypto crate it replaced
//! (kept as a dev-dependency oracle) and against Wycheproof vectors.

pub mod comb;
pub mod ecdsa;
pub mod field;
pub mod jacobian;
pub mod montgomery;
pub mod rsa_modexp;
pub mod scalar;
pub mod wnaf;
