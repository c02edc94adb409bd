//! Differential tests of the RSA kernel (`azlens::alg::kernels::rsa_modexp`) against the
//! crypto-bigint arithmetic the `rsa` crate uses, over random moduli of every size class.

use azlens::alg::kernels::rsa_modexp::RsaPublicKey;
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use proptest::prelude::*;

/// `s^e mod n` by crypto-bigint, as `n`'s byte length.
fn oracle(n: &[u8], e: u64, s: &[u8]) -> Vec<u8> {
    let n_big = BoxedUint::from_be_slice_vartime(n);
    let precision = n_big.bits_precision();
    let params = BoxedMontyParams::new(Odd::new(n_big).expect("odd"));
    let s_big = BoxedUint::from_be_slice(s, precision).expect("fits");
    let e_big = BoxedUint::from(e);
    let r = BoxedMontyForm::new(s_big, &params).pow(&e_big).retrieve();
    let bytes = r.to_be_bytes();
    bytes[bytes.len() - n.len()..].to_vec()
}

/// A random modulus of exactly `bits` bits, odd, from `seed` bytes.
fn modulus(bits: usize, seed: &[u8]) -> Vec<u8> {
    let len = bits.div_ceil(8);
    let mut n: Vec<u8> = seed.iter().cycle().take(len).copied().collect();
    let top_bits = bits - 8 * (len - 1);
    n[0] &= 0xff >> (8 - top_bits);
    n[0] |= 1 << (top_bits - 1);
    n[len - 1] |= 1;
    n
}

