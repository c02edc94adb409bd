//! Arithmetic modulo the NIST primes p-256 and p-384, for verification only.
//!
//! Representation: `N` signed 28-bit limbs in `i64` (10 limbs for P-256, 14 for P-384), in
//! Montgomery form with `R = 2^(28·N)`. The radix leaves headroom in every limb, so
//!
//! * a product `a·b` is schoolbook over `i64` with no carry handling (each column sums at most
//!   `N` products below `2^58`), which wasm32 runs as plain `i64.mul`/`i64.add`;
//! * addition and subtraction are limb-wise with no carries, and a limb may be negative: values
//!   are integers representing their class mod p, and only [`Fe::is_zero`] / [`Fe::to_bytes`]
//!   reduce to the canonical residue;
//! * Montgomery reduction needs no multiplications: both primes are `≡ −1 (mod 2^32)`, so the
//!   Montgomery digit is the limb itself (`−p⁻¹ ≡ 1 mod 2^28`), and adding `m·p` is adding `m`
//!   shifted to the four other powers of two in p (p-256 = 2^256 − 2^224 + 2^192 + 2^96 − 1,
//!   p-384 = 2^384 − 2^128 − 2^96 + 2^32 − 1). This is word-by-word Montgomery reduction
//!   (Montgomery 1985) specialised to a sparse modulus, as in Gueron–Krasnov, "Fast prime field
//!   elliptic-curve cryptography with 256-bit primes" (2014), here in a reduced radix.
//!
//! Bounds (checked by overflow-trapping arithmetic in the test suite): inputs to [`Fe::mul`]
//! have limbs of magnitude below 2^29.6, so a column stays below `14 · 2^58.6 < 2^63`. Every
//! product comes out carried (limbs in `[0, 2^28)`, the top limb signed) with a value in
//! `(−p/2^20, 1.001·p)`; sums and differences of a few such values are safe to multiply, and
//! [`Fe::carry`] brings anything else back into shape.
//!
//! Variable-time on purpose: only public values (keys, signatures, digests) pass through here.

use std::marker::PhantomData;

pub const LIMB_BITS: u32 = 28;
const MASK: i64 = (1 << LIMB_BITS) - 1;

/// One term `sign · m · 2^(28·offset + shift)` of `m·(p + 1)`: what Montgomery reduction adds
/// at limb `i + offset` when it clears limb `i` with digit `m`.
#[derive(Clone, Copy)]
pub struct Term {
    pub offset: usize,
    pub shift: u32,
    /// +1 or −1.
    pub sign: i64,
}

/// A prime field of the shape above.
pub trait FieldSpec<const N: usize>: Copy + 'static {
    /// p in 28-bit limbs.
    const P: [i64; N];
    /// The four powers of two in p besides −1.
    const TERMS: [Term; 4];
    /// `R² mod p`, to enter Montgomery form.
    const R2: [i64; N];
    /// Bytes in a canonical encoding.
    const BYTES: usize;

    // The hot loops, written out limb by limb for each field by `unrolled_field_ops!`: with
    // constant indices the compiler keeps everything in registers (locals, in wasm).

    /// `a·b·R⁻¹`, carried.
    fn mul_reduce(a: &[i64; N], b: &[i64; N]) -> [i64; N];
    /// `a²·R⁻¹`, carried; each cross product computed once and doubled.
    fn square_reduce(a: &[i64; N]) -> [i64; N];
    /// Carry propagation (see [`Fe::carry`]).
    fn carry(limbs: [i64; N]) -> [i64; N];
}

