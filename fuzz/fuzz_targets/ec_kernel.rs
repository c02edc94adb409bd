//! The ECDSA kernel against the RustCrypto crates on arbitrary bytes: a point with a SEC 1 tag
//! decodes in azlens exactly when it decodes in the crate, any other tag never, and a signature
//! verifies in azlens exactly when it verifies in the crate. A difference panics, so libFuzzer
//! reports it.
//!
//! Input: one byte picks the curve and the point form; then the point's x (and y), a digest and
//! a signature, each cut to its curve's width.
#![no_main]

use azlens::alg::{self, Algorithm};
use azlens::keys::KeyMaterial;
use libfuzzer_sys::fuzz_target;

macro_rules! differential {
    ($krate:ident, $alg:expr, $material:path, $len:expr, $data:expr, $form:expr) => {{
        use $krate::ecdsa::signature::hazmat::PrehashVerifier;
        use $krate::ecdsa::{Signature, VerifyingKey};
        let data: &[u8] = $data;
        let point_len = if $form == 0x04 { 2 * $len } else { $len };
        if data.len() < point_len + 2 * $len {
            return;
        }
        let (coordinates, rest) = data.split_at(point_len);
        let (signature, message) = rest.split_at(2 * $len);
        let mut point = vec![$form];
        point.extend_from_slice(coordinates);
        let ours = $material(&point);
        let theirs = VerifyingKey::from_sec1_bytes(&point);
        // SEC 1 tags follow the crate; any other tag is refused, including the compact form
        // (0x05 || x) that the crate accepts.
        let sec1 = matches!($form, 0x02..=0x04);
        assert_eq!(
            ours.is_ok(),
            sec1 && theirs.is_ok(),
            "decoding {point:02x?}"
        );
        let (Ok(key), Ok(oracle)) = (ours, theirs) else {
            return;
        };
        let alg: Algorithm = $alg;
        let accepted = alg::verify(alg, &key, message, signature).is_ok();
        let digest = alg.hash().digest(message);
        let expected = Signature::from_slice(signature)
            .is_ok_and(|s| oracle.verify_prehash(&digest, &s).is_ok());
        assert_eq!(accepted, expected, "verdicts differ for {point:02x?}");
    }};
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, data)) = data.split_first() else {
        return;
    };
    // Mostly the SEC 1 tags; one case in four any tag from 0x00 to 0x0f.
    let form = [0x02, 0x03, 0x04, selector >> 4][usize::from(selector >> 2) % 4];
    match selector % 3 {
        0 => differential!(
            p256,
            Algorithm::ES256,
            KeyMaterial::p256_sec1,
            32,
            data,
            form
        ),
        1 => differential!(
            p384,
            Algorithm::ES384,
            KeyMaterial::p384_sec1,
            48,
            data,
            form
        ),
        _ => differential!(
            p521,
            Algorithm::ES512,
            KeyMaterial::p521_sec1,
            66,
            data,
            form
        ),
    }
});
