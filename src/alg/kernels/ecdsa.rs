//! ECDSA verification on P-256, P-384 and P-521 (SEC 1 v2 §4.1.4, FIPS 186-5 §6.4.2).
//!
//! Given the digest `e`, the signature `(r, s)` and the public key Q:
//! 1. `r` and `s` must lie in `[1, n−1]`;
//! 2. `u₁ = e·s⁻¹`, `u₂ = r·s⁻¹ (mod n)` ([`super::scalar`]: a binary-Euclid inversion and two
//!    Montgomery multiplications);
//! 3. `R = u₁·G + u₂·Q`. `u₁·G` uses G's fixed-base table ([`super::comb`], 6-bit windows,
//!    built once per process). `u₂·Q` uses Q's own table (5-bit windows) once the key has
//!    proved to be in use: its first [`COLD_USES`] verifications run the wNAF method instead
//!    ([`super::wnaf`], 256 doublings but no table), and the next one builds the table, which
//!    costs about five wNAF verifications and is kept in the parsed key (shared by its clones).
//!    This bounds the cost for a key used once at a wNAF verification, and for a key used many
//!    times at twice the ideal (the ski-rental argument). With both tables, a P-256
//!    verification is about 95 mixed additions and no doublings;
//! 4. valid iff R is not the point at infinity and `x(R) ≡ r (mod n)`, checked without an
//!    inversion: `X ≡ r·Z²`, or `X ≡ (r + n)·Z²` when `r + n < p`.

use super::comb::CombTable;
use super::field::{Fe, FieldSpec, P256Field, P384Field, P521Field};
use super::jacobian::{Affine, Jacobian};
use super::montgomery::be_bit_length;
use super::scalar::ScalarField;
use super::wnaf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

/// Window width of the base point's table.
const BASE_WIDTH: u32 = 6;
/// Window width of a public key's table.
const KEY_WIDTH: u32 = 5;
/// Window width of the wNAF used before a key has its table.
const WNAF_WIDTH: u32 = 5;
/// Verifications of a key by wNAF before its table is built.
pub const COLD_USES: u32 = 4;

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcdsaError {
    /// The signature is not `2 × field` bytes, or the digest not `field` bytes.
    Length,
    /// `r` or `s` is zero or not below the group order.
    OutOfRange,
    /// Well-formed, but not a signature of this digest by this key.
    Mismatch,
}

/// What a curve brings to the verifier.
pub trait Curve<const N: usize>: 'static {
    type Field: FieldSpec<N>;
    /// Big-endian group order n.
    const ORDER: &'static [u8];
    const GX: &'static [u8];
    const GY: &'static [u8];
    /// The coefficient b of `y² = x³ − 3x + b`.
    const B: &'static [u8];
    /// G's table, built on first use.
    fn base_table() -> &'static CombTable<Self::Field, N>;
    /// Arithmetic mod n, prepared on first use (`None` only if the order were not odd).
    fn scalar_field() -> Option<&'static ScalarField>;
}

/// A public key prepared for repeated verification: the point, and its table once built.
pub struct EcdsaKey<C: Curve<N>, const N: usize> {
    point: Affine<C::Field, N>,
    /// Shared by clones of the key, so a key set copied around builds the table once.
    cache: Arc<KeyCache<C::Field, N>>,
}

struct KeyCache<F: FieldSpec<N>, const N: usize> {
    uses: AtomicU32,
    table: OnceLock<CombTable<F, N>>,
}

impl<C: Curve<N>, const N: usize> Clone for EcdsaKey<C, N> {
    fn clone(&self) -> Self {
        EcdsaKey {
            point: self.point,
            cache: Arc::clone(&self.cache),
        }
    }
}

impl<C: Curve<N>, const N: usize> std::fmt::Debug for EcdsaKey<C, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EcdsaKey")
    }
}

impl<C: Curve<N>, const N: usize> EcdsaKey<C, N> {
    /// A key from its affine coordinates (big-endian, the field's length each). `None` unless the
    /// point is on the curve (which also rules out the point at infinity, having no affine form).
    pub fn from_coordinates(x: &[u8], y: &[u8]) -> Option<Self> {
        let point = Affine {
            x: Fe::from_bytes(x)?,
            y: Fe::from_bytes(y)?,
        };
        if !on_curve::<C, N>(&point)? {
            return None;
        }
        Some(EcdsaKey {
            point,
            cache: Arc::new(KeyCache {
                uses: AtomicU32::new(0),
                table: OnceLock::new(),
            }),
        })
    }

