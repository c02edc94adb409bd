//! Differential tests of the ECDSA kernel (`azlens::alg::kernels::ecdsa`, reached through
//! `azlens::alg::verify`) against the `p256` / `p384` / `p521` crates: on random keys and messages the
//! verdicts must agree for the genuine signature, its high-s twin, and every corruption below.

use azlens::alg::{self, Algorithm};
use azlens::keys::KeyMaterial;
use proptest::prelude::*;

/// What to do to a genuine (key, message, signature) before checking it.
#[derive(Debug, Clone)]
enum Corruption {
    None,
    /// (r, n − s): also a valid signature; JWS does not require low s.
    HighS,
    SignatureBit(usize),
    MessageBit(usize),
    /// Verify with another key.
    OtherKey,
    RZero,
    SZero,
    /// r or s replaced by n + k (out of range).
    RIsNPlus(u8),
    SIsNPlus(u8),
    /// r + n in place of r when it fits: the same residue, which must not pass the range check.
    RPlusN,
    SwapRS,
}

fn corruption() -> impl Strategy<Value = Corruption> {
    prop_oneof![
        4 => Just(Corruption::None),
        2 => Just(Corruption::HighS),
        4 => any::<usize>().prop_map(Corruption::SignatureBit),
        2 => any::<usize>().prop_map(Corruption::MessageBit),
        1 => Just(Corruption::OtherKey),
        1 => Just(Corruption::RZero),
        1 => Just(Corruption::SZero),
        1 => any::<u8>().prop_map(Corruption::RIsNPlus),
        1 => any::<u8>().prop_map(Corruption::SIsNPlus),
        1 => Just(Corruption::RPlusN),
        1 => Just(Corruption::SwapRS),
    ]
}

/// Big-endian a + b in the same width; `None` on overflow.
fn add_be(a: &[u8], b: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0u8; a.len()];
    let mut carry = 0u16;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b).rev() {
        let v = u16::from(x) + u16::from(y) + carry;
        *o = v as u8;
        carry = v >> 8;
    }
    (carry == 0).then_some(out)
}

/// Big-endian n − s (s < n).
fn sub_be(n: &[u8], s: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; n.len()];
    let mut borrow = 0i16;
    for ((o, &x), &y) in out.iter_mut().zip(n).zip(s).rev() {
        let v = i16::from(x) - i16::from(y) - borrow;
        *o = v.rem_euclid(256) as u8;
        borrow = i16::from(v < 0);
    }
    out
}

/// Apply `c`; returns (message, signature, use the other key?, still genuine?).
fn corrupt(
    c: &Corruption,
    msg: &[u8],
    sig: &[u8],
    order: &[u8],
) -> Option<(Vec<u8>, Vec<u8>, bool, bool)> {
    let len = order.len();
    let (mut msg, mut sig) = (msg.to_vec(), sig.to_vec());
    let (r, s) = (sig[..len].to_vec(), sig[len..].to_vec());
    let mut other_key = false;
    let mut genuine = false;
    match c {
        Corruption::None => genuine = true,
        Corruption::HighS => {
            sig[len..].copy_from_slice(&sub_be(order, &s));
            genuine = true;
        }
        Corruption::SignatureBit(i) => sig[(i / 8) % (2 * len)] ^= 1 << (i % 8),
        Corruption::MessageBit(i) => {
            if msg.is_empty() {
                msg.push(1);
            } else {
                let l = msg.len();
                msg[(i / 8) % l] ^= 1 << (i % 8);
            }
        }
        Corruption::OtherKey => other_key = true,
        Corruption::RZero => sig[..len].fill(0),
        Corruption::SZero => sig[len..].fill(0),
        Corruption::RIsNPlus(k) => sig[..len].copy_from_slice(&add_be(order, &k_be(*k, len))?),
        Corruption::SIsNPlus(k) => sig[len..].copy_from_slice(&add_be(order, &k_be(*k, len))?),
        Corruption::RPlusN => sig[..len].copy_from_slice(&add_be(&r, order)?),
        Corruption::SwapRS => {
            sig[..len].copy_from_slice(&s);
            sig[len..].copy_from_slice(&r);
        }
    }
    Some((msg, sig, other_key, genuine))
}

