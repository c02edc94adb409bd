//! Fixed-base scalar multiplication by signed 4-bit windows (the "fixed-base windowing" of
//! Brickell–Gordon–McCurley–Wilson, in the signed-digit form of Hankerson–Menezes–Vanstone,
//! *Guide to Elliptic Curve Cryptography*, §3.3.2 and Algorithm 3.41).
//!
//! A scalar is recoded as `k = Σ dᵢ·16ⁱ` with digits `dᵢ ∈ [−7, 8]`, and a table holds
//! `j·16ⁱ·P` for `j = 1..=8` in affine form. Then `k·P` is one mixed addition per non-zero digit
//! (negating the table point for a negative digit) and no doublings at all: about 60 additions
//! for a 256-bit scalar, 90 for a 384-bit one.
//!
//! The table costs about 9 doublings-or-additions per window plus one batched inversion to
//! build, so it is built once per point and kept: for the base point, once per process; for a
//! public key, lazily on its first use, in the parsed key (see `ecdsa`).

use super::field::{Fe, FieldSpec};
use super::jacobian::{accumulate, batch_to_affine, Affine, Jacobian};

/// A scalar with more digits than the table has windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableTooShort;

/// Table points per window: the multiples 1..=8.
const PER_WINDOW: usize = 8;

/// `j·16ⁱ·P` for every window `i` and `j = 1..=8`, affine, canonical limbs packed in `u32`.
pub struct CombTable<F: FieldSpec<N>, const N: usize> {
    windows: usize,
    /// Window-major, then multiple, then x limbs followed by y limbs.
    limbs: Vec<u32>,
    field: std::marker::PhantomData<F>,
}

impl<F: FieldSpec<N>, const N: usize> CombTable<F, N> {
    /// The table for `p`, with enough windows for scalars of `F::BYTES` bytes (one extra window
    /// takes the recoding's final carry).
    pub fn new(p: &Affine<F, N>) -> Self {
        let windows = 2 * F::BYTES + 1;
        let mut points = Vec::with_capacity(windows * PER_WINDOW);
        let mut base = Some(p.to_jacobian());
        for _ in 0..windows {
            let Some(b) = base else { break };
            let mut multiple = Some(b);
            for j in 0..PER_WINDOW {
                let Some(m) = multiple else { break };
                points.push(m);
                multiple = if j == 0 { m.double() } else { m.add(&b) };
            }
            // 16·b = 2·(8·b)
            base = points.last().and_then(Jacobian::double);
        }
        let affine = batch_to_affine(&points);
        let mut limbs = Vec::with_capacity(affine.len() * 2 * N);
        for point in &affine {
            for coordinate in [&point.x, &point.y] {
                limbs.extend(coordinate.canonical_limbs().iter().map(|&l| l as u32));
            }
        }
        CombTable {
            // Only a point of small order could cut the table short; a curve of prime order
            // has none, and `entry` treats a missing point as a failed verification.
            windows: affine.len() / PER_WINDOW,
            limbs,
            field: std::marker::PhantomData,
        }
    }

    /// A table with no windows: every multiplication with it fails.
    pub fn empty() -> Self {
        CombTable {
            windows: 0,
            limbs: Vec::new(),
            field: std::marker::PhantomData,
        }
    }

    fn entry(&self, window: usize, multiple: usize) -> Option<Affine<F, N>> {
        if window >= self.windows || multiple == 0 || multiple > PER_WINDOW {
            return None;
        }
        let start = (window * PER_WINDOW + multiple - 1) * 2 * N;
        let words = self.limbs.get(start..start + 2 * N)?;
        let (x, y) = words.split_at(N);
        Some(Affine {
            x: Fe::from_canonical_limbs(x),
            y: Fe::from_canonical_limbs(y),
        })
    }

    /// `acc + k·P` for the big-endian scalar `k` (`None` is the point at infinity).
    pub fn mul_add(
        &self,
        mut acc: Option<Jacobian<F, N>>,
        k_be: &[u8],
    ) -> Result<Option<Jacobian<F, N>>, TableTooShort> {
        for (window, digit) in signed_digits(k_be).into_iter().enumerate() {
            if digit == 0 {
                continue;
            }
            let point = self
                .entry(window, usize::from(digit.unsigned_abs()))
                .ok_or(TableTooShort)?;
            let point = if digit < 0 { point.neg() } else { point };
            acc = accumulate(acc, &point);
        }
        Ok(acc)
    }
}

/// Base-16 signed digits, least significant first: `k = Σ dᵢ·16ⁱ`, `dᵢ ∈ [−7, 8]`, with one
/// digit per nibble and a final carry digit.
pub fn signed_digits(k_be: &[u8]) -> Vec<i8> {
    let mut digits = Vec::with_capacity(2 * k_be.len() + 1);
    let mut carry = 0i8;
    for &byte in k_be.iter().rev() {
        for nibble in [byte & 0xf, byte >> 4] {
            let v = nibble as i8 + carry;
            if v > 8 {
                digits.push(v - 16);
                carry = 1;
            } else {
                digits.push(v);
                carry = 0;
            }
        }
    }
    digits.push(carry);
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_recompose_the_scalar() {
        for k in [0u64, 1, 8, 9, 15, 16, 0x88, 0xff, 0xdead_beef, u64::MAX] {
            let digits = signed_digits(&k.to_be_bytes());
            assert_eq!(digits.len(), 17);
            assert!(
                digits.iter().all(|&d| (-7..=8).contains(&d)),
                "{k}: {digits:?}"
            );
            let value: i128 = digits
                .iter()
                .rev()
                .fold(0i128, |acc, &d| acc * 16 + i128::from(d));
            assert_eq!(value, i128::from(k));
        }
    }
}
