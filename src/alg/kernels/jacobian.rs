//! Points of a short-Weierstrass curve `y² = x³ − 3x + b` (P-256, P-384, P-521) in Jacobian
//! coordinates `(X, Y, Z)` ↦ `(X/Z², Y/Z³)`, with the formulas of the Explicit-Formulas Database
//! (Bernstein–Lange, hyperelliptic.org/EFD, "g1p/auto-shortw-jacobian-3"):
//!
//! * doubling: `dbl-2001-b` (3M + 5S), valid because a = −3;
//! * addition: `add-2007-bl` (11M + 5S);
//! * mixed addition with an affine point: `madd-2007-bl` (7M + 4S).
//!
//! These formulas are incomplete, so the exceptional cases are branched on (variable time is
//! fine: the inputs are public): the point at infinity is `None`, and an addition whose inputs
//! share an x-coordinate becomes a doubling (same point) or the point at infinity (opposite
//! points).
//!
//! Field-element bounds (see `field`): every coordinate leaves here carried, and every operand of
//! a multiplication is carried or a sum of two carried values (`x ± δ`, `y + z`, `h + h` with
//! `h` a difference): limbs below 2^29 in magnitude, which P-521's 19-limb columns need.

use super::field::{Fe, FieldSpec};

/// A point other than the point at infinity, in Jacobian coordinates.
#[derive(Clone, Copy)]
pub struct Jacobian<F: FieldSpec<N>, const N: usize> {
    pub x: Fe<F, N>,
    pub y: Fe<F, N>,
    pub z: Fe<F, N>,
}

/// An affine point (never the point at infinity).
#[derive(Clone, Copy)]
pub struct Affine<F: FieldSpec<N>, const N: usize> {
    pub x: Fe<F, N>,
    pub y: Fe<F, N>,
}

impl<F: FieldSpec<N>, const N: usize> Affine<F, N> {
    pub fn neg(&self) -> Self {
        Affine {
            x: self.x,
            y: self.y.neg().carry(),
        }
    }

    pub fn to_jacobian(self) -> Jacobian<F, N> {
        Jacobian {
            x: self.x,
            y: self.y,
            z: Fe::one(),
        }
    }
}

impl<F: FieldSpec<N>, const N: usize> Jacobian<F, N> {
    /// 2·P (dbl-2001-b). `None` when P has order 2 (y = 0), which a prime-order curve has not,
    /// but the formula is kept honest.
    pub fn double(&self) -> Option<Self> {
        if self.y.is_zero() {
            return None;
        }
        let delta = self.z.square();
        let gamma = self.y.square();
        let beta = self.x.mul(&gamma);
        let alpha = self.x.sub(&delta).mul(&self.x.add(&delta)).mul_small(3);
        let x3 = alpha.square().sub(&beta.mul_small(8)).carry();
        let z3 = self.y.add(&self.z).square().sub(&gamma).sub(&delta).carry();
        let y3 = alpha
            .mul(&beta.mul_small(4).sub(&x3))
            .sub(&gamma.square().mul_small(8))
            .carry();
        Some(Jacobian {
            x: x3,
            y: y3,
            z: z3,
        })
    }

    /// P + Q for Jacobian P and Q (add-2007-bl).
    pub fn add(&self, q: &Self) -> Option<Self> {
        let z1z1 = self.z.square();
        let z2z2 = q.z.square();
        let u1 = self.x.mul(&z2z2);
        let u2 = q.x.mul(&z1z1);
        let s1 = self.y.mul(&q.z).mul(&z2z2);
        let s2 = q.y.mul(&self.z).mul(&z1z1);
        let h = u2.sub(&u1);
        let d = s2.sub(&s1);
        if h.is_zero() {
            return if d.is_zero() { self.double() } else { None };
        }
        let i = h.add(&h).square();
        let j = h.mul(&i);
        let r = d.add(&d);
        let v = u1.mul(&i);
        let x3 = r.square().sub(&j).sub(&v.add(&v)).carry();
        let s1j = s1.mul(&j);
        let y3 = r.mul(&v.sub(&x3)).sub(&s1j.add(&s1j)).carry();
        let z3 = self
            .z
            .add(&q.z)
            .square()
            .sub(&z1z1)
            .sub(&z2z2)
            .carry()
            .mul(&h);
        Some(Jacobian {
            x: x3,
            y: y3,
            z: z3,
        })
    }

    /// P + Q for Jacobian P and affine Q (madd-2007-bl).
    pub fn add_affine(&self, q: &Affine<F, N>) -> Option<Self> {
        let z1z1 = self.z.square();
        let u2 = q.x.mul(&z1z1);
        let s2 = q.y.mul(&self.z).mul(&z1z1);
        let h = u2.sub(&self.x);
        let d = s2.sub(&self.y);
        if h.is_zero() {
            return if d.is_zero() { self.double() } else { None };
        }
        let hh = h.square();
        let i = hh.mul_small(4);
        let j = h.mul(&i);
        let r = d.add(&d);
        let v = self.x.mul(&i);
        let x3 = r.square().sub(&j).sub(&v.add(&v)).carry();
        let y1j = self.y.mul(&j);
        let y3 = r.mul(&v.sub(&x3)).sub(&y1j.add(&y1j)).carry();
        let z3 = self.z.add(&h).square().sub(&z1z1).sub(&hh).carry();
        Some(Jacobian {
            x: x3,
            y: y3,
            z: z3,
        })
    }
}

/// `acc + q` where `acc` may be the point at infinity.
pub fn accumulate<F: FieldSpec<N>, const N: usize>(
    acc: Option<Jacobian<F, N>>,
    q: &Affine<F, N>,
) -> Option<Jacobian<F, N>> {
    match acc {
        None => Some(q.to_jacobian()),
        Some(p) => p.add_affine(q),
    }
}

/// Affine forms of many Jacobian points with one field inversion (Montgomery's trick).
pub fn batch_to_affine<F: FieldSpec<N>, const N: usize>(
    points: &[Jacobian<F, N>],
) -> Vec<Affine<F, N>> {
    let mut prefix = Vec::with_capacity(points.len());
    let mut acc = Fe::one();
    for p in points {
        acc = acc.mul(&p.z);
        prefix.push(acc);
    }
    let mut inv = acc.invert();
    let mut out = vec![
        Affine {
            x: Fe::ZERO,
            y: Fe::ZERO
        };
        points.len()
    ];
    for i in (0..points.len()).rev() {
        // inv = (z_0 ⋯ z_i)⁻¹ here.
        let z_inv = match i {
            0 => inv,
            _ => inv.mul(&prefix[i - 1]),
        };
        inv = inv.mul(&points[i].z);
        let z_inv2 = z_inv.square();
        out[i] = Affine {
            x: points[i].x.mul(&z_inv2),
            y: points[i].y.mul(&z_inv2.mul(&z_inv)),
        };
    }
    out
}
