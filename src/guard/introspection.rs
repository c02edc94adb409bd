//! An RFC 7662 introspection endpoint for the JWTs this policy verifies, so protected resources
//! that cannot verify tokens themselves can ask the gate (SMART's token introspection adds the
//! launch context: `patient`, `encounter`, `fhirUser`).
//!
//! It is one kind of step in the gate protocol ([`crate::gate`]): `read_call` authenticates
//! the caller and reads the form, then `reply_for` answers once the submitted token is
//! verified with the keys the host fetched. A token that does not verify is `{"active": false}`
//! and nothing more (RFC 7662 §2.2): why it failed is logged, never told.

use super::request::{parse_form, percent_decode, Request};
use super::LogLine;
use crate::policy::hosts::Introspection;
use crate::policy::Policy;
use crate::profiles::introspection;
use crate::verify::Verdict;
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::Digest;
use subtle::ConstantTimeEq;

/// A response the host sends as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    pub status: u16,
    /// Response headers, lower-case names.
    pub headers: Vec<(String, String)>,
    /// JSON text.
    pub body: String,
    /// One structured log line: no token, no secrets.
    pub log: LogLine,
}

/// Is this request for the policy's introspection endpoint? The gate then reads the body (at
/// most [`max_body_bytes`]) and answers it here instead of in the guard.
pub fn is_endpoint(policy: &Policy, req: &Request) -> bool {
    policy
        .introspection
        .as_ref()
        .is_some_and(|i| i.path == req.path)
}

/// The largest request body the endpoint reads: a token at the policy's size limit plus room
/// for the other form parameters. Hosts stop reading beyond it.
pub fn max_body_bytes(policy: &Policy) -> usize {
    policy.limits.max_token_bytes.saturating_add(2048)
}