    /// A key from its SEC 1 encoding (§2.3.4): `04 ‖ x ‖ y`, or compressed `02 ‖ x` / `03 ‖ x`
    /// with y the square root of `x³ − 3x + b` whose parity the prefix gives. `None` for any
    /// other form (the point at infinity `00`, hybrid `06`/`07`, a wrong length) and for a
    /// point not on the curve.
    pub fn from_sec1(bytes: &[u8]) -> Option<Self> {
        let len = C::Field::BYTES;
        let (&prefix, rest) = bytes.split_first()?;
        match (prefix, rest.len()) {
            (0x04, l) if l == 2 * len => {
                let (x, y) = rest.split_at(len);
                Self::from_coordinates(x, y)
            }
            (0x02 | 0x03, l) if l == len => {
                let x = Fe::<C::Field, N>::from_bytes(rest)?;
                let b = Fe::<C::Field, N>::from_bytes(C::B)?;
                let rhs = x.square().mul(&x).sub(&x.mul_small(3)).add(&b).carry();
                let root = rhs.sqrt()?;
                let odd = |y: &Fe<C::Field, N>| y.to_bytes().last().is_some_and(|b| b & 1 == 1);
                let y = if odd(&root) == (prefix == 0x03) {
                    root
                } else {
                    root.neg().carry()
                };
                if odd(&y) != (prefix == 0x03) {
                    return None; // y = 0 has no root of the other parity
                }
                Self::from_coordinates(rest, &y.to_bytes())
            }
            _ => None,
        }
    }

    /// Has this key's table been built?
    pub fn has_table(&self) -> bool {
        self.cache.table.get().is_some()
    }

    /// Build the key's table now rather than on a later verification (for a host that knows
    /// the key will be used a lot, and for tests of both paths).
    pub fn build_table(&self) {
        self.cache
            .table
            .get_or_init(|| CombTable::new(&self.point, KEY_WIDTH));
    }

    /// `u₂·Q`, by the key's table if it has one (or it is time to build it), else by wNAF.
    fn mul_key(
        &self,
        acc: Option<Jacobian<C::Field, N>>,
        u2: &[u8],
    ) -> Option<Option<Jacobian<C::Field, N>>> {
        let cache = &self.cache;
        let table = match cache.table.get() {
            Some(table) => Some(table),
            None if cache.uses.fetch_add(1, Ordering::Relaxed) >= COLD_USES => Some(
                cache
                    .table
                    .get_or_init(|| CombTable::new(&self.point, KEY_WIDTH)),
            ),
            None => None,
        };
        match table {
            Some(table) => table.mul_add(acc, u2).ok(),
            None => {
                let term = wnaf::mul(&self.point, u2, WNAF_WIDTH).ok()?;
                Some(match (acc, term) {
                    (None, t) => t,
                    (a, None) => a,
                    (Some(a), Some(t)) => a.add(&t),
                })
            }
        }
    }

    /// Verify the fixed-width `r ‖ s` signature over a digest no longer than the group order
    /// (SHA-256 for P-256, SHA-384 for P-384, SHA-512 for P-521). A shorter digest is the
    /// integer it encodes (SEC 1's truncation to the order's length never applies here), so it
    /// is left-padded to the field's length.
    pub fn verify_prehash(&self, digest: &[u8], signature: &[u8]) -> Result<(), EcdsaError> {
        let len = C::Field::BYTES;
        if signature.len() != 2 * len || 8 * digest.len() > be_bit_length(C::ORDER) {
            return Err(EcdsaError::Length);
        }
        let (r, s) = signature.split_at(len);
        if !in_scalar_range(r, C::ORDER) || !in_scalar_range(s, C::ORDER) {
            return Err(EcdsaError::OutOfRange);
        }
        let mut padded = vec![0u8; len];
        padded[len - digest.len()..].copy_from_slice(digest);
        if self.check(&padded, r, s) {
            Ok(())
        } else {
            Err(EcdsaError::Mismatch)
        }
    }

    fn check(&self, digest: &[u8], r: &[u8], s: &[u8]) -> bool {
        let Some((u1, u2)) = C::scalar_field().and_then(|f| f.verification_scalars(digest, r, s))
        else {
            return false;
        };
        let Ok(sum) = C::base_table().mul_add(None, &u1) else {
            return false;
        };
        let Some(Some(point)) = self.mul_key(sum, &u2) else {
            return false; // the point at infinity, or a table that cannot serve the scalar
        };
        let z2 = point.z.square();
        let matches = |candidate: &[u8]| {
            Fe::<C::Field, N>::from_bytes(candidate).is_some_and(|c| point.x.equals(&c.mul(&z2)))
        };
        // x(R) is below p, so x(R) mod n is r exactly when x(R) = r or x(R) = r + n.
        matches(r) || add_be(r, C::ORDER).is_some_and(|r_plus_n| matches(&r_plus_n))
    }
}

