//! Fixed-base scalar multiplication by signed windows (the "fixed-base windowing" method of
//! Brickell–Gordon–McCurley–Wilson, in the signed-digit form of Hankerson–Menezes–Vanstone,
//! *Guide to Elliptic Curve Cryptography*, §3.3.2, Algorithm 3.41).
//!
//! With window width `w`, a scalar is recoded as `k = Σ dᵢ·2^(w·i)` with digits
//! `dᵢ ∈ [−2^(w−1)+1, 2^(w−1)]`, and a table holds `j·2^(w·i)·P` for `j = 1..=2^(w−1)` in affine
//! form. Then `k·P` is one mixed addition per non-zero digit (negating the table point for a
//! negative digit) and no doublings at all: for a 256-bit scalar, 43 windows at `w = 6` and 52 at
//! `w = 5`.
//!
//! A table costs `2^(w−1)` point operations per window plus one batched inversion to build, so
//! it is built once per point and kept: for the base point once per process, for a public key
//! in the parsed key (see `ecdsa` for when).

use super::field::{Fe, FieldSpec};
use super::jacobian::{accumulate, batch_to_affine, Affine, Jacobian};

/// A scalar with more digits than the table has windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableTooShort;

/// `j·2^(w·i)·P` for every window `i` and `j = 1..=2^(w−1)`: affine, canonical limbs in `u32`.
pub struct CombTable<F: FieldSpec<N>, const N: usize> {
    width: u32,
    windows: usize,
    /// Window-major, then multiple, then x limbs followed by y limbs.
    limbs: Vec<u32>,
    field: std::marker::PhantomData<F>,
}

impl<F: FieldSpec<N>, const N: usize> CombTable<F, N> {
    /// The table of `p` for window width `width` (2 to 8 bits), with enough windows for scalars
    /// of `F::BYTES` bytes and the recoding's final carry.
    pub fn new(p: &Affine<F, N>, width: u32) -> Self {
        let width = width.clamp(2, 8);
        let per_window = 1usize << (width - 1);
        let windows = (8 * F::BYTES + 1).div_ceil(width as usize);
        let mut points = Vec::with_capacity(windows * per_window);
        let mut base = Some(p.to_jacobian());
        // A multiple reaching the point at infinity (only possible for a point of small order,
        // which a prime-order curve has not) ends the table at the last complete window.
        'windows: for _ in 0..windows {
            let Some(b) = base else { break };
            let window_start = points.len();
            let mut multiple = Some(b);
            for j in 0..per_window {
                let Some(m) = multiple else {
                    points.truncate(window_start);
                    break 'windows;
                };
                points.push(m);
                multiple = if j == 0 { m.double() } else { m.add(&b) };
            }
            // 2^w·b = 2·(2^(w−1)·b)
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
            width,
            // Only a point of small order could cut the table short; a curve of prime order
            // has none, and `mul_add` fails on a digit beyond the table.
            windows: affine.len() / per_window,
            limbs,
            field: std::marker::PhantomData,
        }
    }

    /// A table with no windows: every multiplication with it fails.
    pub fn empty() -> Self {
        CombTable {
            width: 2,
            windows: 0,
            limbs: Vec::new(),
            field: std::marker::PhantomData,
        }
    }

    fn entry(&self, window: usize, multiple: usize) -> Option<Affine<F, N>> {
        let per_window = 1usize << (self.width - 1);
        if window >= self.windows || multiple == 0 || multiple > per_window {
            return None;
        }
        let start = (window * per_window + multiple - 1) * 2 * N;
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
        for (window, digit) in signed_digits(k_be, self.width).into_iter().enumerate() {
            if digit == 0 {
                continue;
            }
            let point = self
                .entry(window, digit.unsigned_abs() as usize)
                .ok_or(TableTooShort)?;
            let point = if digit < 0 { point.neg() } else { point };
            acc = accumulate(acc, &point);
        }
        Ok(acc)
    }
}

/// Signed base-`2^width` digits (`width` ≤ 8), least significant first: `k = Σ dᵢ·2^(width·i)`
/// with `dᵢ ∈ [−2^(width−1)+1, 2^(width−1)]`, and a final carry digit.
pub fn signed_digits(k_be: &[u8], width: u32) -> Vec<i16> {
    let bits = 8 * k_be.len();
    let windows = bits.div_ceil(width as usize);
    let radix = 1i16 << width;
    let mut digits = Vec::with_capacity(windows + 1);
    let mut carry = 0i16;
    for window in 0..windows {
        let v = bits_at(k_be, window * width as usize, width) as i16 + carry;
        if v > radix / 2 {
            digits.push(v - radix);
            carry = 1;
        } else {
            digits.push(v);
            carry = 0;
        }
    }
    digits.push(carry);
    digits
}

/// `width` (≤ 16) bits of the big-endian number `k` starting at bit `start` (bit 0 is the least
/// significant); bits beyond the number are zero.
pub fn bits_at(k_be: &[u8], start: usize, width: u32) -> u32 {
    let mut v = 0u32;
    for b in 0..width as usize {
        let bit = start + b;
        let Some(&byte) = k_be
            .len()
            .checked_sub(1 + bit / 8)
            .and_then(|i| k_be.get(i))
        else {
            break;
        };
        v |= u32::from((byte >> (bit % 8)) & 1) << b;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_recompose_the_scalar() {
        for width in 2..=8u32 {
            for k in [0u64, 1, 8, 9, 15, 16, 0x88, 0xff, 0xdead_beef, u64::MAX] {
                let digits = signed_digits(&k.to_be_bytes(), width);
                let half = 1i16 << (width - 1);
                assert!(
                    digits.iter().all(|&d| -half < d && d <= half),
                    "{k} w{width}: {digits:?}"
                );
                let value: i128 = digits
                    .iter()
                    .rev()
                    .fold(0i128, |acc, &d| (acc << width) + i128::from(d));
                assert_eq!(value, i128::from(k), "w{width}");
            }
        }
    }

    #[test]
    fn bit_windows() {
        let k = [0b1010_0000u8, 0b0000_0101];
        assert_eq!(bits_at(&k, 0, 4), 0b0101);
        assert_eq!(bits_at(&k, 2, 6), 0b00_0001);
        assert_eq!(bits_at(&k, 13, 8), 0b101, "past the top reads zeros");
        assert_eq!(bits_at(&k, 40, 8), 0);
    }
}
