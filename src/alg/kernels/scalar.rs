//! Arithmetic modulo an elliptic-curve group order n: the two scalars of an ECDSA verification,
//! `u₁ = e·s⁻¹` and `u₂ = r·s⁻¹ (mod n)`.
//!
//! * The inverse is the binary extended Euclidean algorithm (Hankerson–Menezes–Vanstone, *Guide
//!   to Elliptic Curve Cryptography*, Algorithm 2.22) on 64-bit words: only shifts, additions
//!   and subtractions, which wasm32 runs natively, and about `2·bits(n)` steps. It keeps
//!   `a·x₁ ≡ u` and `a·x₂ ≡ v (mod n)` while `u` and `v` shrink to 1. Variable-time: `s` is
//!   public.
//! * The two products are Montgomery multiplications on the RSA kernel's [`Modulus`]: with
//!   `w = s⁻¹·R` (one multiplication by `R²`), `mul(e, w) = e·s⁻¹` comes out of Montgomery form
//!   by itself.

use super::montgomery::{Modulus, Scratch};
use std::cmp::Ordering;

/// The group order of one curve, prepared once.
pub struct ScalarField {
    modulus: Modulus,
    /// n in 64-bit words, least significant first, with one spare word so `x + n` fits.
    n: Vec<u64>,
    /// Bytes in a scalar (the field's length: 66 for P-521, whose order has 521 bits).
    bytes: usize,
}

impl ScalarField {
    /// The order `n` (big-endian, odd, at least 2): `None` otherwise.
    pub fn new(order_be: &[u8]) -> Option<ScalarField> {
        let modulus = Modulus::new(order_be)?;
        let words = order_be.len().div_ceil(8) + 1;
        Some(ScalarField {
            modulus,
            n: words_from_be(order_be, words)?,
            bytes: order_be.len(),
        })
    }

    /// `(e·s⁻¹ mod n, r·s⁻¹ mod n)`, big-endian and `bytes` long, for `r` and `s` in `[1, n−1]`
    /// and a digest `e` below `2n` (any digest no longer than n's bit length is). `None` if an
    /// input is out of those ranges.
    pub fn verification_scalars(&self, e: &[u8], r: &[u8], s: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
        let m = &self.modulus;
        let s_words = words_from_be(s, self.n.len())?;
        if is_zero(&s_words) || cmp(&s_words, &self.n) != Ordering::Less {
            return None;
        }
        let inverse = invert(&s_words, &self.n)?;
        let inverse = m.reduce_check(&words_to_be(&inverse, self.bytes))?;
        let e = self.reduce_once(e)?;
        let r = m.reduce_check(r)?;
        let mut scratch = Scratch::default();
        let w = m.to_mont(&inverse, &mut scratch);
        let u1 = m.finish(m.mul(&e, &w, &mut scratch));
        let u2 = m.finish(m.mul(&r, &w, &mut scratch));
        Some((m.to_be(&u1, self.bytes), m.to_be(&u2, self.bytes)))
    }

    /// `x mod n` for `x < 2n`, as the modulus's limbs.
    fn reduce_once(&self, x_be: &[u8]) -> Option<Vec<u64>> {
        let mut x = words_from_be(x_be, self.n.len())?;
        if cmp(&x, &self.n) != Ordering::Less {
            sub_assign(&mut x, &self.n);
            if cmp(&x, &self.n) != Ordering::Less {
                return None;
            }
        }
        self.modulus.reduce_check(&words_to_be(&x, self.bytes))
    }
}

/// `a⁻¹ mod n` for `a` in `[1, n−1]` and an odd prime `n` (HMV Algorithm 2.22). `None` when no
/// inverse turns up within the step bound, which a prime n never reaches.
fn invert(a: &[u64], n: &[u64]) -> Option<Vec<u64>> {
    let len = n.len();
    let (mut u, mut v) = (a.to_vec(), n.to_vec());
    let mut x1 = vec![0u64; len];
    x1[0] = 1;
    let mut x2 = vec![0u64; len];
    // Every pass halves u or v at least once (after a subtraction one of them is even), so the
    // passes are bounded by the bits of a and n together.
    let mut budget = 2 * 64 * len + 2;
    while !is_one(&u) && !is_one(&v) {
        if is_zero(&u) || is_zero(&v) || budget == 0 {
            return None; // gcd(a, n) ≠ 1: no inverse
        }
        budget -= 1;
        while u[0] & 1 == 0 {
            shr1(&mut u);
            halve_mod(&mut x1, n);
        }
        while v[0] & 1 == 0 {
            shr1(&mut v);
            halve_mod(&mut x2, n);
        }
        if cmp(&u, &v) != Ordering::Less {
            sub_assign(&mut u, &v);
            sub_mod(&mut x1, &x2, n);
        } else {
            sub_assign(&mut v, &u);
            sub_mod(&mut x2, &x1, n);
        }
    }
    Some(if is_one(&u) { x1 } else { x2 })
}

