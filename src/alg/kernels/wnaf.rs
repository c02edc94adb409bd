//! Variable-base scalar multiplication by the width-w non-adjacent form (wNAF, Hankerson–
//! Menezes–Vanstone, *Guide to Elliptic Curve Cryptography*, Algorithms 3.35 and 3.36).
//!
//! The scalar is recoded into digits that are zero or odd in `(−2^(w−1), 2^(w−1))`, with at
//! least `w − 1` zeros after every non-zero digit; the odd multiples `P, 3P, …, (2^(w−1)−1)P`
//! are computed on the fly (one doubling and `2^(w−2) − 1` additions, no inversion), and `k·P`
//! is one doubling per bit plus one addition per non-zero digit, about `bits / (w + 1)`.
//!
//! This is the path for a public key whose fixed-base table is not built yet (see `ecdsa`): a
//! few verifications this way cost less than building the table for a key used only a few
//! times.

use super::comb::{bits_at, TableTooShort};
use super::field::FieldSpec;
use super::jacobian::{Affine, Jacobian};

/// `k·P` (`Ok(None)` is the point at infinity) for the big-endian scalar `k`, with
/// `2 ≤ w ≤ 7`. `Err` only if P has such small order that its odd multiples run out, which no
/// point of a prime-order curve has; the caller must then fail the verification.
pub fn mul<F: FieldSpec<N>, const N: usize>(
    p: &Affine<F, N>,
    k_be: &[u8],
    w: u32,
) -> Result<Option<Jacobian<F, N>>, TableTooShort> {
    let w = w.clamp(2, 7);
    let digits = wnaf(k_be, w);
    // odd[i] = (2i + 1)·P
    let p1 = p.to_jacobian();
    let mut odd = vec![p1];
    if let Some(p2) = p1.double() {
        for i in 1..(1usize << (w - 2)) {
            match odd[i - 1].add(&p2) {
                Some(next) => odd.push(next),
                None => break, // only for points of small order; `get` below then fails
            }
        }
    }
    let mut acc: Option<Jacobian<F, N>> = None;
    for &d in digits.iter().rev() {
        acc = acc.and_then(|a| a.double());
        if d == 0 {
            continue;
        }
        let term = *odd
            .get(d.unsigned_abs() as usize / 2)
            .ok_or(TableTooShort)?;
        let term = if d < 0 { negate(&term) } else { term };
        acc = match acc {
            None => Some(term),
            Some(a) => a.add(&term),
        };
    }
    Ok(acc)
}

fn negate<F: FieldSpec<N>, const N: usize>(p: &Jacobian<F, N>) -> Jacobian<F, N> {
    Jacobian {
        x: p.x,
        y: p.y.neg().carry(),
        z: p.z,
    }
}

/// The width-w NAF of `k`, least significant digit first (one digit per bit, with room for
/// the final carry). The window scan follows curve25519-dalek's `non_adjacent_form`.
pub fn wnaf(k_be: &[u8], w: u32) -> Vec<i8> {
    let len = 8 * k_be.len() + w as usize + 1;
    let mut digits = vec![0i8; len];
    let width = 1u32 << w;
    let mut carry = 0u32;
    let mut pos = 0usize;
    while pos < len {
        // The low w bits of (k >> pos), plus 1 if a carry is pending at this position.
        let window = carry + bits_at(k_be, pos, w);
        if window & 1 == 0 {
            // Digit zero here; a pending carry moves up with us (1 + 1 = 0, carry 1).
            pos += 1;
            continue;
        }
        let digit = if window < width / 2 {
            carry = 0;
            window as i32
        } else {
            carry = 1;
            window as i32 - width as i32
        };
        if let Some(slot) = digits.get_mut(pos) {
            *slot = digit as i8;
        }
        pos += w as usize;
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(digits: &[i8]) -> i128 {
        digits
            .iter()
            .rev()
            .fold(0i128, |acc, &d| 2 * acc + i128::from(d))
    }

    #[test]
    fn wnaf_recomposes_and_is_sparse() {
        for w in 2..=7u32 {
            for k in [
                0u64,
                1,
                2,
                3,
                7,
                0x55,
                0xff,
                0xdead_beef_cafe_f00d,
                u64::MAX,
                u64::MAX - 1,
            ] {
                let digits = wnaf(&k.to_be_bytes(), w);
                assert_eq!(value(&digits), i128::from(k), "k = {k:#x}, w = {w}");
                let half = 1i8 << (w - 1);
                for (i, &d) in digits.iter().enumerate() {
                    if d != 0 {
                        assert!(d % 2 != 0 && -half < d && d < half, "digit {d}");
                        let next = &digits[i + 1..(i + w as usize).min(digits.len())];
                        assert!(
                            next.iter().all(|&x| x == 0),
                            "k = {k:#x} w = {w}: {digits:?}"
                        );
                    }
                }
            }
        }
    }
}
