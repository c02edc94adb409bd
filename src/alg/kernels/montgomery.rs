//! Montgomery arithmetic modulo a large odd `n`, for the RSA public operation.
//!
//! Algorithm: Montgomery multiplication (Montgomery 1985) by rows ("separated operand
//! scanning", Koç–Acar–Kaliski 1996, §3) with a *reduced radix* and lazy carries: limbs hold
//! `w` bits (`w` = 28, or 27 for moduli above 3556 bits) in `u64` words, so a 64-bit product of
//! two limbs has `2w` bits and every product that lands in one column of the double-width
//! accumulator can be summed in its `u64` with no carry handling at all. A row adds `x·y[j]`
//! into the accumulator for every j: one multiply and one add per product, in loops as long as
//! the modulus, and the only carry per column is passed on once its Montgomery digit is chosen.
//! A product is formed first (rows of `a·b`, or the cross products of a square), then reduced
//! by one routine (`Modulus::reduce`); both passes take rows two at a time, so each
//! accumulator word is loaded and stored once per two rows.
//!
//! Bound: a column sums at most `2L` products (`L` limbs; `ab` and `mn` terms), each below
//! `2^(2w)`, plus the carry from the column before (below `2^(64-w+1)`). `L ≤ 127` at `w = 28`
//! and `L ≤ 511` at `w = 27` keep that below `2^64`; the constructor picks `w` accordingly.
//!
//! Squaring forms each cross product `a[i]·a[j]` (i < j) once, doubles the columns and adds
//! the squares, which saves a third of the work. `R` is chosen above `4n` so that results
//! need no conditional subtraction between multiplications (Walter 1999: inputs below `2n`
//! give outputs below `2n`); only [`Modulus::finish`] reduces below n. Everything is
//! variable-time: only public values pass through here. Debug builds (the test suite) check
//! every addition for overflow, so a wrong bound would trap there.

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
    /// `-n⁻¹ mod 2^w`.
    n0_inv: u64,
    /// `R² mod n`.
    r2: Vec<u64>,
}

/// A residue in this crate's limb form: below `2n` from [`Modulus::mul`] and
/// [`Modulus::square`], below n from [`Modulus::finish`].
pub type Limbs = Vec<u64>;