/// `x/2 mod n` for `x < n`, n odd: an odd x is first made even by adding n.
fn halve_mod(x: &mut [u64], n: &[u64]) {
    if x[0] & 1 == 1 {
        add_assign(x, n);
    }
    shr1(x);
}

/// `x − y mod n` for `x, y < n`.
fn sub_mod(x: &mut [u64], y: &[u64], n: &[u64]) {
    if cmp(x, y) == Ordering::Less {
        add_assign(x, n);
    }
    sub_assign(x, y);
}

fn add_assign(x: &mut [u64], y: &[u64]) {
    let mut carry = false;
    for (a, &b) in x.iter_mut().zip(y) {
        let (s, c1) = a.overflowing_add(b);
        let (s, c2) = s.overflowing_add(u64::from(carry));
        *a = s;
        carry = c1 || c2;
    }
}

/// `x − y` for `x ≥ y`.
fn sub_assign(x: &mut [u64], y: &[u64]) {
    let mut borrow = false;
    for (a, &b) in x.iter_mut().zip(y) {
        let (d, b1) = a.overflowing_sub(b);
        let (d, b2) = d.overflowing_sub(u64::from(borrow));
        *a = d;
        borrow = b1 || b2;
    }
}

fn shr1(x: &mut [u64]) {
    let mut carry = 0u64;
    for word in x.iter_mut().rev() {
        let next = *word & 1;
        *word = (*word >> 1) | (carry << 63);
        carry = next;
    }
}

fn cmp(x: &[u64], y: &[u64]) -> Ordering {
    x.iter().rev().cmp(y.iter().rev())
}

fn is_zero(x: &[u64]) -> bool {
    x.iter().all(|&w| w == 0)
}

fn is_one(x: &[u64]) -> bool {
    x.first() == Some(&1) && x.iter().skip(1).all(|&w| w == 0)
}

/// Big-endian bytes as `words` 64-bit words, least significant first; `None` if they do not fit.
fn words_from_be(be: &[u8], words: usize) -> Option<Vec<u64>> {
    let mut out = vec![0u64; words];
    for (i, &byte) in be.iter().rev().enumerate() {
        if byte != 0 {
            *out.get_mut(i / 8)? |= u64::from(byte) << (8 * (i % 8));
        }
    }
    Some(out)
}

