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
//! third of the work. Two columns are computed at a time (register blocking): each limb loaded
//! serves two products. `R` is chosen above `4n` so that results need no conditional
//! subtraction between multiplications (Walter 1999: inputs below `2n` give outputs below
//! `2n`); only [`Modulus::finish`] reduces below n. Everything is variable-time: only public
//! values pass through here.

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

    /// `x·R mod n` (below 2n): into Montgomery form.
    pub fn to_mont(&self, x: &[u64], scratch: &mut Scratch) -> Limbs {
        self.mul(x, &self.r2, scratch)
    }

    /// `a·b·R⁻¹ mod n` (below 2n) for `a, b < 2n`.
    pub fn mul(&self, a: &[u64], b: &[u64], scratch: &mut Scratch) -> Limbs {
        let l = self.limbs();
        scratch.rev.clear();
        scratch.rev.extend(b.iter().rev());
        let b_rev = &scratch.rev;
        // Column c of a·b: Σ a[j]·b[c−j] over j ∈ [max(0, c+1−l), min(c+1, l)).
        let range = |c: usize| (c.saturating_sub(l - 1), (c + 1).min(l));
        self.reduce(
            |c| pair(a, b_rev, l, c, range(c), range(c + 1)),
            |c| column(a, b_rev, l, c, range(c)),
            &mut scratch.m,
        )
    }

    /// `a·a·R⁻¹ mod n` (below 2n) for `a < 2n`.
    pub fn square(&self, a: &[u64], scratch: &mut Scratch) -> Limbs {
        let l = self.limbs();
        scratch.rev.clear();
        scratch.rev.extend(a.iter().rev());
        let a_rev = &scratch.rev;
        // Column c of a·a: twice Σ a[j]·a[c−j] over the pairs j < c − j, plus a[c/2]² for even c.
        let range = |c: usize| (c.saturating_sub(l - 1), c.div_ceil(2));
        let middle = |c: usize| {
            if c % 2 == 0 {
                a[c / 2] * a[c / 2]
            } else {
                0
            }
        };
        self.reduce(
            |c| {
                let (s0, s1) = pair(a, a_rev, l, c, range(c), range(c + 1));
                (2 * s0 + middle(c), 2 * s1 + middle(c + 1))
            },
            |c| 2 * column(a, a_rev, l, c, range(c)) + middle(c),
            &mut scratch.m,
        )
    }

    /// Montgomery reduction interleaved with the product, column by column (FIPS), two columns
    /// at a time: `pair_product(c)` gives the product parts of columns c and c+1,
    /// `single_product(c)` of one column. Column c also sums `m[j]·n[c−j]` for the digits m
    /// already chosen, and then either chooses digit `m[c]` (c < l) or emits an output limb.
    fn reduce(
        &self,
        pair_product: impl Fn(usize) -> (u64, u64),
        single_product: impl Fn(usize) -> u64,
        m: &mut Vec<u64>,
    ) -> Limbs {
        let l = self.limbs();
        let n_rev = &self.n_rev;
        m.clear();
        m.resize(l, 0);
        let mut out = vec![0u64; l];
        let mut acc = 0u64;
        // Digits m[j] with j < c (and j < l) that column c uses.
        let m_range = |c: usize| (c.saturating_sub(l - 1), c.min(l));
        let mut c = 0;
        while c < 2 * l - 1 {
            if c + 2 < 2 * l - 1 {
                let (p0, p1) = pair_product(c);
                // Column c+1 would also use m[c], which column c has yet to choose: its range
                // stops below c here, and that term is added after the digit.
                let (lo1, hi1) = m_range(c + 1);
                let (q0, q1) = pair(m, n_rev, l, c, m_range(c), (lo1, hi1.min(c)));
                acc = self.column_end(acc + p0 + q0, c, m, &mut out);
                acc += p1 + q1;
                if c < l {
                    acc += m[c] * self.n[1 % l];
                }
                acc = self.column_end(acc, c + 1, m, &mut out);
                c += 2;
            } else {
                acc += single_product(c) + column(m, n_rev, l, c, m_range(c));
                acc = self.column_end(acc, c, m, &mut out);
                c += 1;
            }
        }
        out[l - 1] = acc;
        out
    }

    /// Finish column c: choose its digit (c < l) or emit its output limb; returns the carry.
    #[inline(always)]
    fn column_end(&self, acc: u64, c: usize, m: &mut [u64], out: &mut [u64]) -> u64 {
        if c < self.limbs() {
            self.digit(acc, &mut m[c])
        } else {
            out[c - self.limbs()] = acc & self.mask;
            acc >> self.w
        }
    }

    /// The Montgomery digit of a column: `m = acc·(−n⁻¹) mod 2^w`, so that `acc + m·n[0]` is a
    /// multiple of `2^w`; returns that sum's carry into the next column.
    #[inline(always)]
    fn digit(&self, acc: u64, m: &mut u64) -> u64 {
        let mk = ((acc & self.mask) * self.n0_inv) & self.mask;
        *m = mk;
        (acc + mk * self.n[0]) >> self.w
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
    rev: Vec<u64>,
    m: Vec<u64>,
}

/// `Σ x[j]·y[c−j]` over `j ∈ [lo, hi)`, with y read through its reversal
/// (`y[c−j] = y_rev[l−1−c+j]`) so both operands walk forwards.
fn column(x: &[u64], y_rev: &[u64], l: usize, c: usize, (lo, hi): (usize, usize)) -> u64 {
    if lo >= hi {
        return 0;
    }
    dot(&x[lo..hi], &y_rev[l + lo - 1 - c..])
}

/// Columns c and c+1 at once (ranges `r0`, `r1`): over their common j range each `x[j]` and
/// `y[c+1−j]` is loaded once and serves both columns (register blocking); the few terms outside
/// the common range are summed singly.
fn pair(
    x: &[u64],
    y_rev: &[u64],
    l: usize,
    c: usize,
    r0: (usize, usize),
    r1: (usize, usize),
) -> (u64, u64) {
    let (lo, hi) = (r0.0.max(r1.0), r0.1.min(r1.1));
    if lo >= hi {
        return (column(x, y_rev, l, c, r0), column(x, y_rev, l, c + 1, r1));
    }
    // Column c reads y_rev from l−1−c+lo, column c+1 one element earlier; lo ≥ r1.0 keeps
    // that index in range.
    let start = l + lo - 1 - c;
    let (s0, s1) = dot_pair(&x[lo..hi], &y_rev[start..], y_rev[start - 1]);
    (
        s0 + column(x, y_rev, l, c, (r0.0, lo)) + column(x, y_rev, l, c, (hi, r0.1)),
        s1 + column(x, y_rev, l, c + 1, (r1.0, lo)) + column(x, y_rev, l, c + 1, (hi, r1.1)),
    )
}

/// `(Σ x[t]·y[t], Σ x[t]·y[t−1])` with `y[−1] = before`: each y is loaded once and kept for the
/// next step.
fn dot_pair(x: &[u64], y: &[u64], before: u64) -> (u64, u64) {
    let mut previous = before;
    let (mut s0, mut s1) = (0u64, 0u64);
    for (&a, &current) in x.iter().zip(y) {
        s0 += a * current;
        s1 += a * previous;
        previous = current;
    }
    (s0, s1)
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