fn k_be(k: u8, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    v[len - 1] = k;
    v
}

macro_rules! differential {
    ($name:ident, $krate:ident, $alg:expr, $material:path, $len:expr) => {
        proptest! {
            #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

            #[test]
            fn $name(
                secret in proptest::collection::vec(any::<u8>(), $len),
                other_secret in proptest::collection::vec(any::<u8>(), $len),
                msg in proptest::collection::vec(any::<u8>(), 0..200),
                corruption in corruption(),
            ) {
                use $krate::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
                use $krate::ecdsa::{Signature, SigningKey};
                let alg: Algorithm = $alg;
                // P-521's scalars are 66 bytes below a 521-bit order: keep the top byte's
                // high bits clear, or nearly every random secret would be out of range.
                let top_mask = if $len == 66 { 0x01 } else { 0xff };
                let (mut secret, mut other_secret) = (secret, other_secret);
                secret[0] &= top_mask;
                other_secret[0] &= top_mask;
                let signing = SigningKey::from_slice(&secret);
                let other = SigningKey::from_slice(&other_secret);
                prop_assume!(signing.is_ok() && other.is_ok());
                let (signing, other) = (signing.unwrap(), other.unwrap());
                let digest = alg.hash().digest(&msg);
                let sig: Signature = signing.sign_prehash(&digest).expect("signing");
                let sig = sig.to_bytes().to_vec();
                let order = {
                    use $krate::elliptic_curve::Curve;
                    let wide = $krate::NistCurve::ORDER.to_be_bytes();
                    // The crate's integer may be wider than a scalar (P-521: 576 bits).
                    wide[wide.len() - $len..].to_vec()
                };
                let corrupted = corrupt(&corruption, &msg, &sig, &order);
                prop_assume!(corrupted.is_some());
                let (msg, sig, other_key, genuine) = corrupted.unwrap();
                let verifying = if other_key { other.verifying_key() } else { signing.verifying_key() };
                let digest = alg.hash().digest(&msg);
                let expected = Signature::from_slice(&sig)
                    .is_ok_and(|s| verifying.verify_prehash(&digest, &s).is_ok());
                let sec1 = verifying.to_sec1_point(false);
                // A fresh key verifies by wNAF; a key with its table by fixed-base windows.
                let cold = $material(sec1.as_bytes()).expect("a valid public key");
                let warm = $material(sec1.as_bytes()).expect("a valid public key");
                match &warm {
                    KeyMaterial::P256(k) => k.build_table(),
                    KeyMaterial::P384(k) => k.build_table(),
                    KeyMaterial::P521(k) => k.build_table(),
                    _ => unreachable!("an EC key"),
                }
                for key in [&cold, &warm] {
                    let got = alg::verify(alg, key, &msg, &sig).is_ok();
                    prop_assert_eq!(got, expected, "azlens and the {} crate disagree", stringify!($krate));
                    prop_assert_eq!(got, genuine, "only a genuine signature may verify");
                }
            }
        }
    };
}

mod p256_curve {
    pub use p256::*;
    pub type NistCurve = p256::NistP256;
}
mod p384_curve {
    pub use p384::*;
    pub type NistCurve = p384::NistP384;
}
mod p521_curve {
    pub use p521::*;
    pub type NistCurve = p521::NistP521;
}

differential!(
    p256_matches_the_p256_crate,
    p256_curve,
    Algorithm::ES256,
    KeyMaterial::p256_sec1,
    32
);
differential!(
    p384_matches_the_p384_crate,
    p384_curve,
    Algorithm::ES384,
    KeyMaterial::p384_sec1,
    48
);
differential!(
    p521_matches_the_p521_crate,
    p521_curve,
    Algorithm::ES512,
    KeyMaterial::p521_sec1,
    66
);