/// The bodies of [`FieldSpec`]'s hot loops for one field, given its limb indices `0 … N−1` and
/// its column indices `0 … 2N−2`. Index lists are passed down whole (`$all`) so that every
/// column can pair every `i` with `k − i`; the conditions on literal indices fold away.
///
/// The product is computed column by column with the Montgomery reduction interleaved ("FIPS"
/// order, Koç–Acar–Kaliski 1996): column k sums its products, the digits `m` already chosen
/// contribute their shifted terms, and then either the next digit is taken (k < N) or an output
/// limb is (k ≥ N). Only one accumulator is live at a time.
macro_rules! unrolled_field_ops {
    ($n:literal; $is:tt; [$($k:literal)*]) => {
        // The digit store of the last columns sits in a branch that folds away, which the
        // liveness lint reads as a dead assignment.
        #[allow(unused_assignments)]
        #[inline(always)]
        fn mul_reduce(a: &[i64; $n], b: &[i64; $n]) -> [i64; $n] {
            let mut m = [0i64; $n];
            let mut out = [0i64; $n];
            let mut acc = 0i64;
            $(
                unrolled_field_ops!(@mul_column acc a b $n $k $is);
                unrolled_field_ops!(@reduce_column acc m out $n $k);
            )*
            out[$n - 1] = acc;
            out
        }

        #[allow(unused_assignments)]
        #[inline(always)]
        fn square_reduce(a: &[i64; $n]) -> [i64; $n] {
            let mut m = [0i64; $n];
            let mut out = [0i64; $n];
            let mut acc = 0i64;
            $(
                unrolled_field_ops!(@square_column acc a $n $k $is);
                unrolled_field_ops!(@reduce_column acc m out $n $k);
            )*
            out[$n - 1] = acc;
            out
        }

        #[inline(always)]
        fn carry(mut limbs: [i64; $n]) -> [i64; $n] {
            unrolled_field_ops!(@carry limbs $n $is);
            limbs
        }
    };
    // Σ a[i]·b[k−i] over the valid i.
    (@mul_column $acc:ident $a:ident $b:ident $n:literal $k:literal [$($i:literal)*]) => {
        $( if $i <= $k && $k - $i < $n { $acc += $a[$i] * $b[($k - $i) % $n]; } )*
    };
    // Σ a[i]·a[k−i] = 2·Σ_{i < k−i} a[i]·a[k−i] + a[k/2]² (k even).
    (@square_column $acc:ident $a:ident $n:literal $k:literal [$($i:literal)*]) => {
        $( if $i <= $k && $i < $k - $i && $k - $i < $n { $acc += 2 * $a[$i] * $a[($k - $i) % $n]; } )*
        if $k % 2 == 0 && $k / 2 < $n { $acc += $a[$k / 2 % $n] * $a[$k / 2 % $n]; }
    };
    (@carry $limbs:ident $n:literal [$($i:literal)*]) => {
        $(
            if $i + 1 < $n {
                $limbs[($i + 1) % $n] += $limbs[$i] >> LIMB_BITS;
                $limbs[$i] &= MASK;
            }
        )*
    };
    // The tail of column k: the terms of the digits chosen so far, then a digit or an output limb.
    (@reduce_column $acc:ident $m:ident $out:ident $n:literal $k:literal) => {
        for term in Self::TERMS {
            if $k >= term.offset && $k - term.offset < $n {
                $acc += term.sign * ($m[($k - term.offset) % $n] << term.shift);
            }
        }
        if $k < $n {
            // The column's low bits are the digit m (−p⁻¹ ≡ 1 mod 2^28); adding m·(−1) clears
            // them, and the rest moves up as a carry.
            $m[$k % $n] = $acc & MASK;
        } else {
            $out[($k - $n) % $n] = $acc & MASK;
        }
        $acc >>= LIMB_BITS;
    };
}

/// A field element (in Montgomery form).
#[derive(Clone, Copy)]
pub struct Fe<F: FieldSpec<N>, const N: usize> {
    limbs: [i64; N],
    field: PhantomData<F>,
}

impl<F: FieldSpec<N>, const N: usize> Fe<F, N> {
    const fn from_limbs(limbs: [i64; N]) -> Self {
        Fe {
            limbs,
            field: PhantomData,
        }
    }

    pub const ZERO: Self = Self::from_limbs([0; N]);

    /// One, in Montgomery form.
    pub fn one() -> Self {
        let mut one = [0; N];
        one[0] = 1;
        Self::from_limbs(one).to_mont()
    }