/// `y² = x³ − 3x + b`?
fn on_curve<C: Curve<N>, const N: usize>(p: &Affine<C::Field, N>) -> Option<bool> {
    let b = Fe::<C::Field, N>::from_bytes(C::B)?;
    let rhs =
        p.x.square()
            .mul(&p.x)
            .sub(&p.x.mul_small(3))
            .add(&b)
            .carry();
    Some(p.y.square().equals(&rhs))
}

/// `1 ≤ k < n` for big-endian `k` and `n` of the same length.
fn in_scalar_range(k: &[u8], n: &[u8]) -> bool {
    k.len() == n.len() && k.iter().any(|&b| b != 0) && k < n
}

/// `a + b` for big-endian numbers of one length, `None` if it overflows that length.
fn add_be(a: &[u8], b: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0u8; a.len()];
    let mut carry = 0u16;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b).rev() {
        let v = u16::from(x) + u16::from(y) + carry;
        *o = v as u8;
        carry = v >> 8;
    }
    (carry == 0).then_some(out)
}

/// The base point's affine coordinates as field elements.
fn generator<C: Curve<N>, const N: usize>() -> Option<Affine<C::Field, N>> {
    Some(Affine {
        x: Fe::from_bytes(C::GX)?,
        y: Fe::from_bytes(C::GY)?,
    })
}

/// Build G's table (the constants are known-good, so `None` cannot happen; it would leave the
/// table empty, and every verification would then fail closed).
fn base_table_for<C: Curve<N>, const N: usize>() -> CombTable<C::Field, N> {
    match generator::<C, N>() {
        Some(g) => CombTable::new(&g, BASE_WIDTH),
        None => CombTable::empty(),
    }
}

/// A curve's `base_table` and `scalar_field`, each built on first use. A macro rather than
/// default methods: a `static` in a generic method would be one for all curves.
macro_rules! prepared_once {
    ($field:ty, $n:literal) => {
        fn base_table() -> &'static CombTable<$field, $n> {
            static TABLE: OnceLock<CombTable<$field, $n>> = OnceLock::new();
            TABLE.get_or_init(base_table_for::<Self, $n>)
        }

        fn scalar_field() -> Option<&'static ScalarField> {
            static FIELD: OnceLock<Option<ScalarField>> = OnceLock::new();
            FIELD.get_or_init(|| ScalarField::new(Self::ORDER)).as_ref()
        }
    };
}

/// NIST P-256 (secp256r1).
pub struct NistP256;

impl Curve<10> for NistP256 {
    type Field = P256Field;
    const ORDER: &'static [u8] = &[
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];
    const GX: &'static [u8] = &[
        0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40,
        0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98,
        0xc2, 0x96,
    ];
    const GY: &'static [u8] = &[
        0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e,
        0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf,
        0x51, 0xf5,
    ];
    const B: &'static [u8] = &[
        0x5a, 0xc6, 0x35, 0xd8, 0xaa, 0x3a, 0x93, 0xe7, 0xb3, 0xeb, 0xbd, 0x55, 0x76, 0x98, 0x86,
        0xbc, 0x65, 0x1d, 0x06, 0xb0, 0xcc, 0x53, 0xb0, 0xf6, 0x3b, 0xce, 0x3c, 0x3e, 0x27, 0xd2,
        0x60, 0x4b,
    ];

    prepared_once!(P256Field, 10);
}

/// NIST P-384 (secp384r1).
pub struct NistP384;

impl Curve<14> for NistP384 {
    type Field = P384Field;
    const ORDER: &'static [u8] = &[
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37,
        0x2d, 0xdf, 0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc,
        0xc5, 0x29, 0x73,
    ];
    const GX: &'static [u8] = &[
        0xaa, 0x87, 0xca, 0x22, 0xbe, 0x8b, 0x05, 0x37, 0x8e, 0xb1, 0xc7, 0x1e, 0xf3, 0x20, 0xad,
        0x74, 0x6e, 0x1d, 0x3b, 0x62, 0x8b, 0xa7, 0x9b, 0x98, 0x59, 0xf7, 0x41, 0xe0, 0x82, 0x54,
        0x2a, 0x38, 0x55, 0x02, 0xf2, 0x5d, 0xbf, 0x55, 0x29, 0x6c, 0x3a, 0x54, 0x5e, 0x38, 0x72,
        0x76, 0x0a, 0xb7,
    ];
    const GY: &'static [u8] = &[
        0x36, 0x17, 0xde, 0x4a, 0x96, 0x26, 0x2c, 0x6f, 0x5d, 0x9e, 0x98, 0xbf, 0x92, 0x92, 0xdc,
        0x29, 0xf8, 0xf4, 0x1d, 0xbd, 0x28, 0x9a, 0x14, 0x7c, 0xe9, 0xda, 0x31, 0x13, 0xb5, 0xf0,
        0xb8, 0xc0, 0x0a, 0x60, 0xb1, 0xce, 0x1d, 0x7e, 0x81, 0x9d, 0x7a, 0x43, 0x1d, 0x7c, 0x90,
        0xea, 0x0e, 0x5f,
    ];
    const B: &'static [u8] = &[
        0xb3, 0x31, 0x2f, 0xa7, 0xe2, 0x3e, 0xe7, 0xe4, 0x98, 0x8e, 0x05, 0x6b, 0xe3, 0xf8, 0x2d,
        0x19, 0x18, 0x1d, 0x9c, 0x6e, 0xfe, 0x81, 0x41, 0x12, 0x03, 0x14, 0x08, 0x8f, 0x50, 0x13,
        0x87, 0x5a, 0xc6, 0x56, 0x39, 0x8d, 0x8a, 0x2e, 0xd1, 0x9d, 0x2a, 0x85, 0xc8, 0xed, 0xd3,
        0xec, 0x2a, 0xef,
    ];

    prepared_once!(P384Field, 14);
}

