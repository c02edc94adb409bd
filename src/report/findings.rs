//! What an inspection notices about a token, by severity. A finding is not a verdict: an
//! unverified token can look perfect, and a verified one can still deserve a warning.

use crate::alg::Algorithm;
use crate::claims::numeric_date;
use crate::time;
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The token would be refused, or is unsafe to accept.
    Error,
    /// Accepted by some verifiers, but risky or non-conformant.
    Warning,
    /// Worth knowing.
    Info,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// A stable snake_case code.
    pub code: &'static str,
    pub message: String,
    /// The claim or header parameter (`header.alg`, `exp`, `extensions.ihe_iua.subject_role`).
    pub claim: Option<String>,
}

impl Finding {
    pub fn new(
        severity: Severity,
        code: &'static str,
        claim: Option<&str>,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            severity,
            code,
            message: message.into(),
            claim: claim.map(str::to_owned),
        }
    }
}

/// Every finding code an inspection can report, with what it flags and where the concern is
/// written down. The README lists them; the snapshot tests check no other code appears.
pub const CODES: &[(&str, &str, &str)] = &[
    (
        "whitespace_trimmed",
        "white space around a pasted token was removed",
        "-",
    ),
    (
        "scheme_removed",
        "a pasted Authorization scheme (Bearer, DPoP, IHE-JWT, IHE-SAML) was removed",
        "RFC 6750 §2.1; IUA 2013 3.72.4.1.2",
    ),
    ("empty", "there is no token", "-"),
    (
        "too_large",
        "over limits.max_token_bytes; not decoded (an input over twice that plus 1 KiB is not read at all)",
        "RFC 8725 §3.4",
    ),
    (
        "whitespace_inside",
        "line breaks or spaces inside the token (wrapped in an e-mail or a terminal): decoded as if joined, but verification refuses the token as written (`malformed`)",
        "RFC 7515 §7.1",
    ),
    (
        "not_base64url",
        "a segment is not strict base64url (shown decoded leniently)",
        "RFC 7515 §2",
    ),
    (
        "not_json",
        "a segment is not a JSON object",
        "RFC 7515 §5.2, RFC 7519 §7.2",
    ),
    (
        "too_deep",
        "JSON nesting beyond limits.max_json_depth",
        "RFC 8725 §3.4",
    ),
    (
        "duplicate_member",
        "a member name is repeated (the last copy is shown)",
        "RFC 7515 §5.2, RFC 7519 §4",
    ),
    ("alg_none", "unsigned token", "RFC 8725 §3.1"),
    (
        "alg_symmetric",
        "shared-secret signature: verifiers can mint tokens",
        "RFC 8725 §3.2",
    ),
    (
        "alg_unknown",
        "an algorithm name azlens does not know (names are case-sensitive)",
        "RFC 7518 §3.1",
    ),
    ("alg_missing", "no alg, or not a string", "RFC 7515 §4.1.1"),
    (
        "signature_empty",
        "a signed token with an empty signature",
        "RFC 7515 §5.2",
    ),
    (
        "header_jwk",
        "the token carries its own key",
        "RFC 8725 §3.10",
    ),
    (
        "header_jku",
        "the token names where to fetch its key",
        "RFC 8725 §3.10",
    ),
    (
        "header_x5u",
        "the token names where to fetch its certificate",
        "RFC 8725 §3.10",
    ),
    (
        "header_x5c",
        "a certificate chain that proves nothing until validated",
        "RFC 7515 §4.1.6",
    ),
    (
        "header_crit",
        "extensions a recipient must understand",
        "RFC 7515 §4.1.11",
    ),
    (
        "b64_false",
        "unencoded payload, not allowed in a JWT",
        "RFC 7797 §3",
    ),
    (
        "no_kid",
        "no kid: every issuer key must be tried",
        "RFC 7515 §4.1.4",
    ),
    (
        "time_in_milliseconds",
        "exp/nbf/iat in milliseconds (what was meant is shown)",
        "RFC 7519 §2",
    ),
    (
        "time_invalid",
        "exp/nbf/iat not a NumericDate",
        "RFC 7519 §2",
    ),
    (
        "no_exp",
        "never expires (info for nested statements)",
        "RFC 7519 §4.1.4, RFC 8725 §3.10",
    ),
    (
        "expired",
        "exp (SAML: NotOnOrAfter) has passed",
        "RFC 7519 §4.1.4; SAML 2.0 Core §2.5.1",
    ),
    (
        "not_yet_valid",
        "nbf (SAML: NotBefore) is ahead",
        "RFC 7519 §4.1.5; SAML 2.0 Core §2.5.1",
    ),
    ("iat_in_future", "issued in the future", "RFC 7519 §4.1.6"),
    (
        "lifetime_over_a_day",
        "valid for more than a day from issue to expiry",
        "RFC 8725 §3.10; IUA 3.71.5",
    ),
    (
        "aud_missing",
        "no audience (info for nested statements)",
        "RFC 8725 §3.9",
    ),
    ("iss_missing", "no issuer", "RFC 8725 §3.8"),
    (
        "no_jti",
        "no jti: replays cannot be detected",
        "RFC 7519 §4.1.7",
    ),
    (
        "nested_depth_limit",
        "a nested signed token beyond limits.max_nested_depth, not unpacked",
        "-",
    ),
    (
        "encrypted",
        "a JWE: only its header can be read",
        "RFC 7516",
    ),
    ("jwe_rsa1_5", "RSA1_5 key encryption", "RFC 8725 §3.2"),
    ("jwe_zip", "compression before encryption", "RFC 8725 §3.6"),
    (
        "nested_jwt_encrypted",
        "the JWE holds a JWT",
        "RFC 7519 §5.2",
    ),
    (
        "saml_not_verified",
        "a SAML assertion, shown but not verified",
        "IUA 3.71.4.2.3; RFC 7522",
    ),
    (
        "saml_unsigned",
        "a SAML assertion without a Signature",
        "SAML 2.0 Core §5",
    ),
    (
        "opaque",
        "not a JWS, JWE or SAML assertion: only its issuer knows what it means",
        "RFC 7662",
    ),    (
        "dpop_proof",
        "a DPoP proof: the request it is for (htm, htu), the token it goes with (ath) and its key's RFC 7638 thumbprint",
        "RFC 9449 §4.2",
    ),
    (
        "dpop_private_key",
        "a DPoP proof whose jwk holds private key material",
        "RFC 9449 §4.3",
    ),
    (
        "dpop_symmetric_key",
        "a DPoP proof whose jwk is a symmetric key",
        "RFC 9449 §4.3",
    ),
    (
        "dpop_claim_missing",
        "a DPoP proof without htm, htu, iat or jti",
        "RFC 9449 §4.2",
    ),
    (
        "bound_to_dpop_key",
        "the token is bound to a DPoP key (cnf.jkt) and how a server checks it",
        "RFC 9449 §6",
    ),
    (
        "bound_to_certificate",
        "the token is bound to a client certificate (cnf.x5t#S256) and how a server checks it",
        "RFC 8705 §3",
    ),
    (
        "jwk_thumbprint",
        "a JSON Web Key pasted alone, with its RFC 7638 thumbprint",
        "RFC 7638 §3",
    ),
];

