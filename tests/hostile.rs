//! Hostile input: every call returns (never panics, never hangs) with the right error code.
//! No timing is asserted; a hang would show as a stuck test run.

mod common;

use azlens::token::{self, base64url};
use azlens::{key_plan, Algorithm, ErrorCode, KeySet, Limits, Policy, Verifier};
use common::*;
use serde_json::{json, Value};

fn ec_verifier(limits: Value) -> Verifier {
    let mut p = policy(&[Algorithm::ES256]);
    p["limits"] = limits;
    verifier(&p)
}

fn codes(v: &azlens::Verdict) -> Vec<ErrorCode> {
    v.errors.iter().map(|e| e.code).collect()
}

/// A small deterministic generator (xorshift64*), so "random" input is the same every run.
struct Noise(u64);
impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn one_megabyte_tokens() {
    let key = TestKey::p256();
    let keys = key.keyset("k1");
    let mb = "a".repeat(1 << 20);
    let v = ec_verifier(json!({})).verify(&mb, &keys, NOW);
    assert_eq!(codes(&v), [ErrorCode::Malformed]);
    assert!(
        v.errors[0].message.contains("limit"),
        "{}",
        v.errors[0].message
    );

    // With the size limit raised to its ceiling (256 KiB), a 180 KB payload of one long string
    // is read and then refused for its signature, and a 180 KB payload of junk as malformed.
    let big = ec_verifier(json!({"max_token_bytes": 256 << 10}));
    let mut claims = claims();
    claims["pad"] = json!("x".repeat(180 << 10));
    let t = sign(
        &header(Algorithm::ES256, "k1"),
        &claims,
        &key,
        Algorithm::ES256,
    );
    assert!(
        big.verify(&t, &keys, NOW).valid,
        "a big but honest token is fine"
    );
    let forged = format!("{}x", &t[..t.len() - 1]);
    assert!(!big.verify(&forged, &keys, NOW).valid);
    let junk = format!(
        "{}.{}.{}",
        b64(r#"{"alg":"ES256"}"#),
        b64(vec![b'{'; 180 << 10]),
        b64([0u8; 64])
    );
    assert_eq!(
        codes(&big.verify(&junk, &keys, NOW)),
        [ErrorCode::Malformed]
    );
}

#[test]
fn deeply_nested_json_is_stopped_by_the_depth_limit() {
    let keys = TestKey::p256().keyset("k1");
    let v = ec_verifier(json!({"max_token_bytes": 256 << 10}));
    // Deep enough to overflow a recursive parser, small enough for the 256 KiB ceiling.
    let arrays = "[".repeat(100_000);
    let objects = r#"{"a":"#.repeat(30_000);
    let mixed = r#"[{"a":"#.repeat(25_000);
    for nested in [&arrays, &objects, &mixed] {
        // In the header…
        let t = format!(
            "{}.{}.{}",
            b64(nested),
            b64(claims().to_string()),
            b64([0u8; 64])
        );
        let verdict = v.verify(&t, &keys, NOW);
        assert_eq!(codes(&verdict), [ErrorCode::Malformed]);
        assert!(
            verdict.errors[0].message.contains("nests deeper than 32"),
            "{}",
            verdict.errors[0].message
        );
        // …and in the payload, under a valid header, as a claim value and as the whole claim set.
        let header = b64(r#"{"alg":"ES256","kid":"k1"}"#);
        for payload in [format!(r#"{{"x":{nested}"#), nested.to_string()] {
            let t = format!("{header}.{}.{}", b64(&payload), b64([0u8; 64]));
            let verdict = v.verify(&t, &keys, NOW);
            assert_eq!(codes(&verdict), [ErrorCode::Malformed]);
            assert!(
                verdict.errors[0].message.contains("nests deeper"),
                "{}",
                verdict.errors[0].message
            );
        }
    }
    // Exactly at the limit is fine, one deeper is not.
    let at_limit = format!(
        r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{},"x":{}1{}}}"#,
        NOW + 60,
        "[".repeat(31),
        "]".repeat(31)
    );
    let key = TestKey::p256();
    let t = sign_raw(
        r#"{"alg":"ES256","kid":"k1"}"#,
        &at_limit,
        &key,
        Algorithm::ES256,
    );
    assert!(v.verify(&t, &keys, NOW).valid);
    let over = at_limit.replacen("[", "[[", 1).replacen("]", "]]", 1);
    let t = sign_raw(
        r#"{"alg":"ES256","kid":"k1"}"#,
        &over,
        &key,
        Algorithm::ES256,
    );
    assert_eq!(codes(&v.verify(&t, &keys, NOW)), [ErrorCode::Malformed]);
}

#[test]
fn invalid_utf8_anywhere() {
    let keys = TestKey::p256().keyset("k1");
    let v = ec_verifier(json!({}));
    let bad: [&[u8]; 6] = [
        b"\xff",
        b"\xc0\xaf",         // overlong '/'
        b"\xed\xa0\x80",     // UTF-16 surrogate
        b"\xf4\x90\x80\x80", // beyond U+10FFFF
        b"\xe2\x82",         // truncated sequence
        b"\x80",             // lone continuation byte
    ];
    for seq in bad {
        let mut h = br#"{"alg":"ES256","kid":""#.to_vec();
        h.extend_from_slice(seq);
        h.extend_from_slice(br#""}"#);
        let mut p = br#"{"sub":""#.to_vec();
        p.extend_from_slice(seq);
        p.extend_from_slice(br#""}"#);
        let in_header = format!(
            "{}.{}.{}",
            base64url::encode(&h),
            b64(claims().to_string()),
            b64([0u8; 64])
        );
        let in_payload = format!(
            "{}.{}.{}",
            b64(r#"{"alg":"ES256"}"#),
            base64url::encode(&p),
            b64([0u8; 64])
        );
        for t in [in_header, in_payload] {
            assert_eq!(
                codes(&v.verify(&t, &keys, NOW)),
                [ErrorCode::Malformed],
                "{seq:?}"
            );
        }
    }
}

#[test]
fn random_bytes_and_random_segments() {
    let keys = TestKey::p256().keyset("k1");
    let v = ec_verifier(json!({}));
    let limits = Limits::default();
    let policy = Policy::from_json(&policy(&[Algorithm::ES256]).to_string()).unwrap();
    let mut noise = Noise(0x0123_4567_89ab_cdef);
    for i in 0..2000 {
        let len = (noise.next() % 300) as usize;
        let bytes = noise.bytes(len);
        let text = String::from_utf8_lossy(&bytes);
        let verdict = v.verify(&text, &keys, NOW);
        assert!(!verdict.valid, "random input {i} verified");
        assert!(
            verdict
                .errors
                .iter()
                .all(|e| matches!(e.code, ErrorCode::Malformed | ErrorCode::UnsupportedToken)),
            "{i}: {:?}",
            verdict.errors
        );
        assert!(!key_plan(&text, &policy).errors.is_empty());
        let _ = KeySet::parse(&bytes, &limits);
        // Three base64url segments of random bytes: decodes, then fails as JSON.
        let t = format!(
            "{}.{}.{}",
            b64(noise.bytes(len / 3 + 1)),
            b64(noise.bytes(len / 2)),
            b64(noise.bytes(64))
        );
        assert!(!v.verify(&t, &keys, NOW).valid);
        // A real header and claims with a random signature of every plausible length.
        let t = format!(
            "{}.{}.{}",
            b64(r#"{"alg":"ES256","kid":"k1"}"#),
            b64(claims().to_string()),
            b64(noise.bytes(i % 140))
        );
        assert_eq!(
            codes(&v.verify(&t, &keys, NOW)),
            [ErrorCode::SignatureInvalid]
        );
    }
}

#[test]
fn huge_and_strange_numbers() {
    let key = TestKey::p256();
    let keys = key.keyset("k1");
    let v = ec_verifier(json!({}));
    let base = format!(r#""iss":"{ISSUER}","aud":"{AUDIENCE}""#);
    for (exp, expect) in [
        ("1e308", ErrorCode::ClaimInvalid),
        ("-1e308", ErrorCode::ClaimInvalid),
        ("1.7976931348623157e308", ErrorCode::ClaimInvalid),
        ("123456789012345678901234567890", ErrorCode::ClaimInvalid),
        ("18446744073709551615", ErrorCode::ClaimInvalid),
        ("18446744073709551616", ErrorCode::ClaimInvalid),
        ("9223372036854775807", ErrorCode::ClaimInvalid),
        ("-9223372036854775808", ErrorCode::ClaimInvalid),
        ("253402300800", ErrorCode::ClaimInvalid), // 10000-01-01
        ("0.0000001", ErrorCode::Expired),
        ("0", ErrorCode::Expired),
        ("1e-400", ErrorCode::Expired), // underflows to 0.0
    ] {
        for claim in ["exp", "nbf", "iat"] {
            let payload = if claim == "exp" {
                format!("{{{base},\"exp\":{exp}}}")
            } else {
                format!("{{{base},\"exp\":{},\"{claim}\":{exp}}}", NOW + 60)
            };
            let t = sign_raw(
                r#"{"alg":"ES256","kid":"k1"}"#,
                &payload,
                &key,
                Algorithm::ES256,
            );
            let got = codes(&v.verify(&t, &keys, NOW));
            if claim == "exp" {
                assert_eq!(got, [expect], "exp {exp}");
            } else if expect == ErrorCode::ClaimInvalid {
                assert_eq!(got, [ErrorCode::ClaimInvalid], "{claim} {exp}");
            } else {
                assert!(got.is_empty(), "{claim} {exp} in the past is fine: {got:?}");
            }
        }
    }
    // The last second of year 9999 is still a date.
    let payload = format!("{{{base},\"exp\":253402300799}}");
    let t = sign_raw(
        r#"{"alg":"ES256","kid":"k1"}"#,
        &payload,
        &key,
        Algorithm::ES256,
    );
    assert!(v.verify(&t, &keys, NOW).valid);
    // Numbers where a string is expected, in the header.
    let t = sign_raw(
        r#"{"alg":"ES256","kid":1e999}"#,
        &claims().to_string(),
        &key,
        Algorithm::ES256,
    );
    assert_eq!(codes(&v.verify(&t, &keys, NOW)), [ErrorCode::Malformed]);
}

/// Regression: policy durations beyond i64::MAX once wrapped (u64 → i64) or overflowed.
/// `max_token_age` of i64::MAX panicked in debug builds ("attempt to add with overflow"), and
/// u64::MAX turned into −1 s, refusing every token as too old or too long-lived.
#[test]
fn extreme_policy_durations_mean_no_limit() {
    let key = TestKey::p256();
    let keys = key.keyset("k1");
    let mut old = claims();
    old["iat"] = json!(NOW - 3600);
    old["nbf"] = json!(NOW - 3600);
    let t = sign(
        &header(Algorithm::ES256, "k1"),
        &old,
        &key,
        Algorithm::ES256,
    );
    for big in [i64::MAX as u64, i64::MAX as u64 + 1, u64::MAX] {
        for field in ["max_token_age", "max_lifetime"] {
            let mut p = policy(&[Algorithm::ES256]);
            p[field] = json!(big);
            let verdict = verifier(&p).verify(&t, &keys, NOW);
            assert!(verdict.valid, "{field} = {big}: {:?}", verdict.errors);
        }
    }
    // Extreme `now` values do not panic either.
    let v = verifier(&policy(&[Algorithm::ES256]));
    for now in [i64::MIN, -1, 0, i64::MAX] {
        assert!(!v.verify(&t, &keys, now).valid);
    }
}

#[test]
fn key_sets_over_the_limits() {
    let limits = Limits::default();
    // Over max_key_set_bytes: refused before parsing.
    let big = format!(
        r#"{{"keys":[],"pad":"{}"}}"#,
        "x".repeat(limits.max_key_set_bytes)
    );
    let e = KeySet::parse(big.as_bytes(), &limits).unwrap_err();
    assert_eq!(e.code, ErrorCode::KeyInvalid);
    assert!(e.message.contains("limit"), "{}", e.message);
    let e = KeySet::parse(&vec![0x30; limits.max_key_set_bytes + 1], &limits).unwrap_err();
    assert!(e.message.contains("limit"), "{}", e.message);

    // 10 000 keys: refused by max_keys when the bytes fit…
    let jwks = |n: usize| {
        let keys: Vec<Value> = (0..n)
            .map(|i| json!({"kty": "oct", "kid": format!("k{i}"), "k": b64(format!("secret-number-{i:05}-padded-to-32b"))}))
            .collect();
        json!({ "keys": keys }).to_string()
    };
    let ten_k = jwks(10_000);
    let roomy = Limits {
        max_key_set_bytes: 4 << 20,
        ..Limits::default()
    };
    let e = KeySet::parse(ten_k.as_bytes(), &roomy).unwrap_err();
    assert!(e.message.contains("10000 keys"), "{}", e.message);
    assert_eq!(
        KeySet::parse(ten_k.as_bytes(), &limits).unwrap_err().code,
        ErrorCode::KeyInvalid
    );
    // …and usable when the host raises max_keys on purpose: the last key is found by kid.
    let all = Limits {
        max_keys: 10_000,
        ..roomy
    };
    let set = KeySet::parse(ten_k.as_bytes(), &all).unwrap();
    assert_eq!(set.keys().len(), 10_000);
    let secret = format!("secret-number-{:05}-padded-to-32b", 9_999);
    let t = sign(
        &header(Algorithm::HS256, "k9999"),
        &claims(),
        &TestKey::hmac(secret.as_bytes()),
        Algorithm::HS256,
    );
    assert!(
        verifier(&policy(&[Algorithm::HS256]))
            .verify(&t, &set, NOW)
            .valid
    );

    // 64 keys all named "k1", none the signer's: each is tried, then signature_invalid.
    let mut crowd = Vec::new();
    for _ in 0..limits.max_keys {
        crowd.push(json!({"kty": "oct", "kid": "k1", "k": b64([9u8; 32])}));
    }
    let set = KeySet::parse(json!({"keys": crowd}).to_string().as_bytes(), &limits).unwrap();
    let t = good_token(&TestKey::hmac(HS256_SECRET));
    let verdict = verifier(&policy(&[Algorithm::HS256])).verify(&t, &set, NOW);
    assert_eq!(codes(&verdict), [ErrorCode::SignatureInvalid]);
    assert!(
        verdict.errors[0].message.contains("64 candidate keys"),
        "{}",
        verdict.errors[0].message
    );

    // Too many PEM blocks and OpenSSH lines are refused like a JSON set over the limit; at
    // the limit they are all kept.
    let line = TestKey::ed25519().ssh_line();
    let many = vec![line.as_str(); 100].join("\n");
    let err = KeySet::parse(many.as_bytes(), &limits).unwrap_err();
    assert_eq!(err.code, ErrorCode::KeyInvalid);
    assert!(
        err.message.contains("100 keys; the limit is 64"),
        "{}",
        err.message
    );
    let enough = vec![line.as_str(); limits.max_keys].join("\n");
    let set = KeySet::parse(enough.as_bytes(), &limits).unwrap();
    assert_eq!(set.keys().len(), limits.max_keys);
}

#[test]
fn deeply_nested_key_sets() {
    let roomy = Limits {
        max_key_set_bytes: 1 << 20,
        ..Limits::default()
    };
    for doc in [
        format!(r#"{{"keys":{}"#, "[".repeat(100_000)),
        "[".repeat(100_000),
        r#"{"keys":[{"kty":"EC","x":"#.repeat(20_000),
    ] {
        let e = KeySet::parse(doc.as_bytes(), &roomy).unwrap_err();
        assert_eq!(e.code, ErrorCode::KeyInvalid);
        assert!(e.message.contains("nests deeper"), "{}", e.message);
    }
    // Members that are not objects are skipped, not fatal; the real key still works.
    let key = TestKey::p256();
    let doc = json!({"keys": [1, "x", null, [[[]]], key.jwk("k1")]}).to_string();
    let set = KeySet::parse(doc.as_bytes(), &Limits::default()).unwrap();
    assert_eq!((set.keys().len(), set.skipped().len()), (1, 4));
    assert!(
        verifier(&policy(&[Algorithm::ES256]))
            .verify(&good_token(&key), &set, NOW)
            .valid
    );
}

fn refused(bytes: impl AsRef<[u8]>) -> String {
    match KeySet::parse(bytes.as_ref(), &Limits::default()) {
        Ok(set) => panic!("accepted {} keys from garbage", set.keys().len()),
        Err(e) => {
            assert_eq!(e.code, ErrorCode::KeyInvalid);
            e.message
        }
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
}

#[test]
fn garbage_pem_and_der() {
    let good_der = TestKey::rsa2048().spki_der();
    let cert = TestKey::p256().cert_der();
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "no END line",
            b"-----BEGIN PUBLIC KEY-----\nMIIB\n".to_vec(),
        ),
        (
            "bad base64",
            b"-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n".to_vec(),
        ),
        (
            "encrypted headers",
            b"-----BEGIN PUBLIC KEY-----\nProc-Type: 4,ENCRYPTED\nMIIB\n-----END PUBLIC KEY-----\n"
                .to_vec(),
        ),
        ("empty block", pem("PUBLIC KEY", &[]).into_bytes()),
        ("unknown label", pem("X509 CRL", &good_der).into_bytes()),
        (
            "truncated SPKI",
            pem("PUBLIC KEY", &good_der[..good_der.len() / 2]).into_bytes(),
        ),
        (
            "SPKI with trailing bytes",
            pem("PUBLIC KEY", &[&good_der[..], &[0, 0]].concat()).into_bytes(),
        ),
        (
            "certificate cut short",
            pem("CERTIFICATE", &cert[..cert.len() - 100]).into_bytes(),
        ),
        (
            "SPKI as CERTIFICATE",
            pem("CERTIFICATE", &good_der).into_bytes(),
        ),
        (
            "length 0xFFFFFFFF",
            pem(
                "PUBLIC KEY",
                &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30, 0x00],
            )
            .into_bytes(),
        ),
        (
            "length of 8 bytes",
            pem(
                "PUBLIC KEY",
                &[0x30, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            )
            .into_bytes(),
        ),
        (
            "indefinite length",
            pem("PUBLIC KEY", &[0x30, 0x80, 0x00, 0x00]).into_bytes(),
        ),
        (
            "non-minimal length",
            pem("PUBLIC KEY", &[0x30, 0x81, 0x01, 0x00]).into_bytes(),
        ),
        (
            "multi-byte tag",
            pem("PUBLIC KEY", &[0x1f, 0x81, 0x01, 0x00]).into_bytes(),
        ),
        (
            "negative modulus",
            pem(
                "RSA PUBLIC KEY",
                &[0x30, 0x06, 0x02, 0x01, 0x80, 0x02, 0x01, 0x03],
            )
            .into_bytes(),
        ),
        (
            "empty INTEGER",
            pem("RSA PUBLIC KEY", &[0x30, 0x04, 0x02, 0x00, 0x02, 0x00]).into_bytes(),
        ),
        (
            "zero modulus",
            pem(
                "RSA PUBLIC KEY",
                &[0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x03],
            )
            .into_bytes(),
        ),
        // Binary DER (not UTF-8), every way it can be cut.
        (
            "binary: 0xFFFFFFFF length",
            vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe],
        ),
        ("binary: junk", vec![0xff; 200]),
        ("binary: lone tag", vec![0x30, 0xff]),
    ];
    // Every proper prefix of a real certificate and of a real SPKI, as binary DER (from two
    // bytes on, `30 82 …` is not UTF-8, so the DER reader gets them) and as PEM.
    for n in (0..cert.len()).step_by(7) {
        cases.push(("certificate prefix", cert[..n].to_vec()));
        cases.push((
            "PEM certificate prefix",
            pem("CERTIFICATE", &cert[..n]).into_bytes(),
        ));
    }
    for n in 0..good_der.len() {
        cases.push(("SPKI prefix", good_der[..n].to_vec()));
    }
    let mut n_refused = 0;
    for (what, bytes) in &cases {
        let msg = refused(bytes);
        assert!(!msg.is_empty(), "{what}");
        n_refused += 1;
    }
    assert!(n_refused > 300);
    // One byte changed at each position of the SPKI header: may read as another key or be
    // refused, and must not panic.
    for i in 0..24 {
        let mut d = good_der.clone();
        d[i] ^= 0xff;
        let _ = KeySet::parse(&d, &Limits::default());
    }
}

#[test]
fn garbage_openssh_lines() {
    use base64::Engine;
    let std64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let string = |s: &[u8]| [&(s.len() as u32).to_be_bytes()[..], s].concat();
    let ed_line = TestKey::ed25519().ssh_line();
    let ed_blob = base64::engine::general_purpose::STANDARD
        .decode(ed_line.split_whitespace().nth(1).unwrap())
        .unwrap();
    // A genuine P-521 point, to smuggle under a P-256 key type.
    let p521_point = {
        let line = TestKey::p521().ssh_line();
        let blob = base64::engine::general_purpose::STANDARD
            .decode(line.split_whitespace().nth(1).unwrap())
            .unwrap();
        blob[blob.len() - 133..].to_vec()
    };
    assert_eq!(p521_point[0], 0x04);
    let cases = [
        ("no blob", "ssh-ed25519".to_owned()),
        ("not base64", "ssh-ed25519 !!!!".to_owned()),
        ("empty blob", "ssh-ed25519 AAAA".to_owned()),
        (
            "length 0xFFFFFFFF",
            format!("ssh-ed25519 {}", std64(&[0xff, 0xff, 0xff, 0xff, b's'])),
        ),
        (
            "key length 0xFFFFFFFF",
            format!(
                "ssh-ed25519 {}",
                std64(&[string(b"ssh-ed25519"), vec![0xff; 4], vec![1; 32]].concat())
            ),
        ),
        (
            "zero-length key",
            format!(
                "ssh-ed25519 {}",
                std64(&[string(b"ssh-ed25519"), string(b"")].concat())
            ),
        ),
        (
            "31-byte key",
            format!(
                "ssh-ed25519 {}",
                std64(&[string(b"ssh-ed25519"), string(&[7; 31])].concat())
            ),
        ),
        ("type mismatch", format!("ssh-rsa {}", std64(&ed_blob))),
        (
            "trailing bytes",
            format!("ssh-ed25519 {}", std64(&[&ed_blob[..], &[0]].concat())),
        ),
        (
            "truncated",
            format!("ssh-ed25519 {}", std64(&ed_blob[..ed_blob.len() - 1])),
        ),
        (
            "curve mismatch",
            format!(
                "ecdsa-sha2-nistp256 {}",
                std64(
                    &[
                        string(b"ecdsa-sha2-nistp256"),
                        string(b"nistp384"),
                        string(&[4; 97])
                    ]
                    .concat()
                )
            ),
        ),
        // The curve name must be exactly the one the key type names (RFC 5656 §3.1): an empty
        // or partial name once matched by suffix and fell through to P-521.
        (
            "empty curve name",
            format!(
                "ecdsa-sha2-nistp256 {}",
                std64(
                    &[
                        string(b"ecdsa-sha2-nistp256"),
                        string(b""),
                        string(&p521_point)
                    ]
                    .concat()
                )
            ),
        ),
        (
            "partial curve name",
            format!(
                "ecdsa-sha2-nistp256 {}",
                std64(
                    &[
                        string(b"ecdsa-sha2-nistp256"),
                        string(b"256"),
                        string(&p521_point)
                    ]
                    .concat()
                )
            ),
        ),
        (
            "point not on curve",
            format!(
                "ecdsa-sha2-nistp256 {}",
                std64(
                    &[
                        string(b"ecdsa-sha2-nistp256"),
                        string(b"nistp256"),
                        string(&[4; 65])
                    ]
                    .concat()
                )
            ),
        ),
        (
            "rsa with empty n",
            format!(
                "ssh-rsa {}",
                std64(&[string(b"ssh-rsa"), string(&[1, 0, 1]), string(b"")].concat())
            ),
        ),
        (
            "unsupported ssh-dss",
            "ssh-dss AAAAB3NzaC1kc3MAAAA=".to_owned(),
        ),
    ];
    for (what, line) in cases {
        let msg = refused(line.as_bytes());
        assert!(!msg.is_empty(), "{what}");
    }
    // Every truncation of a real ssh-rsa blob.
    let rsa_line = TestKey::rsa2048().ssh_line();
    let blob = base64::engine::general_purpose::STANDARD
        .decode(rsa_line.split_whitespace().nth(1).unwrap())
        .unwrap();
    for n in (0..blob.len()).step_by(5) {
        refused(format!("ssh-rsa {}", std64(&blob[..n])));
    }
}

#[test]
fn hostile_signatures_for_every_algorithm() {
    // Signatures of every length 0..600 with all-zero and all-0xff bytes, for each algorithm:
    // each is refused with signature_invalid (no panic on r/s/S/RSA values out of range).
    for (key, alg) in all_signing_keys() {
        let keys = key.keyset("k1");
        let v = verifier(&policy(&[alg]));
        let input = format!(
            "{}.{}",
            b64(header(alg, "k1").to_string()),
            b64(claims().to_string())
        );
        for len in (0..600).step_by(11).chain([32, 48, 64, 96, 132, 256]) {
            for fill in [0x00u8, 0xff] {
                let t = format!("{input}.{}", b64(vec![fill; len]));
                let verdict = v.verify(&t, &keys, NOW);
                assert_eq!(
                    codes(&verdict),
                    [ErrorCode::SignatureInvalid],
                    "{alg} len {len} fill {fill:#x}"
                );
            }
        }
    }
}

#[test]
fn parse_never_panics_on_segment_shapes() {
    let limits = Limits::default();
    for t in [
        "..",
        "...",
        "....",
        ".....",
        "a.b.",
        ".b.c",
        "a..c",
        "\u{0}.\u{0}.\u{0}",
        "é.é.é",
        "\n.\n.\n",
    ] {
        assert!(token::parse(t, &limits).is_err(), "{t:?}");
    }
}