fn sizes() -> impl Strategy<Value = usize> {
    prop_oneof![
        35usize..600,
        Just(2048),
        Just(2049),
        Just(2047),
        Just(3072),
        Just(3556),
        Just(3557),
        Just(4096),
        Just(8192),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn public_op_matches_crypto_bigint(
        bits in sizes(),
        seed in proptest::collection::vec(any::<u8>(), 1..64),
        s_seed in proptest::collection::vec(any::<u8>(), 1..64),
        e in prop_oneof![Just(65537u64), Just(3), (1u64..(1 << 32)).prop_map(|x| 2 * x + 1)],
    ) {
        let n = modulus(bits, &seed);
        let key = RsaPublicKey::new(&n, &e.to_be_bytes()).expect("valid key");
        prop_assert_eq!(key.bits(), bits);
        // s: random, made smaller than n by clearing its top byte.
        let mut s: Vec<u8> = s_seed.iter().cycle().take(n.len()).copied().collect();
        s[0] = 0;
        let got = key.public_op(&s).expect("s < n");
        prop_assert_eq!(got, oracle(&n, e, &s));
    }
}

#[test]
fn small_cases_match() {
    let n = modulus(2048, &[0x9b, 0x31, 0x77, 0x05, 0xe2]);
    let key = RsaPublicKey::new(&n, &[1, 0, 1]).expect("valid key");
    let mut s = vec![0u8; 256];
    s[255] = 2;
    assert_eq!(key.public_op(&s).expect("below n"), oracle(&n, 65537, &s));
}

mod against_the_rsa_crate {
    //! Signatures made by the `rsa` crate on random keys and messages: azlens's verdict must equal
    //! the `rsa` crate's for the genuine signature and for every corruption of it.
    use azlens::alg::{self, Algorithm};
    use azlens::keys::KeyMaterial;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rsa::traits::PublicKeyParts;
    use rsa::{Pkcs1v15Sign, Pss, RsaPrivateKey};
    use std::sync::OnceLock;

    /// Keys of 2048 bits, 2049 bits (the PSS encoding is then one byte shorter than the
    /// modulus) and 3072 bits, generated once from fixed seeds.
    fn keys() -> &'static [RsaPrivateKey] {
        static KEYS: OnceLock<Vec<RsaPrivateKey>> = OnceLock::new();
        KEYS.get_or_init(|| {
            [(2048, 1u64), (2049, 2), (3072, 3)]
                .into_iter()
                .map(|(bits, seed)| {
                    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(seed);
                    RsaPrivateKey::new(&mut rng, bits).expect("key generation")
                })
                .collect()
        })
    }

    const ALGS: [Algorithm; 6] = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ];

    fn sign(key: &RsaPrivateKey, alg: Algorithm, msg: &[u8], seed: u64) -> Vec<u8> {
        let digest = alg.hash().digest(msg);
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(seed);
        let out = match alg {
            Algorithm::RS256 => key.sign(Pkcs1v15Sign::new::<sha2::Sha256>(), &digest),
            Algorithm::RS384 => key.sign(Pkcs1v15Sign::new::<sha2::Sha384>(), &digest),
            Algorithm::RS512 => key.sign(Pkcs1v15Sign::new::<sha2::Sha512>(), &digest),
            Algorithm::PS256 => key.sign_with_rng(&mut rng, Pss::<sha2::Sha256>::new(), &digest),
            Algorithm::PS384 => key.sign_with_rng(&mut rng, Pss::<sha2::Sha384>::new(), &digest),
            _ => key.sign_with_rng(&mut rng, Pss::<sha2::Sha512>::new(), &digest),
        };
        out.expect("signing")
    }

    /// The oracle: the `rsa` crate's verdict.
    fn oracle(n: &[u8], e: &[u8], alg: Algorithm, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(key) = rsa::RsaPublicKey::new(
            rsa::BoxedUint::from_be_slice_vartime(n),
            rsa::BoxedUint::from_be_slice_vartime(e),
        ) else {
            return false;
        };
        if sig.len() != key.size() {
            return false; // azlens's length rule; the crate would left-pad a short one
        }
        let digest = alg.hash().digest(msg);
        let r = match alg {
            Algorithm::RS256 => key.verify(Pkcs1v15Sign::new::<sha2::Sha256>(), &digest, sig),
            Algorithm::RS384 => key.verify(Pkcs1v15Sign::new::<sha2::Sha384>(), &digest, sig),
            Algorithm::RS512 => key.verify(Pkcs1v15Sign::new::<sha2::Sha512>(), &digest, sig),
            Algorithm::PS256 => key.verify(Pss::<sha2::Sha256>::new(), &digest, sig),
            Algorithm::PS384 => key.verify(Pss::<sha2::Sha384>::new(), &digest, sig),
            _ => key.verify(Pss::<sha2::Sha512>::new(), &digest, sig),
        };
        r.is_ok()
    }

    fn azlens(n: &[u8], e: &[u8], alg: Algorithm, msg: &[u8], sig: &[u8]) -> bool {
        match KeyMaterial::rsa(n, e) {
            Ok(key) => alg::verify(alg, &key, msg, sig).is_ok(),
            Err(_) => false,
        }
    }

    /// What to do to a valid (key, message, signature) before checking it.
    #[derive(Debug, Clone)]
    enum Corruption {
        None,
        SignatureBit(usize),
        MessageBit(usize),
        /// A bit of the modulus other than its lowest and highest (the key stays a valid shape).
        ModulusBit(usize),
        /// Replace the signature with n + k (out of range).
        SignatureNPlus(u8),
        /// s + n, the same residue: accepting it would make signatures malleable. (Skipped when
        /// s + n does not fit in the modulus length.)
        PlusModulus,
        SignatureZero,
        SignatureOne,
        SignatureAllOnes,
        Truncated,
        Extended,
    }

    fn corruption() -> impl Strategy<Value = Corruption> {
        prop_oneof![
            3 => Just(Corruption::None),
            4 => any::<usize>().prop_map(Corruption::SignatureBit),
            2 => any::<usize>().prop_map(Corruption::MessageBit),
            2 => any::<usize>().prop_map(Corruption::ModulusBit),
            1 => any::<u8>().prop_map(Corruption::SignatureNPlus),
            2 => Just(Corruption::PlusModulus),
            1 => Just(Corruption::SignatureZero),
            1 => Just(Corruption::SignatureOne),
            1 => Just(Corruption::SignatureAllOnes),
            1 => Just(Corruption::Truncated),
            1 => Just(Corruption::Extended),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn verdicts_match_the_rsa_crate(
            key_index in 0usize..3,
            alg_index in 0usize..6,
            msg in proptest::collection::vec(any::<u8>(), 0..300),
            salt_seed in any::<u64>(),
            corruption in corruption(),
        ) {
            let key = &keys()[key_index];
            let alg = ALGS[alg_index];
            let public = key.to_public_key();
            let mut n = public.n_bytes().to_vec();
            let e = public.e_bytes().to_vec();
            let mut msg = msg;
            let mut sig = sign(key, alg, &msg, salt_seed);
            let genuine = matches!(corruption, Corruption::None);
            match corruption {
                Corruption::None => {}
                Corruption::SignatureBit(i) => sig[(i / 8) % n.len()] ^= 1 << (i % 8),
                Corruption::MessageBit(i) => {
                    if msg.is_empty() {
                        msg.push(0);
                    } else {
                        let len = msg.len();
                        msg[(i / 8) % len] ^= 1 << (i % 8);
                    }
                }
                Corruption::ModulusBit(i) => {
                    let bits = 8 * n.len();
                    let bit = 1 + i % (bits - 9); // never the lowest bit or the top byte
                    let last = n.len() - 1;
                    n[last - bit / 8] ^= 1 << (bit % 8);
                }
                Corruption::SignatureNPlus(k) => {
                    sig = n.clone();
                    let last = sig.len() - 1;
                    let (v, carry) = sig[last].overflowing_add(k);
                    sig[last] = v;
                    if carry {
                        sig[last - 1] = sig[last - 1].wrapping_add(1);
                    }
                }
                Corruption::PlusModulus => {
                    let mut carry = 0u16;
                    for (s, &m) in sig.iter_mut().zip(&n).rev() {
                        let v = u16::from(*s) + u16::from(m) + carry;
                        *s = v as u8;
                        carry = v >> 8;
                    }
                    prop_assume!(carry == 0);
                }
                Corruption::SignatureZero => sig.iter_mut().for_each(|b| *b = 0),
                Corruption::SignatureOne => {
                    sig.iter_mut().for_each(|b| *b = 0);
                    let last = sig.len() - 1;
                    sig[last] = 1;
                }
                Corruption::SignatureAllOnes => sig.iter_mut().for_each(|b| *b = 0xff),
                Corruption::Truncated => {
                    sig.remove(0);
                }
                Corruption::Extended => sig.insert(0, 0),
            }
            let expected = oracle(&n, &e, alg, &msg, &sig);
            let got = azlens(&n, &e, alg, &msg, &sig);
            prop_assert_eq!(got, expected, "azlens and the rsa crate disagree");
            prop_assert_eq!(got, genuine, "only the genuine signature may verify");
        }
    }
}
