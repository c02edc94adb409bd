//! Montgomery arithmetic modulo a large odd `n`, for the RSA public operation.
//!
//! Algorithm: Montgomery multiplication (Montgomery 1985) in the finely integrated product
//! scanning form ("FIPS", Koç–Acar–Kaliski 1996, §6), with a *reduced radix*: limbs hold `w`
//! bits (`w` = 28, or 27 for moduli above 3556 bits) in `u64` words, so a 64-bit product of two
//! limbs has `2w` bits and every product of a result column can be summed in one `u64` with no
//! carry handling at all. A column then costs two loads, a multiply and an add per product —
//! wasm32 has a native 64-bit multiply, and no carry chain serialises the inner loop.
//!
//! Bound: a column sums at most `2L` products (`L` limbs; `ab` and `mn` terms), each below
//! `2^(2w)`, plus the carry from the column before (below `2^(64-w+1)`). `L ≤ 127` at `w = 28`
//! and `L ≤ 511` at `w = 27` keep that below `2^64`; the constructor picks `w` accordingly.
//!
//! Squaring uses the symmetry of `a·a` (each cross product once, doubled), which saves about a
//! third of the work. Everything is variable-time: only public values pass through here.

/// Most limbs a 28-bit representation may have without overflowing a column (see the header).
const MAX_LIMBS_W28: usize = 127;
/// Most limbs at 27 bits.
const MAX_LIMBS_W27: usize = 511;

/// An odd modulus with its Montgomery constants, `R = 2^(w·L)`.
#[derive(Clone, PartialEq, Eq)]
pub struct Modulus {
    w: u32,
    mask: u64,
    /// Limbs of n, least significant first, each below `2^w`.
    n: Vec<u64>,
    /// The same limbs, most significant first (product scanning walks one operand backwards).
    n_rev: Vec<u64>,
    /// `-n⁻¹ mod 2^w`.
    n0_inv: u64,
    /// `R² mod n`.
    r2: Vec<u64>,
}

/// A residue in this crate's limb form. Values produced by [`Modulus`] are below n.
pub type Limbs = Vec<u64>;

impl Modulus {
    /// Prepare `n` (big-endian bytes, odd, at least 2 bits, at most `MAX_LIMBS_W27 · 27` bits).
    pub fn new(n_be: &[u8]) -> Option<Modulus> {
        let bits = be_bit_length(n_be);
        if bits < 2 || n_be.last().is_none_or(|&b| b & 1 == 0) {
            return None;
        }
        let w = if bits.div_ceil(28) <= MAX_LIMBS_W28 {
            28
        } else if bits.div_ceil(27) <= MAX_LIMBS_W27 {
            27
        } else {
            return None;
        };
        let len = bits.div_ceil(w as usize);
        let mask = (1u64 << w) - 1;
        let n = from_be(n_be, w, len);
        let n_rev: Vec<u64> = n.iter().rev().copied().collect();
        let n0_inv = neg_inverse(n[0]) & mask;
        let mut m = Modulus {
            w,
            mask,
            n,
            n_rev,
            n0_inv,
            r2: Vec::new(),
        };
        m.r2 = m.r_squared(bits);
        Some(m)
    }

    /// Limbs per residue.
    pub fn limbs(&self) -> usize {
        self.n.len()
    }

    /// `x` (big-endian bytes) as limbs if it is below n, else `None`.
    pub fn reduce_check(&self, x_be: &[u8]) -> Option<Limbs> {
        if be_bit_length(x_be) > self.limbs() * self.w as usize {
            return None;
        }
        let x = from_be(x_be, self.w, self.limbs());
        (cmp(&x, &self.n) == std::cmp::Ordering::Less).then_some(x)
    }

    /// `x` as exactly `out_len` big-endian bytes (x must fit).
    pub fn to_be(&self, x: &[u64], out_len: usize) -> Vec<u8> {
        to_be(x, self.w, out_len)
    }

    /// `x·R mod n`: into Montgomery form.
    pub fn to_mont(&self, x: &[u64]) -> Limbs {
        self.mul(x, &self.r2)
    }

