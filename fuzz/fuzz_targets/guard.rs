//! Bytes into the request gate (`gate::decide`: the gate protocol with every key at hand) under a fixed policy with
//! routes, a FHIR route, cookie and header token sources and forwarded claims. The input is a
//! request head as text: `METHOD path?query` on the first line, then `name: value` lines, then
//! after an empty line the body (a form `_search`, a Bundle), passed when the guard asks. Every
//! `$T` becomes a valid HS256 token (so the fuzzer reaches the route, scope and FHIR rules
//! behind a good signature) and every `$U` an unsigned one.
//!
//! Oracles: a decision allows exactly with status 200; refusal bodies and log lines stay short
//! whatever the request holds (issue 19: no amplification); what an allowed decision forwards is
//! already canonical (reading it again gives the same target: the upstream cannot read it
//! another way than the guard did, issue 13).
#![no_main]

use azlens::gate;
use azlens::guard::{self, Request};
use azlens::{KeySet, Limits, Verifier};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{KeyInit, Mac};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const SECRET: &[u8] = b"azlens-fuzz-hs256-secret-32bytes";
const NOW: i64 = 1_795_000_000;

struct Fixed {
    verifier: Verifier,
    keys: KeySet,
    token: String,
    unsigned: String,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn fixed() -> &'static Fixed {
    static F: OnceLock<Fixed> = OnceLock::new();
    F.get_or_init(|| {
        let verifier = Verifier::from_json(
            r#"{"algorithms":["HS256"],
                "issuers":[{"issuer":"https://as.example","audience":"https://fhir.example"}],
                "token":{"realm":"fuzz","from_headers":[{"name":"authorization","scheme":"Bearer"},
                                                        {"name":"x-token"}],
                         "from_cookies":["session"],"allow_query":true},
                "routes":[{"path_prefix":"/public","open":true},
                          {"path_prefix":"/admin","any_scope":["admin"],"methods":["GET","POST"]},
                          {"path_prefix":"/fhir","fhir":true}],
                "forward":{"headers":{"x-sub":"sub","x-scope":"scope","x-user":"atna_user"}}}"#,
        )
        .expect("fuzz policy");
        let jwks = format!(r#"{{"keys":[{{"kty":"oct","kid":"k1","k":"{}"}}]}}"#, b64(SECRET));
        let keys = KeySet::parse(jwks.as_bytes(), &Limits::default()).expect("fuzz keys");
        let claims = br#"{"iss":"https://as.example","aud":"https://fhir.example","sub":"s","exp":1795000600,"iat":1794999990,"scope":"patient/*.rs user/Observation.cruds admin","patient":"123"}"#;
        let input = format!("{}.{}", b64(br#"{"alg":"HS256","kid":"k1"}"#), b64(claims));
        let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(SECRET).expect("key");
        mac.update(input.as_bytes());
        let token = format!("{input}.{}", b64(&mac.finalize().into_bytes()));
        let unsigned = format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(claims));
        Fixed {
            verifier,
            keys,
            token,
            unsigned,
        }
    })
}

fn request(text: &str) -> Request {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.split('\n');
    let first = lines.next().unwrap_or_default();
    let (method, target) = first.split_once(' ').unwrap_or((first, "/"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.to_owned(), v.trim_start().to_owned()))
        .collect();
    let mut req = Request::new(method, target, headers);
    if guard::body_limit(&fixed().verifier, &req).is_some() {
        req.body = Some(body.to_owned());
    }
    req
}

fuzz_target!(|data: &[u8]| {
    let f = fixed();
    let text = String::from_utf8_lossy(data)
        .replace("$T", &f.token)
        .replace("$U", &f.unsigned);
    let req = request(&text);
    let answer = gate::decide(&f.verifier, req.clone(), &f.keys, NOW);
    // The policy has no introspection endpoint: every answer is the guard's decision.
    let decision = answer.into_decision().expect("a decision");
    assert_eq!(decision.allow, decision.status == 200);
    if let Some(target) = &decision.upstream_path {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let again = guard::canonical::canonical(&req.method, path, query, Default::default())
            .expect("a forwarded target reads again");
        assert_eq!(&again.target(), target, "the forwarded target is canonical");
    }
    if let Some(body) = &decision.body {
        assert!(body.len() < 8192, "a {}-byte refusal body", body.len());
    }
    let log = serde_json::to_string(&decision.log).expect("a log line");
    assert!(log.len() < 4096, "a {}-byte log line", log.len());
});