/// Tokens valid for longer than this draw a warning.
pub const LONG_LIFETIME: i64 = 86_400;
/// Clock skew allowed before `iat`/`nbf` in the future is reported.
pub const SKEW: i64 = 60;

/// Findings on a JWS header.
pub fn header(h: &Map<String, Value>, signature_len: usize, out: &mut Vec<Finding>) {
    use Severity::*;
    match h.get("alg") {
        Some(Value::String(alg)) if alg.eq_ignore_ascii_case("none") => out.push(Finding::new(
            Error,
            "alg_none",
            Some("header.alg"),
            format!("The token is unsigned (\"alg\": \"{alg}\"): anyone can write one. Never accept it."),
        )),
        Some(Value::String(alg)) => match Algorithm::from_name(alg) {
            Some(a) if a.is_symmetric() => out.push(Finding::new(
                Warning,
                "alg_symmetric",
                Some("header.alg"),
                format!("{a} is a shared-secret signature: every party that can verify the token can also mint one. Prefer RS256/ES256 for tokens checked by more than their issuer."),
            )),
            Some(_) => {}
            None => out.push(Finding::new(
                Error,
                "alg_unknown",
                Some("header.alg"),
                format!("\"{alg}\" is not a JWS signature algorithm azlens knows (names are case-sensitive)."),
            )),
        },
        Some(_) => out.push(Finding::new(Error, "alg_missing", Some("header.alg"), "\"alg\" must be a string.")),
        None => out.push(Finding::new(Error, "alg_missing", Some("header.alg"), "The header has no \"alg\".")),
    }
    let unsigned = matches!(h.get("alg"), Some(Value::String(a)) if a.eq_ignore_ascii_case("none"));
    if signature_len == 0 && !unsigned {
        out.push(Finding::new(
            Error,
            "signature_empty",
            Some("signature"),
            "The signature segment is empty.",
        ));
    }
    if h.contains_key("jwk") {
        out.push(Finding::new(
            Error,
            "header_jwk",
            Some("header.jwk"),
            "The token carries its own public key (\"jwk\"). A token cannot vouch for itself: verifiers that use this key accept tokens anyone can sign (RFC 8725 §3.10).",
        ));
    }
    if let Some(jku) = h.get("jku") {
        out.push(Finding::new(
            Warning,
            "header_jku",
            Some("header.jku"),
            format!("The token names where to fetch its key ({jku}); a verifier must only fetch allow-listed URLs, or anyone can point it at their own key."),
        ));
    }
    if let Some(x5u) = h.get("x5u") {
        out.push(Finding::new(
            Warning,
            "header_x5u",
            Some("header.x5u"),
            format!("The token names where to fetch its certificate ({x5u}); fetching it lets the token choose its own trust (and reach internal URLs)."),
        ));
    }
    if h.contains_key("x5c") {
        out.push(Finding::new(
            Info,
            "header_x5c",
            Some("header.x5c"),
            "The token carries a certificate chain; it proves nothing unless the chain is validated to a trusted root and tied to the issuer.",
        ));
    }
    if let Some(Value::Array(crit)) = h.get("crit") {
        out.push(Finding::new(
            Info,
            "header_crit",
            Some("header.crit"),
            format!("The token requires the extensions {} to be understood; verifiers that do not must refuse it.", Value::Array(crit.clone())),
        ));
    }
    if h.get("b64") == Some(&Value::Bool(false)) {
        out.push(Finding::new(
            Error,
            "b64_false",
            Some("header.b64"),
            "\"b64\": false (unencoded payload, RFC 7797) is not allowed in a JWT.",
        ));
    }
    if !h.contains_key("kid") && !unsigned {
        out.push(Finding::new(
            Info,
            "no_kid",
            Some("header.kid"),
            "The header has no \"kid\": a verifier must try each of the issuer's keys.",
        ));
    }
}

