//! Published JWS examples verified with their published keys: RFC 7515 appendix A (A.1 HS256,
//! A.2 RS256, A.3 ES256, A.4 ES512, A.5 unsecured), RFC 7520 §4.1–4.4 (RS256, PS384, ES512,
//! HS256) and RFC 8037 A.4 (Ed25519). Test vectors are data, transcribed from the RFCs with the
//! display line breaks removed; a transcription slip makes the signature check fail.
//!
//! The RFC 7515 A.1–A.3 payloads are JWT claim sets and go through the whole `Verifier`. The
//! others sign plain text (a Tolkien quote, "Payload", "Example of Ed25519 signing"), which is
//! not a JWT: those are verified through `azlens::alg::verify`, and the `Verifier` is asserted to
//! refuse them as malformed (a JWT payload must be a JSON object).

use azlens::alg;
use azlens::keys::KeyMaterial;
use azlens::token::base64url;
use azlens::{Algorithm, ErrorCode, KeySet, Limits, Verifier};
use serde_json::{json, Value};

// ---- RFC 7515 appendix A -------------------------------------------------------------------

/// The A.1–A.3 claims: `{"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}`.
const A_PAYLOAD: &str = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
const A_EXP: i64 = 1_300_819_380;

const A1_TOKEN: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const A1_K: &str =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

const A2_HEADER: &str = "eyJhbGciOiJSUzI1NiJ9";
const A2_SIG: &str = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
const A2_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
const A2_D: &str = "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ";

const A3_HEADER: &str = "eyJhbGciOiJFUzI1NiJ9";
const A3_SIG: &str =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
const A3_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const A3_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
const A3_D: &str = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";

/// A.4 signs the text "Payload".
const A4_TOKEN: &str = "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA.AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn";
const A4_X: &str =
    "AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk";
const A4_Y: &str =
    "ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2";

/// A.5: the unsecured JWS (`"alg":"none"`, empty signature).
const A5_TOKEN: &str = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.";

// ---- RFC 7520 §4 (the JOSE cookbook) --------------------------------------------------------

/// Figure 8: "It’s a dangerous business, Frodo, going out your door. …" (not JSON).
const C_PAYLOAD: &str = "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4";
/// Figure 3: bilbo.baggins@hobbiton.example's 2048-bit RSA public key.
const C_RSA_N: &str = "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw";
/// Figure 1: bilbo.baggins@hobbiton.example's P-521 public key.
const C_EC_X: &str =
    "AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt";
const C_EC_Y: &str =
    "AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1";
/// Figure 5: the symmetric key 018c0ae5-4d9b-471b-bfd6-eef314bc7037.
const C_OCT_K: &str = "hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg";

const C41_HEADER: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9";
const C41_SIG: &str = "MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg";
const C42_HEADER: &str = "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9";
const C42_SIG: &str = "cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2IpN6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXUvdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRXe8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7xho0uTOcbH510a6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw";
const C43_HEADER: &str = "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9";
const C43_SIG: &str = "AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvbu9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kvAD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2";
const C44_HEADER: &str =
    "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9";
const C44_SIG: &str = "s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0";

// ---- RFC 8037 appendix A -------------------------------------------------------------------

const ED_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const ED_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
const ED_TOKEN: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

// ---- helpers -------------------------------------------------------------------------------

fn a2_jwk() -> Value {
    json!({"kty": "RSA", "n": A2_N, "e": "AQAB"})
}
fn a3_jwk() -> Value {
    json!({"kty": "EC", "crv": "P-256", "x": A3_X, "y": A3_Y})
}
fn a4_jwk() -> Value {
    json!({"kty": "EC", "crv": "P-521", "x": A4_X, "y": A4_Y})
}
fn c_rsa_jwk() -> Value {
    json!({"kty": "RSA", "kid": "bilbo.baggins@hobbiton.example", "use": "sig", "n": C_RSA_N, "e": "AQAB"})
}
fn c_ec_jwk() -> Value {
    json!({"kty": "EC", "kid": "bilbo.baggins@hobbiton.example", "use": "sig", "crv": "P-521", "x": C_EC_X, "y": C_EC_Y})
}
fn ed_jwk() -> Value {
    json!({"kty": "OKP", "crv": "Ed25519", "x": ED_X})
}

/// The one key a published JWK describes, as azlens reads it.
fn material(jwk: &Value) -> KeyMaterial {
    let set = KeySet::parse(jwk.to_string().as_bytes(), &Limits::default())
        .unwrap_or_else(|e| panic!("{jwk}: {e}"));
    set.keys()[0].material.clone()
}