    /// The canonical big-endian encoding of an integer below p, or `None` if it is not below p
    /// or not `F::BYTES` long.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != F::BYTES {
            return None;
        }
        let raw = Self::from_limbs(limbs_from_be(bytes));
        if !raw.lt_p() {
            return None;
        }
        Some(raw.to_mont())
    }

    /// The canonical big-endian encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut plain = self.mul(&Self::from_limbs(unit()));
        plain.reduce_canonical();
        limbs_to_be(&plain.limbs, F::BYTES)
    }

    fn to_mont(self) -> Self {
        self.mul(&Self::from_limbs(F::R2))
    }

    pub fn add(&self, other: &Self) -> Self {
        let mut out = self.limbs;
        for (o, b) in out.iter_mut().zip(&other.limbs) {
            *o += b;
        }
        Self::from_limbs(out)
    }

    pub fn sub(&self, other: &Self) -> Self {
        let mut out = self.limbs;
        for (o, b) in out.iter_mut().zip(&other.limbs) {
            *o -= b;
        }
        Self::from_limbs(out)
    }

    pub fn neg(&self) -> Self {
        Self::ZERO.sub(self)
    }

    /// `k·self`, carried.
    pub fn mul_small(&self, k: i64) -> Self {
        let mut out = self.limbs;
        for o in out.iter_mut() {
            *o *= k;
        }
        Self::from_limbs(out).carry()
    }

    /// Propagate carries: limbs below the top in `[0, 2^28)`, the top limb signed.
    pub fn carry(&self) -> Self {
        Self::from_limbs(F::carry(self.limbs))
    }

    /// `self·other·R⁻¹ mod p`. Kept out of line: inlined into every point formula it made
    /// functions so large that the wasm engine compiled them worse.
    #[inline(never)]
    pub fn mul(&self, other: &Self) -> Self {
        Self::from_limbs(F::mul_reduce(&self.limbs, &other.limbs))
    }

    /// `self²·R⁻¹ mod p`: each cross product once, doubled.
    #[inline(never)]
    pub fn square(&self) -> Self {
        Self::from_limbs(F::square_reduce(&self.limbs))
    }

    /// `self^(p−2)`, the inverse of a non-zero element (Fermat); zero maps to zero.
    pub fn invert(&self) -> Self {
        let mut exponent = F::P;
        exponent[0] -= 2; // p is odd and its low limb is 2^28 − 1: no borrow
        self.pow(&exponent)
    }

    /// A square root, if there is one: `self^((p+1)/4)`, which squares back to `self` exactly
    /// when `self` is a square, as `p ≡ 3 (mod 4)` for all three primes.
    pub fn sqrt(&self) -> Option<Self> {
        // (p + 1)/4 in carried limbs: p + 1, carried, then shifted right by two bits.
        let mut exponent = F::P;
        exponent[0] += 1;
        let mut exponent = F::carry(exponent);
        for i in 0..N {
            let next = exponent.get(i + 1).copied().unwrap_or(0);
            exponent[i] = (exponent[i] >> 2) | ((next & 3) << (LIMB_BITS - 2));
        }
        let root = self.pow(&exponent);
        root.square().equals(self).then_some(root)
    }

    /// `self^k` for `k` in carried, non-negative limbs (left-to-right square and multiply).
    fn pow(&self, exponent: &[i64; N]) -> Self {
        let mut acc = Self::one();
        for i in (0..N).rev() {
            for bit in (0..LIMB_BITS).rev() {
                acc = acc.square();
                if (exponent[i] >> bit) & 1 == 1 {
                    acc = acc.mul(self);
                }
            }
        }
        acc
    }

    /// The canonical residue's limbs (each in `[0, 2^28)`), still in Montgomery form: the
    /// compact form for tables.
    pub fn canonical_limbs(&self) -> [i64; N] {
        let mut v = *self;
        v.reduce_canonical();
        v.limbs
    }

    /// The inverse of [`canonical_limbs`](Self::canonical_limbs), from words below 2^28.
    pub fn from_canonical_limbs(words: &[u32]) -> Self {
        let mut limbs = [0i64; N];
        for (l, &w) in limbs.iter_mut().zip(words) {
            *l = i64::from(w);
        }
        Self::from_limbs(limbs)
    }

    /// Is the element ≡ 0 (mod p)?
    pub fn is_zero(&self) -> bool {
        let mut v = *self;
        v.reduce_canonical();
        v.limbs.iter().all(|&l| l == 0)
    }

    pub fn equals(&self, other: &Self) -> bool {
        self.sub(other).is_zero()
    }

    /// Reduce to the canonical residue in `[0, p)`, carried. Values here are small multiples of p
    /// at most, so the loops run a few times.
    fn reduce_canonical(&mut self) {
        *self = self.carry();
        while self.limbs[N - 1] < 0 {
            *self = self.add(&Self::from_limbs(F::P)).carry();
        }
        while !self.lt_p() {
            *self = self.sub(&Self::from_limbs(F::P)).carry();
        }
    }

    /// For a carried, non-negative value: is it below p?
    fn lt_p(&self) -> bool {
        for i in (0..N).rev() {
            if self.limbs[i] != F::P[i] {
                return self.limbs[i] < F::P[i];
            }
        }
        false
    }
}

