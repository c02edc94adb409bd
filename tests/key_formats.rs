//! Every key format azlens reads verifies a token signed by the matching private key, and the
//! same bytes do not verify a token signed by another key.

mod common;

use azlens::{Algorithm, ErrorCode, KeySet, Limits};
use common::*;
use serde_json::json;

fn parse(bytes: impl AsRef<[u8]>) -> KeySet {
    KeySet::parse(bytes.as_ref(), &Limits::default())
        .unwrap_or_else(|e| panic!("key set refused: {e}"))
}

/// The token signed by `key` verifies with `keys`; one signed by a stranger does not.
fn assert_verifies(keys: &KeySet, key: &TestKey, alg: Algorithm, what: &str) {
    let v = verifier(&policy(&[alg]));
    let token = sign(&header(alg, "k1"), &claims(), key, alg);
    let verdict = v.verify(&token, keys, NOW);
    assert!(verdict.valid, "{what} ({alg}): {:?}", verdict.errors);
    let used = verdict.key.expect("the verdict names the key");
    assert_eq!(used.alg, alg);

    splice_check(keys, key, alg, &token, what);
    let stranger = match &key.signer {
        Signer::Rsa(_) => TestKey::rsa2048b(),
        Signer::Hmac(_) => TestKey::hmac(b"a-different-32-byte-hmac-secret!"),
        _ => return,
    };
    let forged = sign(&header(alg, "k1"), &claims(), &stranger, alg);
    let verdict = v.verify(&forged, keys, NOW);
    assert!(
        verdict.has(ErrorCode::SignatureInvalid),
        "{what}: a stranger's token: {:?}",
        verdict.errors
    );
}

/// A signature over other claims, spliced onto this token, must not verify.
fn splice_check(keys: &KeySet, key: &TestKey, alg: Algorithm, token: &str, what: &str) {
    let v = verifier(&policy(&[alg]));
    let other = sign(
        &header(alg, "k1"),
        &json!({"iss": ISSUER, "aud": AUDIENCE, "exp": NOW + 601}),
        key,
        alg,
    );
    let spliced = format!(
        "{}.{}",
        token.rsplit_once('.').unwrap().0,
        other.rsplit_once('.').unwrap().1
    );
    assert!(
        v.verify(&spliced, keys, NOW)
            .has(ErrorCode::SignatureInvalid),
        "{what}: spliced signature"
    );
}

fn asymmetric() -> Vec<(TestKey, Algorithm)> {
    vec![
        (TestKey::rsa2048(), Algorithm::RS256),
        (TestKey::rsa2048(), Algorithm::PS512),
        (TestKey::p256(), Algorithm::ES256),
        (TestKey::p384(), Algorithm::ES384),
        (TestKey::p521(), Algorithm::ES512),
        (TestKey::ed25519(), Algorithm::EdDSA),
    ]
}

#[test]
fn jwk_set_single_jwk_and_json_array() {
    let mut n = 0;
    for (key, alg) in all_signing_keys() {
        let jwk = key.jwk("k1");
        assert_verifies(&parse(key.jwks("k1")), &key, alg, "JWK Set");
        assert_verifies(&parse(jwk.to_string()), &key, alg, "single JWK");
        assert_verifies(&parse(json!([jwk]).to_string()), &key, alg, "JSON array");
        n += 1;
    }
    assert_eq!(n, 13, "every algorithm");
}

#[test]
fn jwk_set_with_several_keys_selects_by_kid() {
    let (rsa, p256, ed) = (TestKey::rsa2048(), TestKey::p256(), TestKey::ed25519());
    let set = json!({"keys": [rsa.jwk("r"), p256.jwk("e"), ed.jwk("k1")]}).to_string();
    let keys = parse(&set);
    assert_eq!(keys.keys().len(), 3);
    assert_verifies(&keys, &ed, Algorithm::EdDSA, "kid k1 among three");
}

#[test]
fn pem_spki_for_every_key_type() {
    for (key, alg) in asymmetric() {
        let keys = parse(key.spki_pem());
        assert_eq!(keys.keys().len(), 1);
        assert_verifies(&keys, &key, alg, &format!("PEM SPKI {}", key.name));
        // The same structure as binary DER.
        assert_verifies(
            &parse(key.spki_der()),
            &key,
            alg,
            &format!("DER SPKI {}", key.name),
        );
    }
}

#[test]
fn pem_pkcs1_rsa_public_key() {
    let key = TestKey::rsa2048();
    let pem = key.pkcs1_pem();
    assert!(pem.starts_with("-----BEGIN RSA PUBLIC KEY-----"));
    assert_verifies(&parse(&pem), &key, Algorithm::RS384, "PEM PKCS#1");
    assert_verifies(&parse(pem_body(&pem)), &key, Algorithm::PS256, "DER PKCS#1");
}