/// `alg::verify` accepts the compact token with `jwk`, and refuses it with any one signature
/// bit flipped or one signing-input character changed.
fn verify_compact(token: &str, alg: Algorithm, jwk: &Value) {
    let key = material(jwk);
    let (input, sig) = token.rsplit_once('.').expect("three segments");
    let sig = base64url::decode(sig).expect("base64url signature");
    assert_eq!(
        alg::verify(alg, &key, input.as_bytes(), &sig),
        Ok(()),
        "{alg} published example"
    );
    let mut bad = sig.clone();
    bad[sig.len() / 2] ^= 0x01;
    assert!(
        alg::verify(alg, &key, input.as_bytes(), &bad).is_err(),
        "{alg}: flipped bit"
    );
    let mut other = input.as_bytes().to_vec();
    let last = other.len() - 1;
    other[last] ^= 0x01;
    assert!(
        alg::verify(alg, &key, &other, &sig).is_err(),
        "{alg}: changed input"
    );
}

fn policy_with_keys(alg: Algorithm, keys: Value) -> Verifier {
    Verifier::from_json(
        &json!({"algorithms": [alg.name()], "keys": keys, "issuers": [{"issuer": "joe"}]})
            .to_string(),
    )
    .expect("policy")
}

// ---- RFC 7515 ------------------------------------------------------------------------------

#[test]
fn rfc7515_a1_hs256() {
    let jwk = json!({"kty": "oct", "k": A1_K});
    verify_compact(A1_TOKEN, Algorithm::HS256, &jwk);
    let v = policy_with_keys(Algorithm::HS256, jwk);
    let verdict = v.verify(A1_TOKEN, &KeySet::new(), A_EXP - 3600);
    assert!(verdict.valid, "{:?}", verdict.errors);
    assert_eq!(verdict.payload.unwrap()["http://example.com/is_root"], true);
    assert_eq!(verdict.header.unwrap()["typ"], "JWT");
}

#[test]
fn rfc7515_a2_rs256() {
    let token = format!("{A2_HEADER}.{A_PAYLOAD}.{A2_SIG}");
    verify_compact(&token, Algorithm::RS256, &a2_jwk());
    // The published key is 2048 bits, at the floor, so it is usable.
    let n = base64url::decode(A2_N).unwrap();
    assert_eq!(n.len() * 8, 2048);
    let v = policy_with_keys(Algorithm::RS256, a2_jwk());
    let verdict = v.verify(&token, &KeySet::new(), A_EXP - 1);
    assert!(verdict.valid, "{:?}", verdict.errors);
    assert_eq!(verdict.key.unwrap().kty, "RSA");
    // The RFC's own JWK carries the private exponent: azlens refuses private key material.
    let private = json!({"kty": "RSA", "n": A2_N, "e": "AQAB", "d": A2_D});
    let e = KeySet::parse(private.to_string().as_bytes(), &Limits::default()).unwrap_err();
    assert_eq!(e.code, ErrorCode::KeyInvalid);
}

#[test]
fn rfc7515_a3_es256() {
    let token = format!("{A3_HEADER}.{A_PAYLOAD}.{A3_SIG}");
    verify_compact(&token, Algorithm::ES256, &a3_jwk());
    let verdict =
        policy_with_keys(Algorithm::ES256, a3_jwk()).verify(&token, &KeySet::new(), A_EXP - 1);
    assert!(verdict.valid, "{:?}", verdict.errors);
    let private = json!({"kty": "EC", "crv": "P-256", "x": A3_X, "y": A3_Y, "d": A3_D});
    assert!(KeySet::parse(private.to_string().as_bytes(), &Limits::default()).is_err());
}

#[test]
fn rfc7515_a1_to_a3_expire_at_the_published_exp() {
    let jwk = json!({"kty": "oct", "k": A1_K});
    let v = policy_with_keys(Algorithm::HS256, jwk);
    let keys = KeySet::new();
    // Default leeway 60 s: valid until exp + 59, expired from exp + 60.
    assert!(v.verify(A1_TOKEN, &keys, A_EXP + 59).valid);
    let late = v.verify(A1_TOKEN, &keys, A_EXP + 60);
    assert!(late.has(ErrorCode::Expired), "{:?}", late.errors);
    assert_eq!(
        late.errors.len(),
        1,
        "signature still fine: {:?}",
        late.errors
    );
}

#[test]
fn rfc7515_a4_es512_signs_text() {
    verify_compact(A4_TOKEN, Algorithm::ES512, &a4_jwk());
    let verdict =
        policy_with_keys(Algorithm::ES512, a4_jwk()).verify(A4_TOKEN, &KeySet::new(), A_EXP);
    assert!(verdict.has(ErrorCode::Malformed), "{:?}", verdict.errors);
    assert_eq!(verdict.errors[0].claim.as_deref(), Some("payload"));
}

