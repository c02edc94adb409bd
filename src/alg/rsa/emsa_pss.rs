//! EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with MGF1 (§B.2.1) over the same hash, and the salt
//! length fixed to the hash length as RFC 7518 §3.5 requires for PS256/PS384/PS512.

use crate::alg::Hash;

/// Check `em_full` (RSAVP1's output, one byte per modulus byte) against `m_hash` for a modulus
/// of `em_bits + 1` bits.
pub(super) fn verify(hash: Hash, m_hash: &[u8], em_full: &[u8], em_bits: usize) -> bool {
    let h_len = hash.output_len();
    let s_len = h_len;
    let em_len = em_bits.div_ceil(8);
    // §8.1.2 step 2c: I2OSP(m, emLen) fails if m needs more than emLen bytes. When the modulus
    // bit length is 1 mod 8, the extra leading byte of RSAVP1's output must therefore be zero.
    let Some(extra) = em_full.len().checked_sub(em_len) else {
        return false;
    };
    let (lead, em) = em_full.split_at(extra);
    if lead.iter().any(|&b| b != 0) || m_hash.len() != h_len {
        return false;
    }
    // Step 3 and 4.
    if em_len < h_len + s_len + 2 || em.last() != Some(&0xbc) {
        return false;
    }
    // Step 5.
    let (masked_db, rest) = em.split_at(em_len - h_len - 1);
    let h = &rest[..h_len];
    // Step 6: the bits above em_bits must be zero.
    let unused_bits = 8 * em_len - em_bits;
    let top_mask = 0xffu8 >> unused_bits;
    if masked_db.first().is_none_or(|&b| b & !top_mask != 0) {
        return false;
    }
    // Steps 7–9.
    let mut db = mgf1(hash, h, masked_db.len());
    for (d, m) in db.iter_mut().zip(masked_db) {
        *d ^= m;
    }
    if let Some(first) = db.first_mut() {
        *first &= top_mask;
    }
    // Step 10: zeros, then 0x01, then the salt.
    let (padding, salt) = db.split_at(em_len - h_len - s_len - 1);
    let Some((&one, zeros)) = padding.split_last() else {
        return false;
    };
    if one != 0x01 || zeros.iter().any(|&b| b != 0) {
        return false;
    }
    // Steps 11–14: H = Hash(0x00 × 8 ‖ mHash ‖ salt).
    digest_parts(hash, &[&[0u8; 8], m_hash, salt]) == h
}

/// MGF1 (RFC 8017 §B.2.1): `Hash(seed ‖ counter)` for counter = 0, 1, … cut to `len` bytes.
fn mgf1(hash: Hash, seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + hash.output_len());
    let mut counter = 0u32;
    while out.len() < len {
        out.extend_from_slice(&digest_parts(hash, &[seed, &counter.to_be_bytes()]));
        counter += 1;
    }
    out.truncate(len);
    out
}

fn digest_parts(hash: Hash, parts: &[&[u8]]) -> Vec<u8> {
    fn run<D: sha2::Digest>(parts: &[&[u8]]) -> Vec<u8> {
        let mut d = D::new();
        for p in parts {
            d.update(p);
        }
        d.finalize().to_vec()
    }
    match hash {
        Hash::Sha256 => run::<sha2::Sha256>(parts),
        Hash::Sha384 => run::<sha2::Sha384>(parts),
        Hash::Sha512 => run::<sha2::Sha512>(parts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// EMSA-PSS-ENCODE (§9.1.1) with a given salt, to exercise every check above.
    fn encode(hash: Hash, m_hash: &[u8], salt: &[u8], em_bits: usize) -> Vec<u8> {
        let h_len = hash.output_len();
        let em_len = em_bits.div_ceil(8);
        let h = digest_parts(hash, &[&[0u8; 8], m_hash, salt]);
        let mut db = vec![0u8; em_len - salt.len() - h_len - 2];
        db.push(0x01);
        db.extend_from_slice(salt);
        let mask = mgf1(hash, &h, db.len());
        for (d, m) in db.iter_mut().zip(mask) {
            *d ^= m;
        }
        db[0] &= 0xff >> (8 * em_len - em_bits);
        db.extend_from_slice(&h);
        db.push(0xbc);
        db
    }

    #[test]
    fn mgf1_matches_a_known_value() {
        // MGF1-SHA256("bar", 50), the example value published with MGF1's Wikipedia article:
        // two blocks, the second cut short.
        let expected = "382576a7841021cc28fc4c0948753fb8312090cea942ea4c4e735d10dc724b155f9f6069f289d61daca0cb814502ef04eae1";
        let hex: String = mgf1(Hash::Sha256, b"bar", 50)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, expected);
    }

    #[test]
    fn round_trip_and_every_bit_matters() {
        for (hash, em_bits) in [
            (Hash::Sha256, 2047),
            (Hash::Sha384, 3071),
            (Hash::Sha512, 2048),
        ] {
            let m_hash = hash.digest(b"claims");
            let salt = vec![0x5a; hash.output_len()];
            let em = encode(hash, &m_hash, &salt, em_bits);
            // RSAVP1 returns one byte per modulus byte: a leading zero when em_bits % 8 == 0.
            let mut full = vec![0u8; (em_bits + 1).div_ceil(8) - em.len()];
            full.extend_from_slice(&em);
            assert!(verify(hash, &m_hash, &full, em_bits), "{hash:?} {em_bits}");
            for i in 0..full.len() * 8 {
                let mut bad = full.clone();
                bad[i / 8] ^= 0x80 >> (i % 8);
                assert!(!verify(hash, &m_hash, &bad, em_bits), "{hash:?} bit {i}");
            }
            let other = hash.digest(b"other claims");
            assert!(!verify(hash, &other, &full, em_bits));
        }
    }

    #[test]
    fn salt_length_must_equal_hash_length() {
        let m_hash = Hash::Sha256.digest(b"claims");
        for salt_len in [0, 20, 31, 33, 64] {
            let em = encode(Hash::Sha256, &m_hash, &vec![7; salt_len], 2047);
            assert!(!verify(Hash::Sha256, &m_hash, &em, 2047), "salt {salt_len}");
        }
    }
}