fn unit<const N: usize>() -> [i64; N] {
    let mut one = [0; N];
    one[0] = 1;
    one
}

/// Big-endian bytes to carried 28-bit limbs; bits beyond `28·N` are dropped (callers pass at
/// most `28·N − 1` bits).
fn limbs_from_be<const N: usize>(bytes: &[u8]) -> [i64; N] {
    let mut out = [0i64; N];
    let (mut acc, mut bits, mut i) = (0i64, 0u32, 0usize);
    for &byte in bytes.iter().rev() {
        acc |= i64::from(byte) << bits;
        bits += 8;
        if bits >= LIMB_BITS {
            if let Some(limb) = out.get_mut(i) {
                *limb = acc & MASK;
            }
            acc >>= LIMB_BITS;
            bits -= LIMB_BITS;
            i += 1;
        }
    }
    if let Some(limb) = out.get_mut(i) {
        *limb = acc;
    }
    out
}

/// Carried, non-negative limbs to exactly `len` big-endian bytes.
fn limbs_to_be(limbs: &[i64], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    let (mut acc, mut bits) = (0i64, 0u32);
    let mut next = limbs.iter();
    for byte in out.iter_mut().rev() {
        if bits < 8 {
            if let Some(&limb) = next.next() {
                acc |= limb << bits;
                bits += LIMB_BITS;
            }
        }
        *byte = acc as u8;
        acc >>= 8;
        bits = bits.saturating_sub(8);
    }
    out
}

/// The field of P-256: p = 2^256 − 2^224 + 2^192 + 2^96 − 1.
#[derive(Clone, Copy)]
pub struct P256Field;

impl FieldSpec<10> for P256Field {
    const P: [i64; 10] = [
        0xfff_ffff, 0xfff_ffff, 0xfff_ffff, 0xfff, 0, 0, 0x100_0000, 0, 0xfff_ffff, 0xf,
    ];
    // 2^96 = 2^(3·28 + 12), 2^192 = 2^(6·28 + 24), 2^224 = 2^(8·28), 2^256 = 2^(9·28 + 4).
    const TERMS: [Term; 4] = [
        Term {
            offset: 3,
            shift: 12,
            sign: 1,
        },
        Term {
            offset: 6,
            shift: 24,
            sign: 1,
        },
        Term {
            offset: 8,
            shift: 0,
            sign: -1,
        },
        Term {
            offset: 9,
            shift: 4,
            sign: 1,
        },
    ];
    const R2: [i64; 10] = [
        327_680,
        3_145_728,
        0,
        0,
        268_435_450,
        268_435_391,
        268_435_199,
        268_414_975,
        196_607,
        0,
    ];
    const BYTES: usize = 32;