/// Findings on a JWT claim set, at `now`. A `statement` (a signed token nested in another)
/// often has no `exp` or `aud` by design; those are then only worth knowing.
pub fn claims(c: &Map<String, Value>, now: i64, statement: bool, out: &mut Vec<Finding>) {
    use Severity::*;
    let (missing_exp, missing_aud) = if statement {
        (Info, Info)
    } else {
        (Error, Warning)
    };
    let read = |name: &str, out: &mut Vec<Finding>| -> Option<i64> {
        let v = c.get(name)?;
        match numeric_date::read(v) {
            Ok(t) => Some(t),
            Err(why) => {
                let code = if why.contains("milliseconds") {
                    "time_in_milliseconds"
                } else {
                    "time_invalid"
                };
                out.push(Finding::new(
                    Error,
                    code,
                    Some(name),
                    format!("The claim \"{name}\" {why}."),
                ));
                None
            }
        }
    };
    let exp = read("exp", out);
    let nbf = read("nbf", out);
    let iat = read("iat", out);
    match exp {
        None if !c.contains_key("exp") => out.push(Finding::new(
            missing_exp,
            "no_exp",
            Some("exp"),
            if statement {
                "The statement has no \"exp\": it stays valid until its signing key is retired (common for signed statements)."
            } else {
                "The token has no \"exp\": it never expires, so a stolen copy works forever."
            },
        )),
        Some(exp) if exp <= now => out.push(Finding::new(
            Error,
            "expired",
            Some("exp"),
            format!(
                "The token expired {} ({}).",
                time::relative(exp, now),
                time::utc(exp)
            ),
        )),
        _ => {}
    }
    if let Some(nbf) = nbf {
        if nbf > now + SKEW {
            out.push(Finding::new(
                Warning,
                "not_yet_valid",
                Some("nbf"),
                format!(
                    "The token is not valid until {} ({}).",
                    time::utc(nbf),
                    time::relative(nbf, now)
                ),
            ));
        }
    }
    if let Some(iat) = iat {
        if iat > now + SKEW {
            out.push(Finding::new(
                Error,
                "iat_in_future",
                Some("iat"),
                format!("The token says it was issued {} ({}): the issuer's clock is wrong, or the token was made to outlive its stated age.", time::relative(iat, now), time::utc(iat)),
            ));
        }
    }
    if let (Some(exp), Some(start)) = (exp, iat.or(nbf)) {
        let lifetime = exp.saturating_sub(start);
        if lifetime > LONG_LIFETIME {
            out.push(Finding::new(
                Warning,
                "lifetime_over_a_day",
                Some("exp"),
                format!("The token is valid for {} from issue to expiry; bearer tokens should live minutes, not days.", time::span(lifetime)),
            ));
        }
    }
    if !c.contains_key("aud") {
        out.push(Finding::new(
            missing_aud,
            "aud_missing",
            Some("aud"),
            if statement {
                "The statement names no audience (common for signed statements: the outer token's audience applies)."
            } else {
                "The token names no audience: any service that trusts its issuer would accept it (RFC 8725 §3.9)."
            },
        ));
    }
    if !c.contains_key("iss") {
        out.push(Finding::new(
            Warning,
            "iss_missing",
            Some("iss"),
            "The token names no issuer, so a verifier cannot tell whose keys to check it with.",
        ));
    }
    if !c.contains_key("jti") {
        out.push(Finding::new(
            Info,
            "no_jti",
            Some("jti"),
            "The token has no \"jti\", so a replayed copy cannot be told from the original.",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_795_000_000;

    fn codes(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.code).collect()
    }

    fn h(v: Value) -> Vec<&'static str> {
        let mut out = Vec::new();
        header(v.as_object().unwrap(), 64, &mut out);
        codes(&out)
    }

    fn c(v: Value) -> Vec<&'static str> {
        let mut out = Vec::new();
        claims(v.as_object().unwrap(), NOW, false, &mut out);
        codes(&out)
    }

    /// The README's "What azlens checks" lists every inspection finding exactly as CODES does.
    #[test]
    fn readme_lists_every_finding() {
        let readme = include_str!("../../README.md");
        let mut findings_md = String::from("| code | flags | from |\n|---|---|---|\n");
        for (code, what, from) in CODES {
            findings_md.push_str(&format!("| `{code}` | {what} | {from} |\n"));
        }
        assert!(
            readme.contains(&findings_md),
            "README.md is out of date; it should contain:\n\n{findings_md}"
        );
    }

    #[test]
    fn header_findings() {
        assert!(h(json!({"alg": "ES256", "kid": "k"})).is_empty());
        assert_eq!(h(json!({"alg": "none"})), ["alg_none"]);
        assert_eq!(h(json!({"alg": "nOnE"})), ["alg_none"]);
        assert_eq!(h(json!({"alg": "HS256", "kid": "k"})), ["alg_symmetric"]);
        assert_eq!(h(json!({"alg": "rs256", "kid": "k"})), ["alg_unknown"]);
        assert_eq!(h(json!({"kid": "k"})), ["alg_missing"]);
        assert_eq!(h(json!({"alg": 1, "kid": "k"})), ["alg_missing"]);
        assert_eq!(
            h(json!({"alg": "RS256", "kid": "k", "jwk": {}})),
            ["header_jwk"]
        );
        assert_eq!(
            h(json!({"alg": "RS256", "kid": "k", "jku": "https://x"})),
            ["header_jku"]
        );
        assert_eq!(
            h(json!({"alg": "RS256", "kid": "k", "x5u": "https://x"})),
            ["header_x5u"]
        );
        assert_eq!(
            h(json!({"alg": "RS256", "kid": "k", "x5c": []})),
            ["header_x5c"]
        );
        assert_eq!(
            h(json!({"alg": "RS256", "kid": "k", "crit": ["exp"]})),
            ["header_crit"]
        );
        assert_eq!(
            h(json!({"alg": "RS256", "kid": "k", "b64": false})),
            ["b64_false"]
        );
        assert_eq!(h(json!({"alg": "RS256"})), ["no_kid"]);
        let mut out = Vec::new();
        header(
            json!({"alg": "RS256", "kid": "k"}).as_object().unwrap(),
            0,
            &mut out,
        );
        assert_eq!(codes(&out), ["signature_empty"]);
    }

    #[test]
    fn claim_findings() {
        let base = json!({"iss": "i", "aud": "a", "jti": "j", "iat": NOW, "exp": NOW + 300});
        assert!(c(base.clone()).is_empty());
        let patch = |p: Value| {
            let mut m = base.as_object().unwrap().clone();
            for (k, v) in p.as_object().unwrap() {
                if v.is_null() {
                    m.remove(k);
                } else {
                    m.insert(k.clone(), v.clone());
                }
            }
            Value::Object(m)
        };
        assert_eq!(c(patch(json!({"exp": null}))), ["no_exp"]);
        assert_eq!(c(patch(json!({"exp": NOW - 3 * 3600}))), ["expired"]);
        assert_eq!(
            c(patch(json!({"exp": NOW + 2 * 86_400}))),
            ["lifetime_over_a_day"]
        );
        assert_eq!(c(patch(json!({"iat": NOW + 120}))), ["iat_in_future"]);
        assert_eq!(c(patch(json!({"nbf": NOW + 120}))), ["not_yet_valid"]);
        assert_eq!(c(patch(json!({"aud": null}))), ["aud_missing"]);
        assert_eq!(c(patch(json!({"iss": null}))), ["iss_missing"]);
        assert_eq!(c(patch(json!({"jti": null}))), ["no_jti"]);
        assert_eq!(
            c(patch(json!({"exp": 1_795_000_300_000u64}))),
            ["time_in_milliseconds"]
        );
        assert_eq!(c(patch(json!({"exp": "soon"}))), ["time_invalid"]);
        let mut out = Vec::new();
        claims(
            patch(json!({"exp": NOW - 3 * 3600})).as_object().unwrap(),
            NOW,
            false,
            &mut out,
        );
        assert!(out[0].message.contains("3 h ago"), "{}", out[0].message);
        // in a nested statement, no exp and no aud are only worth knowing
        let mut out = Vec::new();
        let bare = patch(json!({"exp": null, "aud": null}));
        claims(bare.as_object().unwrap(), NOW, true, &mut out);
        assert!(out.iter().all(|f| f.severity == Severity::Info), "{out:?}");
        assert_eq!(codes(&out), ["no_exp", "aud_missing"]);
    }
}