    /// `a·b·R⁻¹ mod n` for `a, b < n`.
    pub fn mul(&self, a: &[u64], b: &[u64]) -> Limbs {
        let b_rev: Vec<u64> = b.iter().rev().copied().collect();
        self.reduce(|k, lo, hi| {
            // Σ a[j]·b[k−j] over the column's j range [lo, hi], with b read backwards.
            let l = self.limbs();
            dot(&a[lo..=hi], &b_rev[l - 1 - (k - lo)..])
        })
    }

    /// `a·a·R⁻¹ mod n` for `a < n`.
    pub fn square(&self, a: &[u64]) -> Limbs {
        let a_rev: Vec<u64> = a.iter().rev().copied().collect();
        self.reduce(|k, lo, hi| {
            // Σ a[j]·a[k−j] over [lo, hi] = 2·Σ over the pairs j < k−j, plus a[k/2]² if k is even.
            let l = self.limbs();
            let half = k.div_ceil(2); // first j with j ≥ k − j
            let cross = if half > lo {
                2 * dot(&a[lo..half], &a_rev[l - 1 - (k - lo)..])
            } else {
                0
            };
            if k % 2 == 0 && k / 2 <= hi {
                cross + a[k / 2] * a[k / 2]
            } else {
                cross
            }
        })
    }

    /// The shared FIPS loop: `column(k, lo, hi)` returns the product part of column `k`
    /// (`Σ_{j=lo}^{hi} a[j]·b[k−j]`); this adds the `m·n` part, picks each `m` digit and carries.
    fn reduce(&self, column: impl Fn(usize, usize, usize) -> u64) -> Limbs {
        let l = self.limbs();
        let (w, mask) = (self.w, self.mask);
        let mut m = vec![0u64; l];
        let mut out = vec![0u64; l + 1];
        let mut acc = 0u64;
        for k in 0..l {
            acc += column(k, 0, k);
            acc += dot(&m[..k], &self.n_rev[l - 1 - k..]);
            let mk = ((acc & mask) * self.n0_inv) & mask;
            m[k] = mk;
            acc += mk * self.n[0];
            acc >>= w; // the low w bits are now zero
        }
        for k in l..2 * l - 1 {
            let lo = k + 1 - l;
            acc += column(k, lo, l - 1);
            acc += dot(&m[lo..], &self.n_rev[..l - lo]);
            out[k - l] = acc & mask;
            acc >>= w;
        }
        out[l - 1] = acc & mask;
        out[l] = acc >> w;
        // out < 2n: one conditional subtraction brings it below n.
        if out[l] != 0 || cmp(&out[..l], &self.n) != std::cmp::Ordering::Less {
            self.sub_n(&mut out);
        }
        out.truncate(l);
        out
    }

    fn sub_n(&self, x: &mut [u64]) {
        let mut borrow = 0u64;
        for (i, xi) in x.iter_mut().enumerate() {
            let ni = self.n.get(i).copied().unwrap_or(0);
            let d = xi.wrapping_sub(ni).wrapping_sub(borrow);
            *xi = d & self.mask;
            borrow = d >> 63;
        }
    }

    /// `R² mod n`: doubling `2^(bits−1)` (below n) reaches `2^(wL + L) mod n`, the Montgomery
    /// form of `2^L`; raising that to the `w`-th power in Montgomery form gives the form of
    /// `2^(wL) = R`, which is `R² mod n`.
    fn r_squared(&self, bits: usize) -> Limbs {
        let l = self.limbs();
        let w = self.w as usize;
        let mut x = vec![0u64; l];
        x[(bits - 1) / w] = 1 << ((bits - 1) % w);
        for _ in 0..(w * l + l + 1 - bits) {
            self.double(&mut x);
        }
        let base = x.clone();
        for bit in (0..31 - self.w.leading_zeros()).rev() {
            x = self.square(&x);
            if (self.w >> bit) & 1 == 1 {
                x = self.mul(&x, &base);
            }
        }
        x
    }

    /// `x = 2x mod n` for `x < n`.
    fn double(&self, x: &mut [u64]) {
        let mut carry = 0;
        for xi in x.iter_mut() {
            let d = (*xi << 1) | carry;
            *xi = d & self.mask;
            carry = d >> self.w;
        }
        if carry != 0 || cmp(x, &self.n) != std::cmp::Ordering::Less {
            // The carry limb is implicit: subtracting n from (carry·2^(wL) + x) wraps exactly.
            self.sub_n(x);
        }
    }
}