    unrolled_field_ops!(10; [0 1 2 3 4 5 6 7 8 9]; [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18]);
}

/// The field of P-384: p = 2^384 − 2^128 − 2^96 + 2^32 − 1.
#[derive(Clone, Copy)]
pub struct P384Field;

impl FieldSpec<14> for P384Field {
    const P: [i64; 14] = [
        0xfff_ffff, 0xf, 0, 0xfff_f000, 0xffe_ffff, 0xfff_ffff, 0xfff_ffff, 0xfff_ffff, 0xfff_ffff,
        0xfff_ffff, 0xfff_ffff, 0xfff_ffff, 0xfff_ffff, 0xf_ffff,
    ];
    // 2^32 = 2^(28 + 4), 2^96 = 2^(3·28 + 12), 2^128 = 2^(4·28 + 16), 2^384 = 2^(13·28 + 20).
    const TERMS: [Term; 4] = [
        Term {
            offset: 1,
            shift: 4,
            sign: 1,
        },
        Term {
            offset: 3,
            shift: 12,
            sign: -1,
        },
        Term {
            offset: 4,
            shift: 16,
            sign: -1,
        },
        Term {
            offset: 13,
            shift: 20,
            sign: 1,
        },
    ];
    const R2: [i64; 14] = [
        65_536,
        266_338_304,
        16_777_215,
        0,
        2,
        0,
        268_434_944,
        4_095,
        131_072,
        1_048_576,
        0,
        0,
        0,
        0,
    ];
    const BYTES: usize = 48;

    unrolled_field_ops!(14; [0 1 2 3 4 5 6 7 8 9 10 11 12 13];
        [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26]);
}

/// The field of P-521: the Mersenne prime p = 2^521 − 1.
///
/// 19 limbs (532 bits, so `R = 2^532`). Montgomery reduction has a single term, `m·2^521`,
/// and the other three are zero (they fold away). Nineteen limbs leave less headroom in a
/// product column than fourteen: operands must keep their limbs below 2^29 in magnitude (the
/// point formulas do, see `jacobian`), so a column sums at most 18 products below 2^58 plus
/// the small top-limb products, carry and reduction term: below 2^62.2.
#[derive(Clone, Copy)]
pub struct P521Field;

/// A term that adds nothing: P-521 needs one term, the trait has room for four.
const NO_TERM: Term = Term {
    offset: 0,
    shift: 0,
    sign: 0,
};

impl FieldSpec<19> for P521Field {
    const P: [i64; 19] = [
        0xfff_ffff, 0xfff_ffff, 0xfff_ffff, 0xfff_ffff, 0xfff_ffff, 0xfff_ffff, 0xfff_ffff,
        0xfff_ffff, 0xfff_ffff, 0xfff_ffff, 0xfff_ffff, 0xfff_ffff, 0xfff_ffff, 0xfff_ffff,
        0xfff_ffff, 0xfff_ffff, 0xfff_ffff, 0xfff_ffff, 0x1_ffff,
    ];
    // 2^521 = 2^(18·28 + 17).
    const TERMS: [Term; 4] = [
        Term {
            offset: 18,
            shift: 17,
            sign: 1,
        },
        NO_TERM,
        NO_TERM,
        NO_TERM,
    ];
    // R² = 2^1064 = 2^(2·521 + 22) ≡ 2^22 (mod 2^521 − 1).
    const R2: [i64; 19] = {
        let mut r2 = [0; 19];
        r2[0] = 1 << 22;
        r2
    };
    const BYTES: usize = 66;

    unrolled_field_ops!(19; [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18];
        [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32
         33 34 35 36]);
}

#[cfg(test)]
mod tests {
    //! Every operation against crypto-bigint's modular arithmetic, on random and edge values.
    use super::*;
    use crypto_bigint::{BoxedUint, NonZero};
    use proptest::prelude::*;

    /// Enough bits for P-521 seeds and the `2^532` of its Montgomery radix.
    const PRECISION: u32 = 1152;