/// Keys at the edges of the scalar range: the public key is then G, 2G or −G, so the two
/// tables share points and the sums meet doublings and cancellations more often.
#[test]
fn edge_keys_agree_with_the_p256_crate() {
    use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
    use p256::ecdsa::{Signature, SigningKey};
    let n_minus_1 = sub_be(
        &{
            use p256::elliptic_curve::Curve;
            p256::NistP256::ORDER.to_be_bytes().to_vec()
        },
        &k_be(1, 32),
    );
    for secret in [k_be(1, 32), k_be(2, 32), n_minus_1] {
        let signing = SigningKey::from_slice(&secret).expect("in range");
        let verifying = signing.verifying_key();
        let key = KeyMaterial::p256_sec1(verifying.to_sec1_point(false).as_bytes()).expect("key");
        // 64 verifications: the first few by wNAF, the rest with the key's table.
        for i in 0u32..64 {
            let msg = i.to_be_bytes();
            let digest = Algorithm::ES256.hash().digest(&msg);
            let sig: Signature = signing.sign_prehash(&digest).expect("signing");
            let sig = sig.to_bytes().to_vec();
            assert!(verifying
                .verify_prehash(&digest, &Signature::from_slice(&sig).expect("sig"))
                .is_ok());
            assert!(
                alg::verify(Algorithm::ES256, &key, &msg, &sig).is_ok(),
                "secret {secret:?} msg {i}"
            );
            let mut bad = sig.clone();
            bad[63] ^= 1;
            assert!(alg::verify(Algorithm::ES256, &key, &msg, &bad).is_err());
        }
    }
}

/// A key verifies by wNAF for its first `COLD_USES` verifications and builds its table on the
/// next one; clones share that table.
#[test]
fn key_table_is_built_after_the_cold_uses() {
    use azlens::alg::kernels::ecdsa::COLD_USES;
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    use p256::ecdsa::{Signature, SigningKey};
    let signing = SigningKey::from_slice(&[0x42; 32]).expect("in range");
    let sec1 = signing.verifying_key().to_sec1_point(false);
    let material = KeyMaterial::p256_sec1(sec1.as_bytes()).expect("key");
    let KeyMaterial::P256(key) = &material else {
        panic!("an EC P-256 key");
    };
    let copy = material.clone();
    let msg = b"claims";
    let sig: Signature = signing
        .sign_prehash(&Algorithm::ES256.hash().digest(msg))
        .expect("signing");
    for _ in 0..COLD_USES {
        assert!(alg::verify(Algorithm::ES256, &copy, msg, &sig.to_bytes()).is_ok());
        assert!(!key.has_table());
    }
    assert!(alg::verify(Algorithm::ES256, &material, msg, &sig.to_bytes()).is_ok());
    assert!(key.has_table());
    assert!(alg::verify(Algorithm::ES256, &copy, msg, &sig.to_bytes()).is_ok());
}

/// Point decoding (SEC 1, uncompressed and compressed) against the crates: random encodings
/// with a SEC 1 tag are accepted exactly when the crate accepts them, any other tag never, and a key's compressed form decodes to the
/// same key as its uncompressed one.
macro_rules! decoding {
    ($name:ident, $krate:ident, $alg:expr, $material:path, $len:expr) => {
        proptest! {
            #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

            #[test]
            fn $name(
                secret in proptest::collection::vec(any::<u8>(), $len),
                x in proptest::collection::vec(any::<u8>(), $len),
                prefix in prop_oneof![Just(2u8), Just(3u8), Just(4u8), any::<u8>()],
                msg in proptest::collection::vec(any::<u8>(), 0..64),
            ) {
                use $krate::ecdsa::signature::hazmat::PrehashSigner;
                use $krate::ecdsa::{Signature, SigningKey, VerifyingKey};
                let alg: Algorithm = $alg;
                // Arbitrary bytes: the same verdict as the crate.
                let mut x = x;
                if $len == 66 {
                    x[0] &= 0x01;
                }
                let mut encoded = vec![prefix];
                encoded.extend_from_slice(&x);
                if prefix == 4 {
                    encoded.extend_from_slice(&x);
                }
                // SEC 1 forms follow the crate; any other tag is refused, including the
                // crate's non-standard compact form (0x05 || x), which it accepts.
                let expected = matches!(prefix, 2..=4)
                    && VerifyingKey::from_sec1_bytes(&encoded).is_ok();
                prop_assert_eq!(
                    $material(&encoded).is_ok(),
                    expected,
                    "decoding {:02x?}", encoded
                );
                // A real key: both forms verify its signature.
                let mut secret = secret;
                if $len == 66 {
                    secret[0] &= 0x01;
                }
                let signing = SigningKey::from_slice(&secret);
                prop_assume!(signing.is_ok());
                let signing = signing.unwrap();
                let digest = alg.hash().digest(&msg);
                let sig: Signature = signing.sign_prehash(&digest).expect("signing");
                for compress in [false, true] {
                    let sec1 = signing.verifying_key().to_sec1_point(compress);
                    let key = $material(sec1.as_bytes()).expect("a valid public key");
                    prop_assert!(alg::verify(alg, &key, &msg, &sig.to_bytes()).is_ok());
                }
            }
        }
    };
}