/// NIST P-521 (secp521r1).
pub struct NistP521;

impl Curve<19> for NistP521 {
    type Field = P521Field;
    const ORDER: &'static [u8] = &[
        0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xfa, 0x51, 0x86, 0x87, 0x83, 0xbf, 0x2f, 0x96, 0x6b, 0x7f, 0xcc, 0x01,
        0x48, 0xf7, 0x09, 0xa5, 0xd0, 0x3b, 0xb5, 0xc9, 0xb8, 0x89, 0x9c, 0x47, 0xae, 0xbb, 0x6f,
        0xb7, 0x1e, 0x91, 0x38, 0x64, 0x09,
    ];
    const GX: &'static [u8] = &[
        0x00, 0xc6, 0x85, 0x8e, 0x06, 0xb7, 0x04, 0x04, 0xe9, 0xcd, 0x9e, 0x3e, 0xcb, 0x66, 0x23,
        0x95, 0xb4, 0x42, 0x9c, 0x64, 0x81, 0x39, 0x05, 0x3f, 0xb5, 0x21, 0xf8, 0x28, 0xaf, 0x60,
        0x6b, 0x4d, 0x3d, 0xba, 0xa1, 0x4b, 0x5e, 0x77, 0xef, 0xe7, 0x59, 0x28, 0xfe, 0x1d, 0xc1,
        0x27, 0xa2, 0xff, 0xa8, 0xde, 0x33, 0x48, 0xb3, 0xc1, 0x85, 0x6a, 0x42, 0x9b, 0xf9, 0x7e,
        0x7e, 0x31, 0xc2, 0xe5, 0xbd, 0x66,
    ];
    const GY: &'static [u8] = &[
        0x01, 0x18, 0x39, 0x29, 0x6a, 0x78, 0x9a, 0x3b, 0xc0, 0x04, 0x5c, 0x8a, 0x5f, 0xb4, 0x2c,
        0x7d, 0x1b, 0xd9, 0x98, 0xf5, 0x44, 0x49, 0x57, 0x9b, 0x44, 0x68, 0x17, 0xaf, 0xbd, 0x17,
        0x27, 0x3e, 0x66, 0x2c, 0x97, 0xee, 0x72, 0x99, 0x5e, 0xf4, 0x26, 0x40, 0xc5, 0x50, 0xb9,
        0x01, 0x3f, 0xad, 0x07, 0x61, 0x35, 0x3c, 0x70, 0x86, 0xa2, 0x72, 0xc2, 0x40, 0x88, 0xbe,
        0x94, 0x76, 0x9f, 0xd1, 0x66, 0x50,
    ];
    const B: &'static [u8] = &[
        0x00, 0x51, 0x95, 0x3e, 0xb9, 0x61, 0x8e, 0x1c, 0x9a, 0x1f, 0x92, 0x9a, 0x21, 0xa0, 0xb6,
        0x85, 0x40, 0xee, 0xa2, 0xda, 0x72, 0x5b, 0x99, 0xb3, 0x15, 0xf3, 0xb8, 0xb4, 0x89, 0x91,
        0x8e, 0xf1, 0x09, 0xe1, 0x56, 0x19, 0x39, 0x51, 0xec, 0x7e, 0x93, 0x7b, 0x16, 0x52, 0xc0,
        0xbd, 0x3b, 0xb1, 0xbf, 0x07, 0x35, 0x73, 0xdf, 0x88, 0x3d, 0x2c, 0x34, 0xf1, 0xef, 0x45,
        0x1f, 0xd4, 0x6b, 0x50, 0x3f, 0x00,
    ];

    prepared_once!(P521Field, 19);
}

/// A prepared P-256 public key.
pub type P256Key = EcdsaKey<NistP256, 10>;
/// A prepared P-384 public key.
pub type P384Key = EcdsaKey<NistP384, 14>;
/// A prepared P-521 public key.
pub type P521Key = EcdsaKey<NistP521, 19>;