    fn big(bytes: &[u8]) -> BoxedUint {
        BoxedUint::from_be_slice(bytes, PRECISION).expect("fits")
    }

    fn p_big<F: FieldSpec<N>, const N: usize>() -> NonZero<BoxedUint> {
        let p = Fe::<F, N>::from_limbs(F::P);
        NonZero::new(big(&limbs_to_be(&p.limbs, F::BYTES))).expect("p is not zero")
    }

    fn bytes_of(x: &BoxedUint, len: usize) -> Vec<u8> {
        let b = x.to_be_bytes();
        b[b.len() - len..].to_vec()
    }

    /// A value below p from arbitrary bytes: mostly random, sometimes an edge value.
    fn element<F: FieldSpec<N>, const N: usize>(seed: &[u8], edge: u8) -> Vec<u8> {
        let p = p_big::<F, N>();
        let value = match edge % 8 {
            0 => BoxedUint::zero_with_precision(PRECISION),
            1 => BoxedUint::one_with_precision(PRECISION),
            2 => p.wrapping_sub(BoxedUint::one_with_precision(PRECISION)),
            3 => p.wrapping_sub(big(&[2])),
            _ => big(seed).rem_vartime(&p),
        };
        bytes_of(&value, F::BYTES)
    }

    fn check_ops<F: FieldSpec<N>, const N: usize>(a_seed: &[u8], b_seed: &[u8], edges: (u8, u8)) {
        let p = p_big::<F, N>();
        let (a, b) = (
            element::<F, N>(a_seed, edges.0),
            element::<F, N>(b_seed, edges.1),
        );
        let (fa, fb) = (
            Fe::<F, N>::from_bytes(&a).expect("below p"),
            Fe::<F, N>::from_bytes(&b).expect("below p"),
        );
        let (ba, bb) = (big(&a), big(&b));
        assert_eq!(fa.to_bytes(), a, "round trip");
        assert_eq!(
            fa.mul(&fb).to_bytes(),
            bytes_of(&ba.mul_mod(&bb, &p), F::BYTES),
            "mul"
        );
        assert_eq!(
            fa.square().to_bytes(),
            bytes_of(&ba.mul_mod(&ba, &p), F::BYTES),
            "square"
        );
        assert_eq!(
            fa.add(&fb).to_bytes(),
            bytes_of(&ba.add_mod(&bb, &p), F::BYTES),
            "add"
        );
        assert_eq!(
            fa.sub(&fb).to_bytes(),
            bytes_of(&ba.sub_mod(&bb, &p), F::BYTES),
            "sub"
        );
        let eight = big(&[8]);
        assert_eq!(
            fa.mul_small(8).to_bytes(),
            bytes_of(&ba.mul_mod(&eight, &p), F::BYTES),
            "mul_small"
        );
        assert_eq!(fa.is_zero(), bool::from(ba.is_zero()));
        assert!(fa.sub(&fa).is_zero() && fa.equals(&fa));
        // The widest operands the point formulas produce: three carried values combined.
        let wide = fa.sub(&fb).sub(&fb.add(&fb)).carry();
        let expected = ba.sub_mod(&bb.mul_mod(&big(&[3]), &p), &p);
        assert_eq!(
            wide.mul(&wide).to_bytes(),
            bytes_of(&expected.mul_mod(&expected, &p), F::BYTES)
        );
        // The widest operands the point formulas feed a multiplication uncarried: twice a
        // difference of carried values (`h + h`, `d + d`), limbs in (−2^29, 2^29).
        let doubled = fa.sub(&fb).add(&fa.sub(&fb));
        let twice = ba.sub_mod(&bb, &p).add_mod(&ba.sub_mod(&bb, &p), &p);
        assert_eq!(
            doubled.mul(&doubled).to_bytes(),
            bytes_of(&twice.mul_mod(&twice, &p), F::BYTES),
            "mul of the widest operands"
        );
        assert_eq!(
            doubled.square().to_bytes(),
            bytes_of(&twice.mul_mod(&twice, &p), F::BYTES),
            "square of the widest operands"
        );
        // Square roots: a square has one that squares back; a root is found exactly when the
        // crate's Legendre symbol says the element is a square.
        let square = fa.square();
        let root = square.sqrt().expect("a square has a root");
        assert!(root.square().equals(&square), "sqrt");
        let exponent = p
            .wrapping_sub(BoxedUint::one_with_precision(PRECISION))
            .shr_vartime(1)
            .expect("shift");
        let odd_p = crypto_bigint::Odd::new(p.get()).expect("p is odd");
        let legendre = ba.pow_mod(&exponent, &odd_p);
        let is_square =
            bool::from(ba.is_zero()) || legendre == BoxedUint::one_with_precision(PRECISION);
        assert_eq!(
            fa.sqrt().is_some(),
            is_square,
            "sqrt exists iff a is a square"
        );
        if !bool::from(ba.is_zero()) {
            assert!(fa.mul(&fa.invert()).equals(&Fe::one()), "inverse");
        }
    }

