//! `azlens decide` with IUA route rules: the rule that decided, break-the-glass, and the IHE
//! BALP AuditEvent of the decision (text and `--json`).

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_azlens");
const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const ACT_REASON: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

fn sign(claims: &serde_json::Value) -> String {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let head = b64.encode(br#"{"alg":"HS256","kid":"k1"}"#);
    let body = b64.encode(claims.to_string().as_bytes());
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();
    mac.update(format!("{head}.{body}").as_bytes());
    format!("{head}.{body}.{}", b64.encode(mac.finalize().into_bytes()))
}

fn token(purpose: &str) -> String {
    sign(&serde_json::json!({
        "iss": "https://sts.example", "sub": "dr-who", "aud": "https://fhir.example",
        "exp": 2_000_000_000, "scope": "user/*.rs", "client_id": "ward-app",
        "extensions": {"ihe_iua": {"purpose_of_use": [{"system": ACT_REASON, "code": purpose}]},
                       "ihe_bppc": {"patient_id": "123"}}
    }))
}

fn decide(args: &[&str]) -> (i32, String) {
    // One directory per call: tests run in parallel and each writes its own files.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("azlens-cli-iua-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("policy.json");
    let keys = dir.join("keys.json");
    let k = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, SECRET);
    std::fs::write(
        &keys,
        format!(r#"{{"keys":[{{"kty":"oct","kid":"k1","k":"{k}"}}]}}"#),
    )
    .unwrap();
    std::fs::write(
        &policy,
        serde_json::json!({
            "algorithms": ["HS256"],
            "issuers": [{"issuer": "https://sts.example", "audience": "https://fhir.example"}],
            "routes": [{"path_prefix": "/fhir", "fhir": true,
                        "iua": {"purpose_of_use": [{"system": ACT_REASON, "code": "TREAT"}],
                                "consent": "patient", "break_glass": true}}],
            "audit": {"source": "gateway.example"}
        })
        .to_string(),
    )
    .unwrap();
    let mut all = vec![
        "decide",
        "--policy",
        policy.to_str().unwrap(),
        "--keys",
        keys.to_str().unwrap(),
        "--now",
        "1900000000",
    ];
    all.extend_from_slice(args);
    let out = Command::new(BIN).args(&all).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn decide_names_the_rule_and_prints_the_audit_event() {
    let (code, out) = decide(&["GET", "/fhir/Observation?patient=456", &token("TREAT")]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("iua.consent-patient") || out.contains("consent"),
        "{out}"
    );
    assert!(
        out.contains("audit: AuditEvent search-type outcome 4"),
        "{out}"
    );

    let (code, out) = decide(&["GET", "/fhir/Observation?patient=456", &token("ETREAT")]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("BREAK-THE-GLASS"), "{out}");
    assert!(
        out.contains("audit user: https://fhir.example<dr-who@https://sts.example> for ETREAT"),
        "{out}"
    );

    let (code, out) = decide(&[
        "--json",
        "GET",
        "/fhir/Observation?patient=123",
        &token("TREAT"),
    ]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ev = &v["audit_event"];
    assert_eq!(ev["resourceType"], "AuditEvent");
    assert_eq!(ev["recorded"], "2030-03-17T17:46:40Z");
    assert_eq!(ev["source"]["observer"]["display"], "gateway.example");
    assert_eq!(
        ev["meta"]["profile"][0],
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientQuery"
    );
    assert_eq!(v["audit"]["patient"], "123");
}

#[test]
fn decide_says_which_route_rules_the_token_meets() {
    // Consent for 123, a request for 456: the purpose is met, the consent is not.
    let (code, out) = decide(&["GET", "/fhir/Observation?patient=456", &token("TREAT")]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("iua rule purpose_of_use: met"), "{out}");
    assert!(out.contains("iua rule consent: not met: "), "{out}");

    let (_, out) = decide(&[
        "--json",
        "GET",
        "/fhir/Observation?patient=123",
        &token("HPAYMT"),
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rules = v["iua_rules"].as_array().expect("iua_rules");
    assert_eq!(rules.len(), 2, "{out}");
    assert_eq!(rules[0][0], "purpose_of_use");
    assert!(
        rules[0][1].as_str().unwrap().starts_with("not met: "),
        "{out}"
    );
    assert_eq!(rules[1], serde_json::json!(["consent", "met"]));
}