#[test]
fn certificates_in_pem_der_and_bare_base64() {
    for (key, alg) in asymmetric() {
        let pem = key.cert_pem();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_verifies(&parse(&pem), &key, alg, &format!("PEM cert {}", key.name));
        let der = key.cert_der();
        assert_eq!(der, pem_body(&pem), "the .cer is the PEM body");
        assert_verifies(&parse(&der), &key, alg, &format!(".cer {}", key.name));
        // Bare base64 on one line (an x5c entry) and wrapped at 64 columns (.cer saved as text).
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        assert_verifies(&parse(&body), &key, alg, "bare base64 cert");
        let wrapped: String = pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_verifies(&parse(&wrapped), &key, alg, "wrapped base64 cert");
    }
}

#[test]
fn openssh_lines() {
    for (key, alg) in asymmetric() {
        let line = key.ssh_line();
        let keys = parse(&line);
        assert_eq!(keys.keys().len(), 1, "{line}");
        assert_verifies(&keys, &key, alg, &format!("OpenSSH {}", key.name));
        // Without the comment too.
        let bare: Vec<&str> = line.split_whitespace().take(2).collect();
        assert_verifies(&parse(bare.join(" ")), &key, alg, "OpenSSH without comment");
    }
}

#[test]
fn mixed_text_with_pem_blocks_and_openssh_lines() {
    let (rsa, p256, p384, p521, ed) = (
        TestKey::rsa2048(),
        TestKey::p256(),
        TestKey::p384(),
        TestKey::p521(),
        TestKey::ed25519(),
    );
    let text = format!(
        "# keys for the EHR, exported 2026-11\nsubject=CN=rsa\n{}\n{}\n\n{}\n{}\nsome trailing note\n{}\n",
        rsa.cert_pem(),
        p256.ssh_line(),
        p384.spki_pem(),
        ed.ssh_line(),
        p521.cert_pem(),
    );
    let keys = parse(&text);
    assert_eq!(keys.keys().len(), 5);
    assert_verifies(&keys, &rsa, Algorithm::RS512, "mixed: RSA cert");
    assert_verifies(&keys, &p256, Algorithm::ES256, "mixed: P-256 ssh");
    assert_verifies(&keys, &p384, Algorithm::ES384, "mixed: P-384 SPKI");
    assert_verifies(&keys, &p521, Algorithm::ES512, "mixed: P-521 cert");
    assert_verifies(&keys, &ed, Algorithm::EdDSA, "mixed: Ed25519 ssh");
}

#[test]
fn inline_policy_keys_in_every_form() {
    let rsa = TestKey::rsa2048();
    let p256 = TestKey::p256();
    let token_rsa = good_token(&rsa);
    let token_ec = good_token(&p256);
    let empty = KeySet::new();
    let forms = [
        json!(rsa.cert_pem()),
        json!({"keys": [rsa.jwk("k1")]}),
        rsa.jwk("k1"),
        json!([rsa.jwk("k1")]),
        json!([rsa.spki_pem(), p256.ssh_line()]),
    ];
    for form in forms {
        let mut p = policy(&[Algorithm::RS256, Algorithm::ES256]);
        p["keys"] = form.clone();
        let v = verifier(&p);
        let verdict = v.verify(&token_rsa, &empty, NOW);
        assert!(verdict.valid, "policy keys {form}: {:?}", verdict.errors);
        let ec = v.verify(&token_ec, &empty, NOW);
        assert_eq!(
            ec.valid,
            form.to_string().contains("ecdsa-sha2-nistp256"),
            "{form}"
        );
    }
    // Issuer-scoped keys work the same way.
    let mut p = policy(&[Algorithm::ES256]);
    p["issuers"][0]["keys"] = json!(p256.spki_pem());
    assert!(verifier(&p).verify(&token_ec, &empty, NOW).valid);
}

#[test]
fn private_keys_are_refused_with_a_clear_error() {
    for key in [
        TestKey::rsa2048(),
        TestKey::p256(),
        TestKey::p521(),
        TestKey::ed25519(),
    ] {
        let e = KeySet::parse(key.private_pem().as_bytes(), &Limits::default()).unwrap_err();
        assert_eq!(e.code, ErrorCode::KeyInvalid, "{}", key.name);
        assert!(
            e.message.contains("private key"),
            "{}: {}",
            key.name,
            e.message
        );
    }
    // A traditional "RSA PRIVATE KEY" block too.
    let pkcs1_private = TestKey::rsa2048()
        .private_pem()
        .replace("PRIVATE KEY", "RSA PRIVATE KEY");
    let e = KeySet::parse(pkcs1_private.as_bytes(), &Limits::default()).unwrap_err();
    assert!(e.message.contains("private key"), "{}", e.message);

    // A private JWK (with "d") alone is refused; inside a set it is skipped with the reason.
    let mut jwk = TestKey::p256().jwk("k1");
    jwk["d"] = json!(b64([7u8; 32]));
    let e = KeySet::parse(jwk.to_string().as_bytes(), &Limits::default()).unwrap_err();
    assert_eq!(e.code, ErrorCode::KeyInvalid);
    assert!(e.message.contains("private"), "{}", e.message);
    let set = parse(json!({"keys": [jwk]}).to_string());
    assert!(set.is_empty());
    assert!(set.skipped()[0].reason.contains("private"));
    let verdict =
        verifier(&policy(&[Algorithm::ES256])).verify(&good_token(&TestKey::p256()), &set, NOW);
    assert!(verdict.has(ErrorCode::KeyInvalid), "{:?}", verdict.errors);
}