/// The answer to an authenticated `call` whose token got `verdict`.
pub(crate) fn reply_for(req: &Request, call: &Call, verdict: &Verdict) -> Reply {
    let mut log = log_line(req);
    let text = |name: &str| {
        verdict
            .payload
            .as_ref()
            .and_then(|p| p.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    log.decision = "introspect";
    log.status = 200;
    log.codes = verdict.errors.iter().map(|e| e.code).collect();
    if verdict.valid {
        log.iss = text("iss");
        log.sub = text("sub");
        log.client_id = text("client_id");
        log.reason = format!("introspection by \"{}\": active", call.client_id);
    } else {
        let why = verdict
            .errors
            .first()
            .map(|e| e.message.as_str())
            .unwrap_or("not valid");
        log.reason = format!("introspection by \"{}\": inactive ({why})", call.client_id);
    }
    Reply {
        status: 200,
        headers: json_headers(),
        body: introspection::response(verdict.valid, verdict.payload.as_ref()).to_string(),
        log,
    }
}

/// An authenticated call: who asked, and the token to introspect.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) client_id: String,
    pub(crate) token: String,
}

/// Method, content type, size, client authentication, then the `token` parameter.
pub(crate) fn read_call(policy: &Policy, req: &Request, body: &str) -> Result<Call, Box<Reply>> {
    let Some(section) = policy.introspection.as_ref() else {
        return Err(refusal(
            req,
            404,
            "invalid_request",
            "This policy serves no introspection endpoint.",
        ));
    };
    if req.method != "POST" {
        let mut r = refusal(
            req,
            405,
            "invalid_request",
            "The introspection endpoint takes POST requests (RFC 7662 §2.1).",
        );
        r.headers.push(("allow".into(), "POST".into()));
        return Err(r);
    }
    let form_type = req.header_values("content-type").any(|v| {
        v.split(';').next().is_some_and(|t| {
            t.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    });
    if !form_type {
        return Err(refusal(
            req,
            415,
            "invalid_request",
            "Send the token as application/x-www-form-urlencoded (RFC 7662 §2.1).",
        ));
    }
    if body.len() > max_body_bytes(policy) {
        return Err(refusal(
            req,
            413,
            "invalid_request",
            "The request body is larger than any token this policy accepts.",
        ));
    }
    let form = parse_form(body);
    let once = |name: &str| -> Result<Option<&str>, Box<Reply>> {
        let mut values = form.iter().filter(|(n, _)| n == name).map(|(_, v)| v);
        let first = values.next();
        if values.next().is_some() {
            return Err(refusal(
                req,
                400,
                "invalid_request",
                &format!("The parameter \"{name}\" is sent more than once (RFC 6749 §3.2)."),
            ));
        }
        Ok(first.map(String::as_str))
    };
    let posted = (once("client_id")?, once("client_secret")?);
    let token = once("token")?;
    let client_id = authenticate(section, &policy.token.realm, req, posted)?;
    match token {
        Some(t) if !t.is_empty() => Ok(Call {
            client_id,
            token: t.to_owned(),
        }),
        _ => Err(refusal(
            req,
            400,
            "invalid_request",
            "The request has no \"token\" parameter (RFC 7662 §2.1).",
        )),
    }
}

/// RFC 6749 §2.3.1: HTTP Basic (client id and secret form-encoded, then base64) or the
/// `client_id`/`client_secret` body parameters; exactly one method per request. Secrets are
/// compared as SHA-256 digests in constant time, also for an unknown client.
fn authenticate(
    section: &Introspection,
    realm: &str,
    req: &Request,
    posted: (Option<&str>, Option<&str>),
) -> Result<String, Box<Reply>> {
    let basic: Vec<&str> = req
        .header_values("authorization")
        .filter_map(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(rest.trim())
        })
        .collect();
    let (id, secret) = match (basic.as_slice(), posted) {
        ([], (None, None)) => {
            return Err(unauthorized(
                req,
                realm,
                "Client authentication is required: HTTP Basic or client_id and client_secret.",
            ))
        }
        ([one], (None, None)) => match decode_basic(one) {
            Some(pair) => pair,
            None => {
                return Err(unauthorized(
                    req,
                    realm,
                    "The Basic credentials are not base64 of \"client_id:client_secret\".",
                ))
            }
        },
        ([], (Some(id), Some(secret))) => (id.to_owned(), secret.to_owned()),
        ([], _) => {
            return Err(unauthorized(
                req,
                realm,
                "Send both client_id and client_secret, or use HTTP Basic.",
            ))
        }
        _ => {
            return Err(refusal(
                req,
                400,
                "invalid_request",
                "The request uses more than one client authentication method (RFC 6749 §2.3).",
            ))
        }
    };
    let client = section.clients.iter().find(|c| c.client_id == id);
    let expected = client.and_then(|c| c.secret_digest()).unwrap_or([0u8; 32]);
    let presented: [u8; 32] = sha2::Sha256::digest(secret.as_bytes()).into();
    let matches: bool = presented.ct_eq(&expected).into();
    if client.is_some() && matches {
        Ok(id)
    } else {
        Err(unauthorized(
            req,
            realm,
            "The client credentials are not valid.",
        ))
    }
}

/// `base64(form(id) ":" form(secret))` → (id, secret).
fn decode_basic(credentials: &str) -> Option<(String, String)> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(credentials)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((percent_decode(id), percent_decode(secret)))
}

fn json_headers() -> Vec<(String, String)> {
    vec![
        ("content-type".into(), "application/json".into()),
        ("cache-control".into(), "no-store".into()),
    ]
}

fn log_line(req: &Request) -> LogLine {
    LogLine {
        method: req.method.clone(),
        path: req.path.clone(),
        ..LogLine::default()
    }
}

/// An OAuth error response (RFC 6749 §5.2 shape).
fn refusal(req: &Request, status: u16, error: &str, description: &str) -> Box<Reply> {
    let mut log = log_line(req);
    log.decision = "deny";
    log.status = status;
    log.reason = description.to_owned();
    Box::new(Reply {
        status,
        headers: json_headers(),
        body: json!({"error": error, "error_description": description}).to_string(),
        log,
    })
}

/// 401 `invalid_client` with a Basic challenge (RFC 6749 §5.2, RFC 7662 §2.3), in the
/// policy's realm.
fn unauthorized(req: &Request, realm: &str, description: &str) -> Box<Reply> {
    let mut r = refusal(req, 401, "invalid_client", description);
    r.headers
        .push(("www-authenticate".into(), super::challenge::basic(realm)));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::VerdictCache;
    use crate::error::ErrorCode;
    use crate::gate::{self, Answer, Step};
    use crate::keys::KeySet;
    use crate::token::base64url::encode;
    use crate::verify::Verifier;
    use hmac::{KeyInit, Mac};

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    const NOW: i64 = 1_800_000_000;
    const SECRET: &str = "rs-secret: with spaces+plus";
    const FORM: &str = "application/x-www-form-urlencoded";

    fn sign(claims: Value) -> String {
        let head = encode(br#"{"alg":"HS256","kid":"k1"}"#);
        let body = encode(claims.to_string().as_bytes());
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(KEY).unwrap();
        mac.update(format!("{head}.{body}").as_bytes());
        format!("{head}.{body}.{}", encode(&mac.finalize().into_bytes()))
    }

    fn token(exp: i64) -> String {
        sign(
            json!({"iss": "https://as.example", "sub": "dr-who", "aud": "https://fhir.example",
                    "client_id": "app", "scope": "launch patient/*.rs", "exp": exp, "iat": NOW - 10,
                    "patient": "123", "encounter": "e9", "fhirUser": "Practitioner/p1"}),
        )
    }

    fn verifier(with_section: bool) -> Verifier {
        let digest = hex(&sha2::Sha256::digest(b"second-client-secret"));
        let mut p = json!({
            "algorithms": ["HS256"],
            "issuers": [{"issuer": "https://as.example", "audience": "https://fhir.example",
                         "keys": {"keys": [{"kty": "oct", "kid": "k1", "k": encode(KEY)}]}}],
            "token": {"realm": "fhir"},
            "limits": {"max_token_bytes": 4096}
        });
        if with_section {
            p["introspection"] = json!({"path": "/introspect", "clients": [
                {"client_id": "rs 1", "secret": SECRET},
                {"client_id": "rs2", "secret_sha256": digest}]});
        }
        Verifier::from_json(&p.to_string()).unwrap()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn form(s: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }

    fn basic(id: &str, secret: &str) -> String {
        let pair = format!("{}:{}", form(id), form(secret));
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }

    fn request(method: &str, content_type: &str, auth: Option<&str>) -> Request {
        let mut headers = vec![("Content-Type".to_string(), content_type.to_string())];
        if let Some(a) = auth {
            headers.push(("Authorization".into(), a.into()));
        }
        Request::new(method, "/introspect", headers)
    }

    /// The gate's reply to a call with `body`, all keys at hand.
    fn answer(v: &Verifier, req: &Request, body: &str, keys: &KeySet, now: i64) -> Reply {
        let mut req = req.clone();
        req.body = Some(body.to_owned());
        match gate::decide(v, req, keys, now) {
            Answer::Introspection(r) => *r,
            other => panic!("{other:?}"),
        }
    }

    /// The gate's reply through `cache` (begin, then finish with `keys` under `generation`).
    fn answer_cached(
        v: &Verifier,
        req: &Request,
        body: &str,
        keys: &KeySet,
        generation: u64,
        cache: &mut VerdictCache,
        now: i64,
    ) -> Reply {
        let Step::Fetch(ticket) = gate::begin(v, cache, req.clone(), Some(body.to_owned())) else {
            panic!("a token to verify")
        };
        match gate::finish(v, cache, &ticket, &[keys], generation, now).answer {
            Answer::Introspection(r) => *r,
            other => panic!("{other:?}"),
        }
    }

    fn prepare(v: &Verifier, req: &Request, body: &str) -> Step {
        gate::begin(v, &VerdictCache::new(1), req.clone(), Some(body.to_owned()))
    }

    fn run(method: &str, content_type: &str, auth: Option<&str>, body: &str) -> Reply {
        answer(
            &verifier(true),
            &request(method, content_type, auth),
            body,
            &KeySet::new(),
            NOW,
        )
    }

    fn parsed(r: &Reply) -> Value {
        serde_json::from_str(&r.body).unwrap()
    }

    fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn an_authenticated_caller_gets_the_launch_context_of_a_valid_token() {
        let t = token(NOW + 300);
        let by_basic = run(
            "POST",
            FORM,
            Some(&basic("rs 1", SECRET)),
            &format!("token={t}&token_type_hint=access_token"),
        );
        assert_eq!(by_basic.status, 200, "{by_basic:?}");
        let v = parsed(&by_basic);
        assert_eq!(v["active"], true);
        assert_eq!(
            (&v["patient"], &v["encounter"], &v["fhirUser"]),
            (&json!("123"), &json!("e9"), &json!("Practitioner/p1"))
        );
        assert_eq!(v["scope"], "launch patient/*.rs");
        assert_eq!(header(&by_basic, "cache-control"), Some("no-store"));
        assert_eq!(by_basic.log.decision, "introspect");
        assert!(by_basic.log.reason.contains("\"rs 1\": active"));
        let logged = serde_json::to_string(&by_basic.log).unwrap();
        assert!(!logged.contains(&t) && !logged.contains("rs-secret"));

        // client_secret_post, a digest-configured client, a charset parameter, a lower-case scheme.
        let by_post = run(
            "POST",
            "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
            None,
            &format!("client_id=rs2&client_secret=second-client-secret&token={t}"),
        );
        assert_eq!(parsed(&by_post)["active"], true, "{by_post:?}");
        let lower = basic("rs2", "second-client-secret").replacen("Basic", "basic", 1);
        assert_eq!(
            parsed(&run("POST", FORM, Some(&lower), &format!("token={t}")))["active"],
            true
        );
    }

    #[test]
    fn a_token_that_does_not_verify_is_inactive_and_nothing_more() {
        let auth = basic("rs 1", SECRET);
        for t in [
            token(NOW - 3600),
            format!("{}x", token(NOW + 300)),
            "opaque-token".into(),
        ] {
            let r = run("POST", FORM, Some(&auth), &format!("token={}", form(&t)));
            assert_eq!((r.status, parsed(&r)), (200, json!({"active": false})));
            assert!(r.log.reason.contains("inactive"), "{:?}", r.log);
            assert!(!r.log.codes.is_empty());
        }
        let expired = run(
            "POST",
            FORM,
            Some(&auth),
            &format!("token={}", token(NOW - 3600)),
        );
        assert_eq!(expired.log.codes, vec![ErrorCode::Expired]);
    }

    /// (method, content type, authorization, body, status, error)
    type Case<'a> = (&'a str, &'a str, Option<String>, String, u16, &'a str);

    #[test]
    fn refusals_table() {
        let t = token(NOW + 300);
        let ok_auth = basic("rs 1", SECRET);
        let with_token = format!("token={t}");
        // (method, content type, authorization, body) → (status, error)
        let cases: Vec<Case> = vec![
            (
                "GET",
                FORM,
                Some(ok_auth.clone()),
                with_token.clone(),
                405,
                "invalid_request",
            ),
            (
                "POST",
                "application/json",
                Some(ok_auth.clone()),
                with_token.clone(),
                415,
                "invalid_request",
            ),
            (
                "POST",
                FORM,
                None,
                with_token.clone(),
                401,
                "invalid_client",
            ),
            (
                "POST",
                FORM,
                Some(basic("rs 1", "wrong-secret-wrong")),
                with_token.clone(),
                401,
                "invalid_client",
            ),
            (
                "POST",
                FORM,
                Some(basic("nobody", SECRET)),
                with_token.clone(),
                401,
                "invalid_client",
            ),
            (
                "POST",
                FORM,
                Some("Basic !!notbase64".into()),
                with_token.clone(),
                401,
                "invalid_client",
            ),
            (
                "POST",
                FORM,
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode("no-colon")
                )),
                with_token.clone(),
                401,
                "invalid_client",
            ),
            (
                "POST",
                FORM,
                Some(format!("Bearer {t}")),
                with_token.clone(),
                401,
                "invalid_client",
            ),
            (
                "POST",
                FORM,
                None,
                format!("client_id=rs2&{with_token}"),
                401,
                "invalid_client",
            ),
            (
                "POST",
                FORM,
                None,
                format!("client_id=rs2&client_secret=nope&{with_token}"),
                401,
                "invalid_client",
            ),
            (
                "POST",
                FORM,
                Some(ok_auth.clone()),
                format!("client_id=rs2&client_secret=second-client-secret&{with_token}"),
                400,
                "invalid_request",
            ),
            (
                "POST",
                FORM,
                Some(ok_auth.clone()),
                format!("{with_token}&{with_token}"),
                400,
                "invalid_request",
            ),
            (
                "POST",
                FORM,
                Some(ok_auth.clone()),
                "token=".into(),
                400,
                "invalid_request",
            ),
            (
                "POST",
                FORM,
                Some(ok_auth.clone()),
                "token_type_hint=access_token".into(),
                400,
                "invalid_request",
            ),
            (
                "POST",
                FORM,
                Some(ok_auth.clone()),
                format!("token={}", "a".repeat(4096 + 2049)),
                413,
                "invalid_request",
            ),
        ];
        for (method, ct, auth, body, status, error) in cases {
            let r = run(method, ct, auth.as_deref(), &body);
            let what = format!("{method} {ct} {auth:?} {}", &body[..body.len().min(60)]);
            assert_eq!(r.status, status, "{what}: {r:?}");
            let v = parsed(&r);
            assert_eq!(v["error"], error, "{what}");
            assert!(v.get("active").is_none(), "{what}");
            assert!(!r.body.contains(&t), "{what}: the token is never echoed");
            assert_eq!(r.log.decision, "deny");
            if status == 401 {
                assert_eq!(
                    header(&r, "www-authenticate"),
                    Some("Basic realm=\"fhir\", charset=\"UTF-8\""),
                    "{what}"
                );
            }
            if status == 405 {
                assert_eq!(header(&r, "allow"), Some("POST"));
            }
        }
    }

    #[test]
    fn prepare_authenticates_before_planning_keys() {
        let v = verifier(true);
        let t = token(NOW + 300);
        let body = format!("token={t}");
        match prepare(
            &v,
            &request("POST", FORM, Some(&basic("rs 1", SECRET))),
            &body,
        ) {
            Step::Fetch(t) => assert_eq!(t.plan().issuer.as_deref(), Some("https://as.example")),
            other => panic!("{other:?}"),
        }
        match prepare(&v, &request("POST", FORM, None), &body) {
            Step::Reply(a) => match *a {
                Answer::Introspection(r) => assert_eq!(r.status, 401),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        let req = request("POST", FORM, None);
        assert!(is_endpoint(v.policy(), &req));
        assert!(!is_endpoint(
            v.policy(),
            &Request::new("POST", "/introspect/x", vec![])
        ));
        assert!(!is_endpoint(verifier(false).policy(), &req));
        assert_eq!(max_body_bytes(v.policy()), 4096 + 2048);
    }

    #[test]
    fn the_cached_answer_matches_and_reuses_the_verdict() {
        let v = verifier(true);
        let req = request("POST", FORM, Some(&basic("rs 1", SECRET)));
        let body = format!("token={}", token(NOW + 300));
        let mut cache = VerdictCache::new(4);
        let first = answer_cached(&v, &req, &body, &KeySet::new(), 1, &mut cache, NOW);
        let again = answer_cached(&v, &req, &body, &KeySet::new(), 1, &mut cache, NOW);
        assert_eq!(first, answer(&v, &req, &body, &KeySet::new(), NOW));
        assert_eq!(first, again);
        assert_eq!(cache.stats(), (1, 1));
    }
}
