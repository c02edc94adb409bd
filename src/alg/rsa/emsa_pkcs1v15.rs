//! EMSA-PKCS1-v1_5 (RFC 8017 §9.2) for verification: the encoding of a digest is unique, so it
//! is rebuilt and compared whole, as §8.2.2 step 3–4 prescribe.

use crate::alg::Hash;

/// DER of `DigestInfo { AlgorithmIdentifier { oid, NULL }, OCTET STRING (hLen bytes) }` up to
/// the digest itself (RFC 8017 §9.2 note 1).
fn digest_info_prefix(hash: Hash) -> &'static [u8] {
    match hash {
        Hash::Sha256 => &[
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ],
        Hash::Sha384 => &[
            0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x02, 0x05, 0x00, 0x04, 0x30,
        ],
        Hash::Sha512 => &[
            0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x03, 0x05, 0x00, 0x04, 0x40,
        ],
    }
}

/// Is `em` exactly `00 01 FF…FF 00 ‖ DigestInfo(digest)`, with at least 8 bytes of FF?
pub(super) fn matches(hash: Hash, digest: &[u8], em: &[u8]) -> bool {
    let prefix = digest_info_prefix(hash);
    let t_len = prefix.len() + digest.len();
    // §9.2 step 3: emLen ≥ tLen + 11.
    let Some(ps_len) = em.len().checked_sub(t_len + 3).filter(|&l| l >= 8) else {
        return false;
    };
    let (head, rest) = em.split_at(2);
    let (ps, rest) = rest.split_at(ps_len);
    let (zero, rest) = rest.split_at(1);
    let (info, rest) = rest.split_at(prefix.len());
    head == [0x00, 0x01]
        && ps.iter().all(|&b| b == 0xff)
        && zero == [0x00]
        && info == prefix
        && rest == digest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(hash: Hash, digest: &[u8], em_len: usize) -> Vec<u8> {
        let prefix = digest_info_prefix(hash);
        let mut em = vec![0x00, 0x01];
        em.resize(em_len - prefix.len() - digest.len() - 1, 0xff);
        em.push(0x00);
        em.extend_from_slice(prefix);
        em.extend_from_slice(digest);
        em
    }

    #[test]
    fn accepts_only_the_exact_encoding() {
        let digest = Hash::Sha256.digest(b"payload");
        let em = encode(Hash::Sha256, &digest, 256);
        assert!(matches(Hash::Sha256, &digest, &em));
        for i in 0..em.len() {
            let mut bad = em.clone();
            bad[i] ^= 0x01;
            assert!(!matches(Hash::Sha256, &digest, &bad), "byte {i} flipped");
        }
        assert!(
            !matches(Hash::Sha384, &digest, &em),
            "another hash's DigestInfo"
        );
        assert!(!matches(Hash::Sha256, &digest, &em[1..]), "one byte short");
    }

    #[test]
    fn prefixes_carry_the_digest_length() {
        for hash in [Hash::Sha256, Hash::Sha384, Hash::Sha512] {
            let prefix = digest_info_prefix(hash);
            assert_eq!(prefix.len(), 19);
            assert_eq!(usize::from(prefix[18]), hash.output_len());
            assert_eq!(usize::from(prefix[1]), 17 + hash.output_len());
        }
    }

    #[test]
    fn too_short_for_eight_bytes_of_padding() {
        let digest = Hash::Sha512.digest(b"x");
        let em = encode(Hash::Sha512, &digest, 19 + 64 + 11);
        assert!(matches(Hash::Sha512, &digest, &em));
        let shorter = encode(Hash::Sha512, &digest, 19 + 64 + 10);
        assert!(!matches(Hash::Sha512, &digest, &shorter));
    }
}