impl Modulus {
    /// Prepare `n` (big-endian bytes, odd, at least 2 bits, at most `MAX_LIMBS_W27 · 27` bits).
    pub fn new(n_be: &[u8]) -> Option<Modulus> {
        let bits = be_bit_length(n_be);
        if bits < 2 || n_be.last().is_none_or(|&b| b & 1 == 0) {
            return None;
        }
        // Two spare bits: R = 2^(w·L) > 4n.
        let w = if (bits + 2).div_ceil(28) <= MAX_LIMBS_W28 {
            28
        } else if (bits + 2).div_ceil(27) <= MAX_LIMBS_W27 {
            27
        } else {
            return None;
        };
        let len = (bits + 2).div_ceil(w as usize);
        let mask = (1u64 << w) - 1;
        let n = from_be(n_be, w, len);
        let n0_inv = neg_inverse(n[0]) & mask;
        let mut m = Modulus {
            w,
            mask,
            n,
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

    /// `x·R mod n` (below 2n): into Montgomery form.
    pub fn to_mont(&self, x: &[u64], scratch: &mut Scratch) -> Limbs {
        self.mul(x, &self.r2, scratch)
    }

    /// `a·b·R⁻¹ mod n` (below 2n) for `a, b < 2n`.
    pub fn mul(&self, a: &[u64], b: &[u64], scratch: &mut Scratch) -> Limbs {
        let l = self.limbs();
        let Scratch {
            t,
            a: a_buf,
            b: b_buf,
        } = scratch;
        let a = padded(a, l, a_buf);
        let b = padded(b, l, b_buf);
        t.clear();
        t.resize(2 * l + 1, 0);
        // Rows a·b[i] and a·b[i+1] together: row i reaches columns i … i+l−1, row i+1 one more.
        let mut i = 0;
        while i + 1 < l {
            let (b0, b1) = (b[i], b[i + 1]);
            t[i] += a[0] * b0;
            for ((tj, &aj), &a_prev) in t[i + 1..i + l].iter_mut().zip(&a[1..]).zip(a) {
                *tj += aj * b0 + a_prev * b1;
            }
            t[i + l] += a[l - 1] * b1;
            i += 2;
        }
        if i < l {
            let bi = b[i];
            for (tj, &aj) in t[i..i + l].iter_mut().zip(a) {
                *tj += aj * bi;
            }
        }
        self.reduce(t);
        self.high_half(t)
    }

    /// `a·a·R⁻¹ mod n` (below 2n) for `a < 2n`.
    pub fn square(&self, a: &[u64], scratch: &mut Scratch) -> Limbs {
        let l = self.limbs();
        let Scratch { t, a: a_buf, .. } = scratch;
        let a = padded(a, l, a_buf);
        t.clear();
        t.resize(2 * l + 1, 0);
        // Cross products a[i]·a[j] (i < j), rows i and i+1 together: row i reaches columns
        // 2i+1 … i+l−1, row i+1 columns 2i+3 … i+l.
        let mut i = 0;
        while i + 2 < l {
            let (x0, x1) = (a[i], a[i + 1]);
            t[2 * i + 1] += x0 * x1;
            t[2 * i + 2] += x0 * a[i + 2];
            for ((tj, &p), &q) in t[2 * i + 3..i + l]
                .iter_mut()
                .zip(&a[i + 3..])
                .zip(&a[i + 2..])
            {
                *tj += x0 * p + x1 * q;
            }
            t[i + l] += x1 * a[l - 1];
            i += 2;
        }
        if i + 1 < l {
            t[2 * i + 1] += a[i] * a[i + 1];
        }
        // Doubled, plus the squares.
        for (k, &ak) in a.iter().enumerate() {
            t[2 * k] = 2 * t[2 * k] + ak * ak;
            t[2 * k + 1] *= 2;
        }
        self.reduce(t);
        self.high_half(t)
    }

    /// Montgomery reduction of the product in `t` (`2l + 1` words), rows two at a time: after
    /// it, the low `l` columns are zero and the high half holds the result, carries pending.
    fn reduce(&self, t: &mut [u64]) {
        let l = self.limbs();
        let (n, mask, n0_inv) = (&self.n[..], self.mask, self.n0_inv);
        let mut i = 0;
        while i + 1 < l {
            let m0 = ((t[i] & mask) * n0_inv) & mask;
            let c0 = (t[i] + m0 * n[0]) >> self.w;
            let m1 = (((t[i + 1] + m0 * n[1] + c0) & mask) * n0_inv) & mask;
            for ((tj, &nj), &n_prev) in t[i + 1..i + l].iter_mut().zip(&n[1..]).zip(n) {
                *tj += m0 * nj + m1 * n_prev;
            }
            t[i + l] += m1 * n[l - 1];
            t[i + 1] += c0;
            let c1 = t[i + 1] >> self.w;
            t[i + 2] += c1;
            i += 2;
        }
        if i < l {
            let m = ((t[i] & mask) * n0_inv) & mask;
            for (tj, &nj) in t[i..i + l].iter_mut().zip(n) {
                *tj += m * nj;
            }
            let carry = t[i] >> self.w;
            t[i + 1] += carry;
        }
    }

    /// The high half of a reduced accumulator as limbs, its pending carries propagated. The
    /// value is below `2n < R`, so nothing carries out of the top limb.
    fn high_half(&self, t: &[u64]) -> Limbs {
        let l = self.limbs();
        let mut out = vec![0u64; l];
        let mut carry = 0u64;
        for (limb, &word) in out.iter_mut().zip(&t[l..]) {
            let v = word + carry;
            *limb = v & self.mask;
            carry = v >> self.w;
        }
        debug_assert_eq!(carry, 0, "a Montgomery result is below R");
        out
    }

    /// Reduce a result below `2n` to the canonical residue below n.
    pub fn finish(&self, mut x: Limbs) -> Limbs {
        if cmp(&x, &self.n) != std::cmp::Ordering::Less {
            self.sub_n(&mut x);
        }
        x
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
        let mut scratch = Scratch::default();
        for bit in (0..31 - self.w.leading_zeros()).rev() {
            x = self.square(&x, &mut scratch);
            if (self.w >> bit) & 1 == 1 {
                x = self.mul(&x, &base, &mut scratch);
            }
        }
        self.finish(x)
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

/// Buffers reused across the multiplications of one exponentiation.
#[derive(Default)]
pub struct Scratch {
    /// The double-width accumulator.
    t: Vec<u64>,
    /// Operands shorter than the modulus, zero-extended.
    a: Vec<u64>,
    b: Vec<u64>,
}

/// `x` as exactly `l` limbs: itself when it has them, else zero-extended (or cut) into `buf`.
fn padded<'a>(x: &'a [u64], l: usize, buf: &'a mut Vec<u64>) -> &'a [u64] {
    if x.len() == l {
        return x;
    }
    buf.clear();
    buf.extend(x.iter().take(l));
    buf.resize(l, 0);
    buf
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

/// Bits in the big-endian number `be`.
pub(crate) fn be_bit_length(be: &[u8]) -> usize {
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
        let mut scratch = Scratch::default();
        let xm = m.finish(m.to_mont(&x, &mut scratch));
        assert_eq!(xm, vec![(65u64 << 28) % 3233]);
        assert_eq!(m.finish(m.mul(&xm, &[1], &mut scratch)), vec![65]);
        assert_eq!(m.square(&xm, &mut scratch), m.mul(&xm, &xm, &mut scratch));
        assert_eq!(m.reduce_check(&3233u16.to_be_bytes()), None);
        assert!(Modulus::new(&[0x0c, 0xa0]).is_none(), "even");
    }
}