    proptest! {
        #[test]
        fn p256_matches_crypto_bigint(
            a in proptest::collection::vec(any::<u8>(), 40),
            b in proptest::collection::vec(any::<u8>(), 40),
            edges in (any::<u8>(), any::<u8>()),
        ) {
            check_ops::<P256Field, 10>(&a, &b, edges);
        }

        #[test]
        fn p384_matches_crypto_bigint(
            a in proptest::collection::vec(any::<u8>(), 56),
            b in proptest::collection::vec(any::<u8>(), 56),
            edges in (any::<u8>(), any::<u8>()),
        ) {
            check_ops::<P384Field, 14>(&a, &b, edges);
        }

        #[test]
        fn p521_matches_crypto_bigint(
            a in proptest::collection::vec(any::<u8>(), 72),
            b in proptest::collection::vec(any::<u8>(), 72),
            edges in (any::<u8>(), any::<u8>()),
        ) {
            check_ops::<P521Field, 19>(&a, &b, edges);
        }
    }

    #[test]
    fn constants_follow_the_prime_formulas() {
        let two = |e: u32| {
            BoxedUint::one_with_precision(PRECISION)
                .shl_vartime(e)
                .expect("shift within the precision")
        };
        let p256 = two(256) - two(224) + two(192) + two(96) - two(0);
        let p384 = two(384) - two(128) - two(96) + two(32) - two(0);
        let p521 = two(521) - two(0);
        assert_eq!(p_big::<P256Field, 10>().get(), p256);
        assert_eq!(p_big::<P384Field, 14>().get(), p384);
        assert_eq!(p_big::<P521Field, 19>().get(), p521);
        // R² mod p: entering and leaving Montgomery form is the identity (checked above), and
        // the constant is the residue of 2^(2·28·N).
        let (q256, q384) = (p_big::<P256Field, 10>(), p_big::<P384Field, 14>());
        let r256 = two(280).rem_vartime(&q256);
        let r384 = two(392).rem_vartime(&q384);
        let r2_256 = r256.mul_mod(&r256, &q256);
        let r2_384 = r384.mul_mod(&r384, &q384);
        let limbs = |l: &[i64], len| big(&limbs_to_be(l, len));
        assert_eq!(limbs(&P256Field::R2, 32), r2_256);
        assert_eq!(limbs(&P384Field::R2, 48), r2_384);
        let q521 = p_big::<P521Field, 19>();
        let r521 = two(532).rem_vartime(&q521);
        assert_eq!(limbs(&P521Field::R2, 66), r521.mul_mod(&r521, &q521));
        assert!(
            Fe::<P521Field, 19>::from_bytes(&[0x02; 66]).is_none(),
            "above p: a 66-byte value with bits beyond 521"
        );
        assert!(
            Fe::<P256Field, 10>::from_bytes(&[0xff; 32]).is_none(),
            "above p"
        );
        assert!(Fe::<P256Field, 10>::from_bytes(&[0; 31]).is_none(), "short");
    }
}
