//! RSA public-key operation (RSAVP1, RFC 8017 §5.2.2): `s^e mod n` for signature verification.
//!
//! The modulus is prepared once, when the key is parsed ([`super::montgomery::Modulus`]: limbs
//! and Montgomery constants), so a verification is only the exponentiation: left-to-right binary
//! square-and-multiply over the public exponent, which for `e = 65537` is 16 squarings and one
//! multiplication. The signature enters Montgomery form with one multiplication by `R²`; since
//! `e` is odd, the last step multiplies by the *plain* signature, which also leaves Montgomery
//! form (`(x·R)·s·R⁻¹ = x·s`). That is 18 modular multiplications for `e = 65537`.
//!
//! Variable-time on purpose: every input is public.

use super::montgomery::{Modulus, Scratch};
use std::fmt;

/// Why a modulus or exponent cannot form an RSA public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsaKeyError {
    /// The modulus is even, too small, or too large for the kernel.
    BadModulus,
    /// The exponent is even, below 3, above 2³³−1 or not below the modulus.
    BadExponent,
}

impl fmt::Display for RsaKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RsaKeyError::BadModulus => "the modulus is even or of an unusable size",
            RsaKeyError::BadExponent => {
                "the public exponent must be odd, between 3 and 2^33-1, and below the modulus"
            }
        })
    }
}

/// The largest public exponent accepted, as in the `rsa` crate (and most verifiers).
const MAX_EXPONENT: u64 = (1 << 33) - 1;

/// An RSA public key prepared for repeated verification.
#[derive(Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    modulus: Modulus,
    e: u64,
    bits: usize,
}

impl fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaPublicKey({} bits, e = {})", self.bits, self.e)
    }
}

impl RsaPublicKey {
    /// A key from the big-endian modulus and public exponent (leading zero bytes allowed).
    pub fn new(n: &[u8], e: &[u8]) -> Result<RsaPublicKey, RsaKeyError> {
        let n = strip_zeros(n);
        let bits = match n.first() {
            Some(&top) => n.len() * 8 - top.leading_zeros() as usize,
            None => 0,
        };
        if bits < 2 || n.last().is_none_or(|&low| low & 1 == 0) {
            return Err(RsaKeyError::BadModulus);
        }
        let e = exponent(e).ok_or(RsaKeyError::BadExponent)?;
        // e < n: only a question for moduli of at most 34 bits.
        if bits <= 34 && n.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)) <= e {
            return Err(RsaKeyError::BadExponent);
        }
        let modulus = Modulus::new(n).ok_or(RsaKeyError::BadModulus)?;
        Ok(RsaPublicKey { modulus, e, bits })
    }

    /// The modulus length in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// The modulus length in bytes: the length of every signature for this key.
    pub fn size(&self) -> usize {
        self.bits.div_ceil(8)
    }

    pub fn exponent(&self) -> u64 {
        self.e
    }

    /// RSAVP1: `s^e mod n` as exactly [`size`](Self::size) big-endian bytes. `None` if the
    /// signature, as a number, is not below the modulus (RFC 8017 §5.2.2 step 1: "signature
    /// representative out of range").
    pub fn public_op(&self, signature: &[u8]) -> Option<Vec<u8>> {
        let m = &self.modulus;
        let s = m.reduce_check(signature)?;
        let mut scratch = Scratch::default();
        let s_mont = m.to_mont(&s, &mut scratch);
        let mut acc = s_mont.clone();
        let top = 63 - self.e.leading_zeros();
        for bit in (0..top).rev() {
            acc = m.square(&acc, &mut scratch);
            if (self.e >> bit) & 1 == 1 {
                // The last bit of an odd exponent multiplies by the plain s, which also takes
                // the result out of Montgomery form.
                acc = m.mul(&acc, if bit == 0 { &s } else { &s_mont }, &mut scratch);
            }
        }
        Some(m.to_be(&m.finish(acc), self.size()))
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let skip = b.iter().take_while(|&&x| x == 0).count();
    &b[skip..]
}

/// The exponent as a number if it is odd and in [3, 2³³−1].
fn exponent(bytes: &[u8]) -> Option<u64> {
    let bytes = strip_zeros(bytes);
    if bytes.len() > 8 {
        return None;
    }
    let e = bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    ((3..=MAX_EXPONENT).contains(&e) && e & 1 == 1).then_some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_modulus_by_hand() {
        // n = 3233 = 61·53, e = 17: 65^17 mod 3233 = 2790 (the textbook example).
        let key = RsaPublicKey::new(&3233u32.to_be_bytes(), &[17]).expect("a key");
        assert_eq!(key.size(), 2);
        assert_eq!(key.bits(), 12);
        let op = |s: u16| key.public_op(&s.to_be_bytes());
        assert_eq!(op(65), Some(2790u16.to_be_bytes().to_vec()));
        assert_eq!(op(2790 ^ 1).map(|v| v == 65u16.to_be_bytes()), Some(false));
        // s = n and s > n are out of range; s = 0 and s = 1 are fixed points.
        assert_eq!(op(3233), None);
        assert_eq!(op(0xffff), None);
        assert_eq!(op(0), Some(vec![0, 0]));
        assert_eq!(op(1), Some(vec![0, 1]));
        assert_eq!(
            key.public_op(&[0, 0, 1]),
            Some(vec![0, 1]),
            "leading zeros are fine"
        );
        assert_eq!(key.public_op(&[1, 0, 1]), None, "longer and larger");
    }

    #[test]
    fn rejects_bad_parameters() {
        let mut n = vec![0x80u8];
        n.extend_from_slice(&[0xff; 255]);
        assert!(RsaPublicKey::new(&n, &[1, 0, 1]).is_ok());
        let mut even = n.clone();
        *even.last_mut().expect("bytes") &= 0xfe;
        assert_eq!(RsaPublicKey::new(&even, &[3]), Err(RsaKeyError::BadModulus));
        for e in [
            &[][..],
            &[1],
            &[2],
            &[1, 0, 0],
            &[2, 0, 0, 0, 1],
            &[0, 0, 0, 3, 0, 0, 0, 1],
        ] {
            assert_eq!(
                RsaPublicKey::new(&n, e),
                Err(RsaKeyError::BadExponent),
                "e = {e:?}"
            );
        }
        assert!(
            RsaPublicKey::new(&n, &[1, 0xff, 0xff, 0xff, 0xff]).is_ok(),
            "2^33 - 1"
        );
        assert_eq!(
            RsaPublicKey::new(&[0xfb], &[0xfb]),
            Err(RsaKeyError::BadExponent),
            "e = n"
        );
        assert_eq!(
            RsaPublicKey::new(&[0xfb], &[0xfd]),
            Err(RsaKeyError::BadExponent),
            "e > n"
        );
        assert!(RsaPublicKey::new(&[0xfb], &[0xf9]).is_ok());
        assert_eq!(
            RsaPublicKey::new(&[0, 0], &[3]),
            Err(RsaKeyError::BadModulus)
        );
    }
}