#[test]
fn rfc7515_a5_unsecured_is_refused() {
    let jwk = json!({"kty": "oct", "k": A1_K});
    let verdict =
        policy_with_keys(Algorithm::HS256, jwk).verify(A5_TOKEN, &KeySet::new(), A_EXP - 1);
    assert!(!verdict.valid);
    assert!(
        verdict.has(ErrorCode::AlgNotAllowed),
        "{:?}",
        verdict.errors
    );
    assert!(verdict.key.is_none());
}

// ---- RFC 7520 ------------------------------------------------------------------------------

#[test]
fn rfc7520_4_1_rs256() {
    let token = format!("{C41_HEADER}.{C_PAYLOAD}.{C41_SIG}");
    verify_compact(&token, Algorithm::RS256, &c_rsa_jwk());
    assert_eq!(base64url::decode(C_RSA_N).unwrap().len() * 8, 2048);
}

#[test]
fn rfc7520_4_2_ps384() {
    let token = format!("{C42_HEADER}.{C_PAYLOAD}.{C42_SIG}");
    verify_compact(&token, Algorithm::PS384, &c_rsa_jwk());
}

#[test]
fn rfc7520_4_3_es512() {
    let token = format!("{C43_HEADER}.{C_PAYLOAD}.{C43_SIG}");
    verify_compact(&token, Algorithm::ES512, &c_ec_jwk());
}

#[test]
fn rfc7520_4_4_hs256() {
    let token = format!("{C44_HEADER}.{C_PAYLOAD}.{C44_SIG}");
    let jwk = json!({"kty": "oct", "kid": "018c0ae5-4d9b-471b-bfd6-eef314bc7037", "use": "sig", "alg": "HS256", "k": C_OCT_K});
    verify_compact(&token, Algorithm::HS256, &jwk);
}

/// The cookbook payload is text, so no cookbook example is a JWT: the Verifier decodes the
/// header, finds the key by kid, and refuses the payload as malformed.
#[test]
fn rfc7520_tokens_are_not_jwts() {
    let cases = [
        (C41_HEADER, C41_SIG, Algorithm::RS256, c_rsa_jwk()),
        (C42_HEADER, C42_SIG, Algorithm::PS384, c_rsa_jwk()),
        (C43_HEADER, C43_SIG, Algorithm::ES512, c_ec_jwk()),
    ];
    for (header, sig, alg, jwk) in cases {
        let token = format!("{header}.{C_PAYLOAD}.{sig}");
        let verdict =
            policy_with_keys(alg, json!({"keys": [jwk]})).verify(&token, &KeySet::new(), 0);
        assert_eq!(verdict.errors.len(), 1, "{alg}: {:?}", verdict.errors);
        assert_eq!(verdict.errors[0].code, ErrorCode::Malformed);
        assert!(
            verdict.errors[0].message.contains("payload"),
            "{}",
            verdict.errors[0].message
        );
    }
}

// ---- RFC 8037 ------------------------------------------------------------------------------

#[test]
fn rfc8037_a4_ed25519() {
    verify_compact(ED_TOKEN, Algorithm::EdDSA, &ed_jwk());
    let verdict = policy_with_keys(Algorithm::EdDSA, ed_jwk()).verify(ED_TOKEN, &KeySet::new(), 0);
    assert!(verdict.has(ErrorCode::Malformed), "{:?}", verdict.errors);
    let private = json!({"kty": "OKP", "crv": "Ed25519", "x": ED_X, "d": ED_D});
    let e = KeySet::parse(private.to_string().as_bytes(), &Limits::default()).unwrap_err();
    assert!(e.message.contains("private"), "{}", e.message);
}

/// A published key serves only its own algorithm family: the RFC keys cross-checked against
/// each other's tokens never verify.
#[test]
fn published_keys_do_not_cross_verify() {
    let rs = format!("{C41_HEADER}.{C_PAYLOAD}.{C41_SIG}");
    let (input, sig) = rs.rsplit_once('.').unwrap();
    let sig = base64url::decode(sig).unwrap();
    // Right family, wrong key: the RFC 7515 RSA key against the RFC 7520 signature.
    assert!(alg::verify(
        Algorithm::RS256,
        &material(&a2_jwk()),
        input.as_bytes(),
        &sig
    )
    .is_err());
    // Wrong family entirely.
    assert!(alg::verify(
        Algorithm::RS256,
        &material(&ed_jwk()),
        input.as_bytes(),
        &sig
    )
    .is_err());
    assert!(alg::verify(
        Algorithm::PS256,
        &material(&c_rsa_jwk()),
        input.as_bytes(),
        &sig
    )
    .is_err());
}
