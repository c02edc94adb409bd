//! One number for the key sets a decision used, for the verdict cache ([`crate::cache`]): it
//! changes when any of the sets changes generation (a rotation, a revocation list), so no
//! verdict outlives the keys that made it. Each slot's own generation moves only when its bytes
//! do ([`super::Slot::record`]), so a refresh that brings the same bytes keeps every verdict.
//!
//! The parts are folded with FNV-1a and kept below 2^53, so JS carries the number exactly.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;
const JS_EXACT: u64 = (1 << 53) - 1;

/// The generation of several sets, each named by its URL (or any stable name) with the
/// generation it is served at (0: not served). 0 when there is nothing served at all.
pub fn combine<'a>(parts: impl IntoIterator<Item = (&'a str, u64)>) -> u64 {
    let mut any = false;
    let folded = parts.into_iter().fold(FNV_OFFSET, |h, (name, generation)| {
        any |= generation > 0;
        let h = name
            .bytes()
            .chain([0xff])
            .fold(h, |h, b| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME));
        generation
            .to_le_bytes()
            .iter()
            .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME))
    });
    if !any {
        return 0;
    }
    // 0 means "no keys": a real combination never folds to it.
    (folded & JS_EXACT).max(1)
}

#[cfg(test)]
#[path = "generation_tests.rs"]
mod tests;