#[test]
fn rsa_below_2048_bits_is_refused_in_every_format() {
    let key = TestKey::rsa1024();
    let forms: Vec<(&str, Vec<u8>)> = vec![
        ("JWK", key.public_jwk().to_string().into_bytes()),
        ("PEM SPKI", key.spki_pem().into_bytes()),
        ("PEM PKCS#1", key.pkcs1_pem().into_bytes()),
        ("PEM cert", key.cert_pem().into_bytes()),
        (".cer", key.cert_der()),
    ];
    for (what, bytes) in forms {
        let e = KeySet::parse(&bytes, &Limits::default()).unwrap_err();
        assert_eq!(e.code, ErrorCode::KeyInvalid, "{what}");
        assert!(e.message.contains("1024 bits"), "{what}: {}", e.message);
    }
}

#[test]
fn keys_without_kid_serve_any_kid_but_named_keys_win() {
    let rsa = TestKey::rsa2048();
    let other = TestKey::rsa2048b();
    // Bare PEM (no kid) plus a JWK named "k1" that is the wrong key: the named key is chosen,
    // so the token (kid k1) fails even though the bare key would have verified it.
    let mut keys = parse(rsa.spki_pem());
    keys.extend(parse(other.jwks("k1")));
    let verdict = verifier(&policy(&[Algorithm::RS256])).verify(&good_token(&rsa), &keys, NOW);
    assert!(
        verdict.has(ErrorCode::SignatureInvalid),
        "{:?}",
        verdict.errors
    );
    // An unknown kid falls back to the kid-less key.
    let token = sign(
        &header(Algorithm::RS256, "rotated"),
        &claims(),
        &rsa,
        Algorithm::RS256,
    );
    assert!(
        verifier(&policy(&[Algorithm::RS256]))
            .verify(&token, &keys, NOW)
            .valid
    );
}

/// An RSA key published as `id-RSASSA-PSS` (RFC 4055 §1.2) serves PS* tokens only; the same key
/// as `rsaEncryption` serves both families.
#[test]
fn rsassa_pss_spki_keys_serve_pss_only() {
    let key = TestKey::rsa2048();
    let der = key.spki_der();
    // SEQUENCE { SEQUENCE { OID rsaEncryption, NULL }, BIT STRING } with two-byte lengths:
    // rewrite the AlgorithmIdentifier to { OID id-RSASSA-PSS } (parameters absent).
    const RSA_ALG_ID: [u8; 15] = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    const PSS_ALG_ID: [u8; 13] = [
        0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a,
    ];
    assert_eq!(&der[..2], &[0x30, 0x82]);
    assert_eq!(&der[4..19], &RSA_ALG_ID);
    let length = u16::from_be_bytes([der[2], der[3]]) - 2;
    let mut pss = vec![0x30, 0x82];
    pss.extend_from_slice(&length.to_be_bytes());
    pss.extend_from_slice(&PSS_ALG_ID);
    pss.extend_from_slice(&der[19..]);

    let keys = parse(&pss);
    assert_eq!(
        keys.keys()[0].material.describe(),
        "an RSA 2048-bit key for RSASSA-PSS only"
    );
    for alg in [Algorithm::PS256, Algorithm::PS384, Algorithm::PS512] {
        assert_verifies(&keys, &key, alg, "id-RSASSA-PSS SPKI");
    }
    for alg in [Algorithm::RS256, Algorithm::RS512] {
        let token = sign(&header(alg, "k1"), &claims(), &key, alg);
        let verdict = verifier(&policy(&[alg])).verify(&token, &keys, NOW);
        assert!(!verdict.valid, "{alg} with a PSS-only key");
        assert!(
            verdict.has(ErrorCode::KeyNotFound),
            "{alg}: {:?}",
            verdict.errors
        );
    }
    // The same key as rsaEncryption serves RS* as well.
    assert_verifies(&parse(&der), &key, Algorithm::RS256, "rsaEncryption SPKI");
}