decoding!(
    p256_decoding_matches_the_p256_crate,
    p256_curve,
    Algorithm::ES256,
    KeyMaterial::p256_sec1,
    32
);
decoding!(
    p384_decoding_matches_the_p384_crate,
    p384_curve,
    Algorithm::ES384,
    KeyMaterial::p384_sec1,
    48
);
decoding!(
    p521_decoding_matches_the_p521_crate,
    p521_curve,
    Algorithm::ES512,
    KeyMaterial::p521_sec1,
    66
);

/// The compact form (draft-jivsov-ecc-compact: tag 0x05 and x only) is not SEC 1 and no JOSE or
/// PKIX key uses it. The RustCrypto crates accept it; azlens refuses it on every curve, even
/// when x is a real key's.
#[test]
fn compact_points_are_refused() {
    macro_rules! compact {
        ($krate:ident, $material:path, $len:expr) => {{
            use $krate::ecdsa::SigningKey;
            let mut secret = [0x42; $len];
            secret[0] = 0x01;
            let signing = SigningKey::from_slice(&secret).expect("in range");
            let compressed = signing.verifying_key().to_sec1_point(true);
            let mut compact = compressed.as_bytes().to_vec();
            compact[0] = 0x05;
            let err = $material(&compact).expect_err("the compact form");
            assert!(err.contains("not a SEC 1 point"), "{err}");
            assert!(
                err.contains("beginning with 05 (the non-standard compact form)"),
                "{err}"
            );
            assert!(
                $material(compressed.as_bytes()).is_ok(),
                "the compressed form"
            );
        }};
    }
    compact!(p256_curve, KeyMaterial::p256_sec1, 32);
    compact!(p384_curve, KeyMaterial::p384_sec1, 48);
    compact!(p521_curve, KeyMaterial::p521_sec1, 66);
}

/// Encodings the crate and azlens both refuse, named.
#[test]
fn malformed_points_are_refused() {
    let g = {
        use p256::elliptic_curve::sec1::ToSec1Point;
        p256::AffinePoint::GENERATOR.to_sec1_point(false)
    };
    let g = g.as_bytes();
    assert!(KeyMaterial::p256_sec1(g).is_ok(), "G itself");
    let err = KeyMaterial::p256_sec1(&[0x00]).expect_err("the point at infinity");
    assert!(err.contains("(the point at infinity)"), "{err}");
    let mut hybrid = g.to_vec();
    hybrid[0] = 0x06 | (g[64] & 1);
    let err = KeyMaterial::p256_sec1(&hybrid).expect_err("hybrid form");
    assert!(err.contains("(the hybrid form)"), "{err}");
    let err = KeyMaterial::p256_sec1(&[]).expect_err("nothing");
    assert!(err.contains("is empty"), "{err}");
    assert!(KeyMaterial::p256_sec1(&g[..64]).is_err(), "truncated");
    let mut off_curve = g.to_vec();
    off_curve[64] ^= 1;
    let err = KeyMaterial::p256_sec1(&off_curve).expect_err("off the curve");
    assert!(err.contains("not a point on the curve"), "{err}");
    let err = KeyMaterial::p384_sec1(g).expect_err("a P-256 point is not a P-384 encoding");
    assert!(err.contains("not a SEC 1 point"), "{err}");
}
