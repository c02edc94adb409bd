//! The command-line host, run as a user would: real files, real process, exit codes.

use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_azlens");
// HS256, {"iss":"https://as.example","sub":"alice","aud":"https://fhir.example","exp":2000000000}
// signed with the 32-byte secret below.
const SECRET_JWK: &str =
    r#"{"keys":[{"kty":"oct","kid":"k1","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}]}"#;

fn sign(payload: &str) -> String {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let head = b64.encode(br#"{"alg":"HS256","kid":"k1"}"#);
    let body = b64.encode(payload.as_bytes());
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(b"0123456789abcdef0123456789abcdef").unwrap();
    mac.update(format!("{head}.{body}").as_bytes());
    format!("{head}.{body}.{}", b64.encode(mac.finalize().into_bytes()))
}

fn files() -> (tempdir::Dir, String, String) {
    let dir = tempdir::Dir::new();
    let policy = dir.write(
        "policy.json",
        r#"{"algorithms":["HS256"],"issuers":[{"issuer":"https://as.example","audience":"https://fhir.example"}]}"#,
    );
    let keys = dir.write("keys.json", SECRET_JWK);
    (dir, policy, keys)
}

mod tempdir {
    pub struct Dir(std::path::PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            let p = std::env::temp_dir().join(format!(
                "azlens-cli-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
        pub fn write(&self, name: &str, text: &str) -> String {
            let p = self.0.join(name);
            std::fs::write(&p, text).unwrap();
            p.to_string_lossy().into_owned()
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[test]
fn verify_exits_zero_for_a_valid_token_and_one_for_an_expired_one() {
    let (_d, policy, keys) = files();
    let good = sign(
        r#"{"iss":"https://as.example","sub":"alice","aud":"https://fhir.example","exp":2000000000}"#,
    );
    let out = Command::new(BIN)
        .args([
            "verify",
            "--policy",
            &policy,
            "--keys",
            &keys,
            "--now",
            "1900000000",
            &good,
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["key"]["kid"], "k1");

    let out = Command::new(BIN)
        .args([
            "verify",
            "--policy",
            &policy,
            "--keys",
            &keys,
            "--now",
            "2000000100",
            &good,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["errors"][0]["code"], "expired");
}

#[test]
fn reads_the_token_from_stdin() {
    let (_d, policy, keys) = files();
    let good = sign(
        r#"{"iss":"https://as.example","sub":"alice","aud":"https://fhir.example","exp":2000000000}"#,
    );
    let mut child = Command::new(BIN)
        .args([
            "verify",
            "--policy",
            &policy,
            "--keys",
            &keys,
            "--now",
            "1900000000",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{good}\n").as_bytes())
        .unwrap();
    assert_eq!(child.wait_with_output().unwrap().status.code(), Some(0));
}

#[test]
fn usage_errors_exit_two_with_a_message() {
    let (_d, policy, _keys) = files();
    for args in [
        vec!["verify"],
        vec!["frobnicate"],
        vec!["verify", "--policy", &policy],
        vec!["verify", "--policy", "/nonexistent", "x"],
    ] {
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("azlens: "));
    }
    let (d, _, _) = files();
    let bad = d.write("bad.json", r#"{"algorithms":["none"]}"#);
    let out = Command::new(BIN)
        .args(["verify", "--policy", &bad, "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("never an allowed algorithm"));
}

#[test]
fn keys_lists_what_a_file_holds() {
    let (_d, _policy, keys) = files();
    let out = Command::new(BIN).args(["keys", &keys]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["keys"][0]["kid"], "k1");
    assert_eq!(v["keys"][0]["kty"], "oct");
}

#[test]
fn inspect_explains_any_input_and_verifies_with_keys() {
    let (_d, _policy, keys) = files();
    let good = sign(
        r#"{"iss":"https://as.example","sub":"alice","aud":"https://fhir.example","exp":2000000000}"#,
    );
    let out = Command::new(BIN)
        .args(["inspect", "--now", "1999999760", &good])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "jws");
    let exp = v["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "exp")
        .unwrap();
    assert_eq!(exp["relative"], "expires in 4 min");

    let out = Command::new(BIN)
        .args(["inspect", "--keys", &keys, "--now", "1999999760", &good])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verification"]["valid"], true, "{v}");

    let out = Command::new(BIN)
        .args(["inspect", "definitely not a token"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "opaque");
}