/// `Σ x[i]·y[i]` over the shorter length. Callers keep it below 2^64 (see the header); plain
/// arithmetic so that debug builds (the test suite) would trap if that bound were ever wrong.
fn dot(x: &[u64], y: &[u64]) -> u64 {
    x.iter().zip(y).fold(0u64, |acc, (&a, &b)| acc + a * b)
}

/// `-x⁻¹ mod 2^64` for odd `x`, by Newton iteration.
fn neg_inverse(x: u64) -> u64 {
    let mut inv = x; // correct to 3 bits
    for _ in 0..5 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(x.wrapping_mul(inv)));
    }
    inv.wrapping_neg()
}

fn cmp(a: &[u64], b: &[u64]) -> std::cmp::Ordering {
    for i in (0..a.len().max(b.len())).rev() {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        if x != y {
            return x.cmp(&y);
        }
    }
    std::cmp::Ordering::Equal
}

fn be_bit_length(be: &[u8]) -> usize {
    let skip = be.iter().take_while(|&&b| b == 0).count();
    match be.get(skip) {
        None => 0,
        Some(&top) => (be.len() - skip) * 8 - top.leading_zeros() as usize,
    }
}

/// Big-endian bytes to `len` limbs of `w` bits (the value must fit).
fn from_be(be: &[u8], w: u32, len: usize) -> Limbs {
    let mask = (1u64 << w) - 1;
    let mut out = vec![0u64; len];
    let (mut acc, mut acc_bits, mut i) = (0u64, 0u32, 0usize);
    for &byte in be.iter().rev() {
        acc |= u64::from(byte) << acc_bits;
        acc_bits += 8;
        if acc_bits >= w {
            if let Some(limb) = out.get_mut(i) {
                *limb = acc & mask;
            }
            acc >>= w;
            acc_bits -= w;
            i += 1;
        }
    }
    if let Some(limb) = out.get_mut(i) {
        *limb = acc;
    }
    out
}

/// Limbs of `w` bits to exactly `len` big-endian bytes (the value must fit).
fn to_be(x: &[u64], w: u32, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    let (mut acc, mut acc_bits) = (0u64, 0u32);
    let mut limbs = x.iter();
    for byte in out.iter_mut().rev() {
        if acc_bits < 8 {
            if let Some(&limb) = limbs.next() {
                acc |= limb << acc_bits;
                acc_bits += w;
            }
        }
        *byte = acc as u8;
        acc >>= 8;
        acc_bits = acc_bits.saturating_sub(8);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limbs_round_trip_in_both_widths() {
        let bytes: Vec<u8> = (1..=40u8).collect();
        for w in [27, 28] {
            let len = (40 * 8usize).div_ceil(w as usize);
            let limbs = from_be(&bytes, w, len);
            assert!(limbs.iter().all(|&l| l < 1 << w));
            assert_eq!(to_be(&limbs, w, 40), bytes, "w = {w}");
            assert_eq!(to_be(&limbs, w, 42)[2..], bytes[..], "w = {w}, padded");
        }
    }

    #[test]
    fn negative_inverse() {
        for x in [1u64, 3, 0xfff_ffff, 0x123_4567, 65537] {
            assert_eq!(x.wrapping_mul(neg_inverse(x)), u64::MAX);
        }
    }

    #[test]
    fn small_modulus_by_hand() {
        // n = 3233, R = 2^28: 65·R mod n, then back out with a multiplication by 1.
        let m = Modulus::new(&3233u16.to_be_bytes()).expect("odd modulus");
        let x = m.reduce_check(&[65]).expect("below n");
        let xm = m.to_mont(&x);
        assert_eq!(xm, vec![(65u64 << 28) % 3233]);
        assert_eq!(m.mul(&xm, &[1]), vec![65]);
        assert_eq!(m.square(&xm), m.mul(&xm, &xm));
        assert_eq!(m.reduce_check(&3233u16.to_be_bytes()), None);
        assert!(Modulus::new(&[0x0c, 0xa0]).is_none(), "even");
    }
}
