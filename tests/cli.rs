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
            static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let p = std::env::temp_dir().join(format!(
                "azlens-cli-{}-{}",
                std::process::id(),
                COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
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
            "--json",
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
            "--json",
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
    let out = Command::new(BIN)
        .args(["keys", "--json", &keys])
        .output()
        .unwrap();
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
        .args(["inspect", "--json", "--now", "1999999760", &good])
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
        .args([
            "inspect",
            "--json",
            "--keys",
            &keys,
            "--now",
            "1999999760",
            &good,
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verification"]["valid"], true, "{v}");

    let out = Command::new(BIN)
        .args(["inspect", "--json", "definitely not a token"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "opaque");
}

/// Run the CLI with `stdin` fed in; (exit code, stdout, stderr).
fn run(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    // the CLI may stop reading (and close the pipe) before everything is written
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const GOOD_CLAIMS: &str =
    r#"{"iss":"https://as.example","sub":"alice","aud":"https://fhir.example","exp":2000000000}"#;

#[test]
fn standard_input_over_the_limit_is_refused_not_cut() {
    // issue 19 item 4: a valid token, spaces up to 1 MiB, then ".GARBAGE" verified as valid
    let (_d, policy, keys) = files();
    let good = sign(GOOD_CLAIMS);
    let mut input = good.clone().into_bytes();
    input.resize(1 << 20, b' ');
    input.extend_from_slice(b".GARBAGE");
    let args = [
        "verify",
        "--json",
        "--policy",
        &policy,
        "--keys",
        &keys,
        "--now",
        "1900000000",
        "-",
    ];
    let (code, stdout, stderr) = run(&args, &input);
    assert_eq!(code, 2, "stdout: {stdout}");
    assert!(stderr.contains("more than 1048576 bytes"), "{stderr}");
    assert!(!stdout.contains("\"valid\": true"), "{stdout}");
    // within the limit, the same bytes are one malformed token, never the valid prefix
    let mut short = good.clone().into_bytes();
    short.extend_from_slice(b"     .GARBAGE");
    let (code, stdout, _) = run(&args, &short);
    assert_eq!(code, 1, "{stdout}");
    // exactly at the limit is read whole
    let mut padded = good.into_bytes();
    padded.resize(1 << 20, b'\n');
    let (code, stdout, stderr) = run(&args, &padded);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn help_and_version_exit_zero() {
    for args in [
        vec!["--help"],
        vec!["-h"],
        vec!["help"],
        vec!["verify", "--help"],
    ] {
        let (code, stdout, _) = run(&args, b"");
        assert_eq!(code, 0, "{args:?}");
        assert!(stdout.contains("azlens decide"), "{args:?}: {stdout}");
    }
    for args in [["--version"], ["-V"]] {
        let (code, stdout, _) = run(&args, b"");
        assert_eq!(code, 0);
        assert_eq!(
            stdout.trim(),
            format!("azlens {}", env!("CARGO_PKG_VERSION"))
        );
    }
    let (code, _, stderr) = run(&[], b"");
    assert_eq!(code, 2);
    assert!(stderr.contains("azlens --help"), "{stderr}");
}

#[test]
fn text_for_people_by_default() {
    let (_d, policy, keys) = files();
    let good = sign(GOOD_CLAIMS);
    let (code, stdout, _) = run(
        &[
            "verify",
            "--policy",
            &policy,
            "--keys",
            &keys,
            "--now",
            "1999999760",
            &good,
        ],
        b"",
    );
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with("VALID: signature checked with a oct key \"k1\" (HS256)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("exp: 2000000000  (2033-05-18T03:33:20Z, expires in 4 min)"),
        "{stdout}"
    );
    let (code, stdout, _) = run(
        &[
            "verify",
            "--policy",
            &policy,
            "--keys",
            &keys,
            "--now",
            "2000000100",
            &good,
        ],
        b"",
    );
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with("INVALID: 1 problem\n  ✗ expired (exp): "),
        "{stdout}"
    );
    let (_, stdout, _) = run(&["inspect", "--now", "1999999760", &good], b"");
    assert!(stdout.starts_with("A signed JWT (HS256)"), "{stdout}");
    assert!(
        stdout.contains("Claims:\n  iss: https://as.example"),
        "{stdout}"
    );
}

#[test]
fn flags_make_a_policy_file_optional() {
    let (_d, _policy, keys) = files();
    let good = sign(GOOD_CLAIMS);
    let ok = |extra: &[&str]| {
        let mut args = vec!["verify", "--keys", &keys, "--now", "1900000000"];
        args.extend_from_slice(extra);
        args.push(&good);
        run(&args, b"")
    };
    let (code, out, err) = ok(&[
        "--alg",
        "HS256",
        "--iss",
        "https://as.example",
        "--aud",
        "https://fhir.example",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = ok(&["--alg", "RS256,HS256", "--aud", "https://other.example"]);
    assert_eq!(code, 1);
    assert!(out.contains("audience_mismatch"), "{out}");
    let (code, out, _) = ok(&["--alg", "HS256", "--iss", "https://evil.example"]);
    assert_eq!(code, 1);
    assert!(out.contains("issuer_mismatch"), "{out}");
    // by default only public-key algorithms: an HMAC token needs --alg HS256
    let (code, out, _) = ok(&[]);
    assert_eq!(code, 1);
    assert!(out.contains("alg_not_allowed"), "{out}");
    let (code, _, err) = ok(&["--alg", "XX999"]);
    assert_eq!(code, 2);
    assert!(err.contains("flags do not make a usable policy"), "{err}");
    let (code, _, err) = ok(&["--profile", "fhir"]);
    assert_eq!(code, 2);
    assert!(err.contains("--profile takes auto, none"), "{err}");
}

#[test]
fn now_takes_iso_dates_as_the_page_does() {
    let (_d, policy, keys) = files();
    let good = sign(GOOD_CLAIMS);
    for (now, code) in [
        ("2033-05-18T03:29:20Z", 0),
        ("2033-05-18T05:29:20+02:00", 0),
        ("2033-05-18", 0),
        ("2033-05-18T03:35:00Z", 1),
    ] {
        let (c, out, err) = run(
            &[
                "verify", "--policy", &policy, "--keys", &keys, "--now", now, &good,
            ],
            b"",
        );
        assert_eq!(c, code, "{now}: {out}{err}");
    }
    let (c, _, err) = run(
        &["verify", "--policy", &policy, "--now", "yesterday", &good],
        b"",
    );
    assert_eq!(c, 2);
    assert!(err.contains("2026-11-02T09:30:00Z"), "{err}");
}

#[test]
fn dash_reads_standard_input_for_keys_and_policy_too() {
    let (d, policy, keys) = files();
    let good = sign(GOOD_CLAIMS);
    let (code, out, _) = run(&["keys", "-"], SECRET_JWK.as_bytes());
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("1 usable key in standard input"), "{out}");
    let (code, out, _) = run(
        &[
            "verify",
            "--policy",
            &policy,
            "--keys",
            "-",
            "--now",
            "1900000000",
            &good,
        ],
        SECRET_JWK.as_bytes(),
    );
    assert_eq!(code, 0, "{out}");
    let policy_text = std::fs::read(&policy).unwrap();
    let (code, out, _) = run(
        &[
            "verify",
            "--policy",
            "-",
            "--keys",
            &keys,
            "--now",
            "1900000000",
            &good,
        ],
        &policy_text,
    );
    assert_eq!(code, 0, "{out}");
    let token_file = d.write("token.txt", &good);
    let (code, _, err) = run(
        &["verify", "--policy", "-", "--keys", "-", &token_file],
        b"",
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("only one input can come from standard input"),
        "{err}"
    );
}

#[test]
fn hints_for_a_pasted_scheme_and_a_file_name() {
    let (d, policy, keys) = files();
    let good = sign(GOOD_CLAIMS);
    let bearer = format!("Bearer {good}");
    let (code, out, err) = run(
        &[
            "verify",
            "--policy",
            &policy,
            "--keys",
            &keys,
            "--now",
            "1900000000",
            &bearer,
        ],
        b"",
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        err.contains("\"Bearer\" authorization scheme before the token was removed"),
        "{err}"
    );
    let token_file = d.write("token.jwt", &good);
    let (code, _, err) = run(
        &["verify", "--policy", &policy, "--keys", &keys, &token_file],
        b"",
    );
    assert_eq!(code, 1);
    assert!(err.contains("looks like a file name, not a token"), "{err}");
    assert!(err.contains(&format!("- < {token_file}")), "{err}");
}

/// An OpenID Connect ID token from a SMART server: nonce, auth_time, acr, amr and fhirUser.
fn id_token() -> String {
    sign(
        r#"{"iss":"https://as.example","sub":"alice","aud":"growth-chart","nonce":"n-1","auth_time":1899999000,"acr":"urn:mace:incommon:iap:silver","amr":["pwd"],"fhirUser":"https://fhir.example/Practitioner/9","iat":1899999900,"exp":2000000000}"#,
    )
}

#[test]
fn auto_profile_is_the_one_the_core_detects() {
    let (_d, _policy, keys) = files();
    let token = id_token();
    let base = [
        "verify",
        "--alg",
        "HS256",
        "--keys",
        &keys,
        "--now",
        "1900000000",
    ];
    // detected as an ID token (not SMART): its rules need the client as the audience
    let mut args = base.to_vec();
    args.push(&token);
    let (code, _, err) = run(&args, b"");
    assert_eq!(code, 2);
    assert!(
        err.contains("looks like OpenID Connect ID token (auto-detected)"),
        "{err}"
    );
    assert!(err.contains("--aud"), "{err}");
    let mut args = base.to_vec();
    args.extend_from_slice(&["--aud", "growth-chart", &token]);
    let (code, out, err) = run(&args, b"");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("OpenID Connect ID token rules met"), "{out}");
    let mut args = base.to_vec();
    args.extend_from_slice(&["--json", "--aud", "growth-chart", &token]);
    let (_, out, _) = run(&args, b"");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["profile"], "oidc");
    // forcing SMART's rules on it is what the page used to do
    let mut args = base.to_vec();
    args.extend_from_slice(&["--profile", "smart", &token]);
    let (code, out, _) = run(&args, b"");
    assert_eq!(code, 1);
    assert!(out.contains("smart.scope-present"), "{out}");
    // inspect marks the same profile
    let (_, out, _) = run(&["inspect", "--now", "1900000000", &token], b"");
    assert!(
        out.contains("OpenID Connect ID token (auto-detect applies this one)"),
        "{out}"
    );
    let (_, out, _) = run(&["inspect", "--json", &token], b"");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let detected: Vec<&serde_json::Value> = v["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["detected"] == true)
        .map(|p| &p["name"])
        .collect();
    assert_eq!(detected, ["oidc"]);
}

#[test]
fn example_policies_are_accepted() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/policies");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let p = path.to_string_lossy().into_owned();
        // no keys: the token is refused (1), but the policy is read (not 2)
        let (code, out, err) = run(&["verify", "--policy", &p, &sign(GOOD_CLAIMS)], b"");
        assert_eq!(code, 1, "{p}: {out}{err}");
        seen += 1;
    }
    assert!(seen >= 5);
}

#[test]
fn decide_answers_what_the_gate_would() {
    let (d, _policy, keys) = files();
    let policy = d.write(
        "gate.json",
        r#"{"algorithms":["HS256"],
            "issuers":[{"issuer":"https://as.example","audience":"https://fhir.example"}],
            "routes":[{"path_prefix":"/fhir","fhir":true}],
            "forward":{"headers":{"x-user":"sub"}}}"#,
    );
    let token = sign(
        r#"{"iss":"https://as.example","sub":"alice","aud":"https://fhir.example","exp":2000000000,"scope":"launch/patient patient/Observation.rs","patient":"123"}"#,
    );
    let decide = |args: &[&str]| {
        let mut all = vec![
            "decide",
            "--policy",
            &policy,
            "--keys",
            &keys,
            "--now",
            "1900000000",
        ];
        all.extend_from_slice(args);
        run(&all, b"")
    };
    let (code, out, err) = decide(&[
        "GET",
        "/fhir/Observation?patient=123&category=laboratory",
        &token,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("ALLOWED (200): "), "{out}");
    assert!(out.contains("upstream header x-user: alice"), "{out}");
    // a full URL is read for its path and query
    let (code, out, _) = decide(&[
        "GET",
        "https://fhir.example/fhir/Observation?patient=123",
        &token,
    ]);
    assert_eq!(code, 0, "{out}");
    // a full URL is the origin a DPoP proof is checked against; a path alone names none
    let bound = sign(
        r#"{"iss":"https://as.example","sub":"alice","aud":"https://fhir.example","exp":2000000000,"scope":"patient/Observation.rs","patient":"123","cnf":{"jkt":"x"}}"#,
    );
    let auth = format!("Authorization: DPoP {bound}");
    for (target, rule) in [
        (
            "https://fhir.example/fhir/Observation?patient=123",
            "dpop.malformed",
        ),
        ("/fhir/Observation?patient=123", "dpop.origin-unknown"),
    ] {
        let (code, out, _) = decide(&[
            "--json",
            "-H",
            &auth,
            "-H",
            "DPoP: not-a-proof",
            "GET",
            target,
        ]);
        assert_eq!(code, 1, "{out}");
        let d: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(d["log"]["rule"], rule, "{target}: {out}");
    }
    // another patient's data, and a resource type the scope does not name: 403
    for target in ["/fhir/Observation?patient=999", "/fhir/Patient/123"] {
        let (code, out, _) = decide(&["GET", target, &token]);
        assert_eq!(code, 1, "{target}: {out}");
        assert!(out.starts_with("REFUSED (403): "), "{target}: {out}");
        assert!(out.contains("insufficient_scope"), "{target}: {out}");
    }
    // no token, and an expired one: 401
    let (code, out, _) = decide(&["GET", "/fhir/Observation?patient=123"]);
    assert_eq!(code, 1);
    assert!(out.starts_with("REFUSED (401): "), "{out}");
    let (code, out, _) = run(
        &[
            "decide",
            "--policy",
            &policy,
            "--keys",
            &keys,
            "--now",
            "2000000100",
            "GET",
            "/fhir/Observation?patient=123",
            &token,
        ],
        b"",
    );
    assert_eq!(code, 1);
    assert!(out.contains("expired"), "{out}");
    // headers as given, token from standard input, JSON for programs
    let (code, out, _) = run(
        &[
            "decide",
            "--json",
            "--policy",
            &policy,
            "--keys",
            &keys,
            "--now",
            "1900000000",
            "-H",
            "x-user: mallory",
            "GET",
            "/fhir/Observation?patient=123",
            "-",
        ],
        token.as_bytes(),
    );
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], 200);
    assert_eq!(
        v["remove_headers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| *h == "x-user")
            .count(),
        1,
        "{v}"
    );
    let (code, _, err) = decide(&["/fhir/Patient"]);
    assert_eq!(code, 2);
    assert!(err.contains("decide needs METHOD and PATH"), "{err}");
}

#[test]
fn a_key_set_the_policy_names_is_not_fetched_and_says_so() {
    let dir = tempdir::Dir::new();
    let policy = dir.write(
        "policy.json",
        r#"{"algorithms":["HS256"],"issuers":[{"issuer":"https://as.example","audience":"https://fhir.example","jwks_uri":"https://as.example/jwks"}]}"#,
    );
    let token = sign(
        r#"{"iss":"https://as.example","sub":"alice","aud":"https://fhir.example","exp":2000000000}"#,
    );
    let (code, out, _) = run(
        &[
            "verify",
            "--json",
            "--policy",
            &policy,
            "--now",
            "1900000000",
            &token,
        ],
        b"",
    );
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["errors"][0]["code"], "key_set_unavailable", "{v}");
    let m = v["errors"][0]["message"].as_str().unwrap();
    assert!(
        m.contains("https://as.example/jwks") && m.contains("--keys FILE"),
        "{m}"
    );
    // decide says the same in its refusal body.
    let (code, out, _) = run(
        &[
            "decide",
            "--json",
            "--policy",
            &policy,
            "--now",
            "1900000000",
            "GET",
            "/x",
            &token,
        ],
        b"",
    );
    assert_eq!(code, 1);
    assert!(out.contains("key_set_unavailable"), "{out}");
}