/// The low `len` bytes of `x`, big-endian.
fn words_to_be(x: &[u64], len: usize) -> Vec<u8> {
    (0..len)
        .rev()
        .map(|i| x.get(i / 8).map_or(0, |w| (w >> (8 * (i % 8))) as u8))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alg::kernels::ecdsa::{Curve, NistP256, NistP384, NistP521};
    use crypto_bigint::{BoxedUint, NonZero};
    use proptest::prelude::*;

    fn big(bytes: &[u8]) -> BoxedUint {
        BoxedUint::from_be_slice(bytes, 1152).expect("fits")
    }

    fn bytes_of(x: &BoxedUint, len: usize) -> Vec<u8> {
        let b = x.to_be_bytes();
        b[b.len() - len..].to_vec()
    }

    /// u₁ and u₂ against crypto-bigint, for r and s in [1, n−1] and any digest below 2^bits(n).
    fn check_against_crypto_bigint(order: &[u8], r: &[u8], s: &[u8], e: &[u8]) {
        let len = order.len();
        let n = NonZero::new(big(order)).expect("non-zero");
        let field = ScalarField::new(order).expect("odd order");
        let (u1, u2) = field.verification_scalars(e, r, s).expect("in range");
        let s_inv = big(s).invert_mod(&n).expect("n is prime");
        let expected_u1 = big(e).rem_vartime(&n).mul_mod(&s_inv, &n);
        let expected_u2 = big(r).mul_mod(&s_inv, &n);
        assert_eq!(u1, bytes_of(&expected_u1, len), "u1");
        assert_eq!(u2, bytes_of(&expected_u2, len), "u2");
    }

    /// A scalar in [1, n−1] from arbitrary bytes: seed mod (n − 1), plus one.
    fn scalar_from(order: &[u8], seed: &[u8]) -> Vec<u8> {
        let one = BoxedUint::one_with_precision(1152);
        let n_minus_1 = NonZero::new(big(order).wrapping_sub(&one)).expect("n > 1");
        bytes_of(
            &big(seed).rem_vartime(&n_minus_1).wrapping_add(&one),
            order.len(),
        )
    }

    proptest! {
        #[test]
        fn scalars_match_crypto_bigint(
            r in proptest::collection::vec(any::<u8>(), 72),
            s in proptest::collection::vec(any::<u8>(), 72),
            e in proptest::collection::vec(any::<u8>(), 64),
        ) {
            for (order, digest_len) in
                [(NistP256::ORDER, 32), (NistP384::ORDER, 48), (NistP521::ORDER, 64)]
            {
                let (r, s) = (scalar_from(order, &r), scalar_from(order, &s));
                check_against_crypto_bigint(order, &r, &s, &e[..digest_len]);
            }
        }
    }

    #[test]
    fn edge_scalars_match_crypto_bigint() {
        for order in [NistP256::ORDER, NistP384::ORDER, NistP521::ORDER] {
            let len = order.len();
            let mut n_minus_1 = order.to_vec();
            n_minus_1[len - 1] -= 1; // the orders are odd: no borrow
            let mut one = vec![0u8; len];
            one[len - 1] = 1;
            let digest_len = if len == 66 { 64 } else { len };
            for r in [&one, &n_minus_1] {
                for s in [&one, &n_minus_1] {
                    for e in [vec![0u8; digest_len], vec![0xff; digest_len]] {
                        check_against_crypto_bigint(order, r, s, &e);
                    }
                }
            }
        }
    }

    #[test]
    fn words_round_trip() {
        let be: Vec<u8> = (1..=66).collect();
        let words = words_from_be(&be, 10).expect("fits");
        assert_eq!(words_to_be(&words, 66), be);
        assert!(words_from_be(&[1; 17], 2).is_none(), "does not fit");
        assert!(
            words_from_be(&[0, 0, 0, 1], 1).is_some(),
            "leading zeros fit"
        );
    }

    #[test]
    fn small_inverses_by_hand() {
        // n = 101: 2·51 = 102 ≡ 1, 3·34 = 102 ≡ 1, 100·100 ≡ 1.
        let n = [101u64, 0];
        for (a, inv) in [(1u64, 1u64), (2, 51), (3, 34), (100, 100), (10, 91)] {
            assert_eq!(invert(&[a, 0], &n), Some(vec![inv, 0]), "{a}⁻¹ mod 101");
        }
        assert_eq!(invert(&[0, 0], &n), None, "zero has no inverse");
        // Not coprime with a composite modulus: no inverse, and no hang.
        assert_eq!(invert(&[3, 0], &[9, 0]), None);
    }

    #[test]
    fn out_of_range_inputs_are_refused() {
        let field = ScalarField::new(&[0, 101]).expect("odd order");
        assert!(field.verification_scalars(&[5], &[0, 7], &[0, 0]).is_none());
        assert!(field
            .verification_scalars(&[5], &[0, 7], &[0, 101])
            .is_none());
        assert!(field
            .verification_scalars(&[5], &[0, 101], &[0, 3])
            .is_none());
        assert!(field
            .verification_scalars(&[0xff], &[0, 7], &[0, 3])
            .is_none());
        // e = 150 ≥ n is reduced once: 150 − 101 = 49; 49·34 = 1666 ≡ 50, 7·34 = 238 ≡ 36.
        assert_eq!(
            field.verification_scalars(&[150], &[0, 7], &[0, 3]),
            Some((vec![0, 50], vec![0, 36]))
        );
    }
}
