//! Inspection: a report on any string someone believes is a token, readable by people and by
//! programs (the web page renders its JSON). No keys are needed and it never fails: garbage
//! gets a report too (`"kind": "opaque"` or `"empty"`, with findings saying why).
//!
//! With keys (and optionally a [`Verifier`]) the token, and each nested signed statement on its
//! own, is also verified, and a valid token gets an RFC 7662 introspection view.

pub mod binding;
pub mod claims_catalog;
pub mod findings;
pub mod kind;
pub mod nested;
pub mod profile_match;
pub mod reading;
pub mod saml;

pub use findings::{Finding, Severity};
pub use kind::TokenKind;
pub use profile_match::ProfileMatch;

use crate::alg::Algorithm;
use crate::json::{self, JsonError};
use crate::keys::KeySet;
use crate::limits::Limits;
use crate::policy::Policy;
use crate::profiles::smart::scopes::{self, Scopes};
use crate::profiles::Profile;
use crate::time;
use crate::token::base64url;
use crate::verify::{Verdict, Verifier};
use serde::Serialize;
use serde_json::{Map, Value};

/// What to inspect with.
#[derive(Debug, Clone, Default)]
pub struct InspectOptions<'a> {
    /// Bounds on the input (token size, JSON depth, nested-token depth).
    pub limits: Limits,
    /// Keys to verify the token, and each nested token on its own, with.
    pub keys: Option<&'a KeySet>,
    /// Verify the outer token under this policy (with `keys` as the host-fetched keys). Without
    /// it, a token is verified with `keys` alone: signature and times, any algorithm.
    pub verifier: Option<&'a Verifier>,
}

/// The report. Every member is always present (`null` or `[]` when empty) so its shape is
/// stable for programs.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub kind: TokenKind,
    /// One sentence for people.
    pub summary: String,
    /// Length of the token in bytes, after removing a pasted scheme word and white space.
    pub length: usize,
    /// The decoded JOSE header (JWS or JWE).
    pub header: Option<Map<String, Value>>,
    /// The decoded claims (JWS).
    pub payload: Option<Map<String, Value>>,
    /// Each header parameter explained.
    pub header_parameters: Vec<ClaimInfo>,
    /// Each claim explained, with known nested claims (`extensions.ihe_iua.subject_name`).
    pub claims: Vec<ClaimInfo>,
    /// The `scope` claim parsed into SMART grants (resource scopes with level, type,
    /// permissions and restrictions; launch, identity and other scopes).
    pub grants: Option<Scopes>,
    /// Every profile, whether the token looks like it, and what it would need.
    pub profiles: Vec<ProfileMatch>,
    pub findings: Vec<Finding>,
    /// Claims that are themselves signed tokens, each with its own report.
    pub nested: Vec<Nested>,
    /// The IUA/ATNA audit UserName `aud<sub@iss>` (SAML: `SPProvidedID<NameID@Issuer>`).
    pub atna_user: Option<String>,
    /// What a SAML assertion says (never verified).
    pub saml: Option<saml::SamlInfo>,
    /// The verification verdict, when keys were given.
    pub verification: Option<Verdict>,
    /// The verdict read for people (valid, invalid, or unverified for want of a key), when it
    /// was verified under a policy ([`reading`]).
    pub reading: Option<reading::Reading>,
    /// The RFC 7662 introspection response, when the token verified.
    pub introspection: Option<Value>,
}

/// One header parameter or claim, explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimInfo {
    pub name: String,
    pub value: Value,
    /// What it means; `null` for a name azlens does not know (a private claim).
    pub meaning: Option<&'static str>,
    /// Where it is defined.
    pub defined_by: Option<&'static str>,
    /// For times: the UTC date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utc: Option<String>,
    /// For times: "expires in 4 min", "expired 3 h ago", "issued 2 min ago"…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative: Option<String>,
}

/// A claim that holds a signed token.
#[derive(Debug, Clone, Serialize)]
pub struct Nested {
    /// Where it is (`software`, `_claim_sources.src1.JWT`, `list[1]`).
    pub claim: String,
    pub report: Report,
}

/// Inspect `token` at `now` (seconds since the epoch).
pub fn inspect(token: &str, now: i64, opts: &InspectOptions<'_>) -> Report {
    if let Some(r) = oversized_input(token.len(), &opts.limits) {
        return r;
    }
    inspect_at(token, now, opts, 0)
}

impl Report {
    /// A report of `kind` on `length` bytes with `findings` and nothing read yet.
    fn blank(kind: TokenKind, length: usize, findings: Vec<Finding>) -> Report {
        Report {
            kind,
            summary: String::new(),
            length,
            header: None,
            payload: None,
            header_parameters: Vec::new(),
            claims: Vec::new(),
            grants: None,
            profiles: Vec::new(),
            findings,
            nested: Vec::new(),
            atna_user: None,
            saml: None,
            verification: None,
            reading: None,
            introspection: None,
        }
    }
}

/// The report on an input of `len` bytes that is over [`Limits::max_inspect_bytes`], made from
/// its length alone (a host need not copy the input to get it); `None` within the bound.
pub fn oversized_input(len: usize, limits: &Limits) -> Option<Report> {
    let max = limits.max_inspect_bytes();
    (len > max).then(|| {
        let mut r = Report::blank(
            TokenKind::Opaque,
            len,
            vec![Finding::new(
                Severity::Error,
                "too_large",
                None,
                format!(
                    "The input is {len} bytes long, over the {max}-byte limit for inspection (twice limits.max_token_bytes, {}, plus 1 KiB); it was not read.",
                    limits.max_token_bytes
                ),
            )],
        );
        r.summary = format!("An input of {len} bytes, too long to be read as a token.");
        r
    })
}

/// [`inspect`] with default options, as JSON: the convenience hosts call.
pub fn inspect_json(token: &str, now: i64) -> String {
    to_json(&inspect(token, now, &InspectOptions::default()))
}

/// A report as JSON. Serialising plain data cannot fail; if it ever did, the error says so in
/// the report's own shape.
pub fn to_json(report: &Report) -> String {
    serde_json::to_string(report).unwrap_or_else(|e| {
        format!(
            "{{\"kind\":\"opaque\",\"summary\":{},\"findings\":[]}}",
            Value::String(format!("The report could not be written: {e}"))
        )
    })
}

fn inspect_at(raw: &str, now: i64, opts: &InspectOptions<'_>, depth: usize) -> Report {
    let detected = kind::detect(raw, opts.limits.max_token_bytes);
    let mut r = Report::blank(detected.kind, detected.token.len(), detected.findings);
    let too_large = r.findings.iter().any(|f| f.code == "too_large");
    match detected.kind {
        TokenKind::Jws if !too_large => jws(&mut r, &detected.token, now, opts, depth),
        TokenKind::Jwe if !too_large => jwe(&mut r, &detected.token),
        TokenKind::Saml => {
            if let Some(xml) = &detected.saml_xml {
                saml_report(&mut r, xml, now);
            }
        }
        TokenKind::Opaque if !too_large => {
            match binding::jwk_alone(raw.trim(), opts.limits.max_json_depth) {
                Some(f) => r.findings.push(f),
                None => opaque(&mut r, &detected.token),
            }
        }
        _ => {}
    }
    r.summary = summary(&r);
    r
}

fn jws(r: &mut Report, token: &str, now: i64, opts: &InspectOptions<'_>, depth: usize) {
    let segments: Vec<&str> = token.split('.').collect();
    let (h, p, s) = match segments.as_slice() {
        [h, p, s] => (*h, *p, *s),
        _ => return,
    };
    let header = decode_object(h, "header", opts.limits.max_json_depth, &mut r.findings);
    let payload = decode_object(p, "payload", opts.limits.max_json_depth, &mut r.findings);
    let signature_len = match base64url::decode(s) {
        Ok(b) => b.len(),
        Err(why) => {
            r.findings.push(Finding::new(
                Severity::Error,
                "not_base64url",
                Some("signature"),
                format!("The signature segment is not strict base64url: it {why}."),
            ));
            s.len()
        }
    };
    if let Some(h) = &header {
        findings::header(h, signature_len, &mut r.findings);
        r.header_parameters = explain(h, now, true);
    }
    if let Some(c) = &payload {
        findings::claims(c, now, depth > 0, &mut r.findings);
        r.claims = explain(c, now, false);
        if let Some(scope) = c.get("scope").and_then(Value::as_str) {
            r.grants = Some(scopes::parse(scope));
        }
        if depth == 0 {
            r.atna_user = crate::profiles::atna::user_name(c);
        }
        if let Some(h) = &header {
            r.profiles = profile_match::assess(h, c, now);
            binding::explain(h, c, &mut r.findings);
        }
        for (claim, inner) in nested::find(c) {
            if depth >= opts.limits.max_nested_depth {
                r.findings.push(Finding::new(
                    Severity::Info,
                    "nested_depth_limit",
                    Some(&claim),
                    format!(
                        "\"{claim}\" holds a signed token, not unpacked: tokens nest deeper than {} levels here.",
                        opts.limits.max_nested_depth
                    ),
                ));
                continue;
            }
            // nested statements are signed by their own authorities: never under the outer policy
            let inner_opts = InspectOptions {
                limits: opts.limits.clone(),
                keys: opts.keys,
                verifier: None,
            };
            let report = inspect_at(&inner, now, &inner_opts, depth + 1);
            r.nested.push(Nested { claim, report });
        }
    }
    r.header = header;
    r.payload = payload;
    verify(r, token, now, opts, depth == 0);
}

fn verify(r: &mut Report, token: &str, now: i64, opts: &InspectOptions<'_>, outer: bool) {
    let verdict = match (opts.verifier, opts.keys) {
        (Some(v), keys) => {
            let empty = KeySet::new();
            Some(v.verify(token, keys.unwrap_or(&empty), now))
        }
        (None, Some(keys)) => signature_only(&opts.limits).map(|v| v.verify(token, keys, now)),
        (None, None) => None,
    };
    if let (Some(v), Some(verifier)) = (&verdict, opts.verifier) {
        let keys_given = verifier.holds_keys() || opts.keys.is_some_and(|k| !k.is_empty());
        r.reading = Some(reading::read(v, keys_given, r.kind == TokenKind::Jws));
    }
    if let Some(v) = verdict {
        // a signed statement inside a token is not an access token: no introspection view
        if v.valid && outer {
            r.introspection = Some(crate::profiles::introspection::response(
                v.valid,
                v.payload.as_ref(),
            ));
        }
        r.verification = Some(v);
    }
}

/// A verifier for "is this signed by one of these keys, and is it current": every algorithm,
/// no issuer or audience expectations, `exp` optional (signed statements often have none).
fn signature_only(limits: &Limits) -> Option<Verifier> {
    let mut p = Policy::with_algorithms(&Algorithm::ALL);
    p.require_exp = false;
    p.limits = limits.clone();
    Verifier::new(p).ok()
}

/// Decode one segment to a JSON object, saying in findings what is wrong and still showing
/// what can be shown (lenient base64, the last of duplicate members).
fn decode_object(
    segment: &str,
    what: &'static str,
    max_depth: usize,
    out: &mut Vec<Finding>,
) -> Option<Map<String, Value>> {
    let bytes = match base64url::decode(segment) {
        Ok(b) => b,
        Err(why) => {
            out.push(Finding::new(
                Severity::Error,
                "not_base64url",
                Some(what),
                format!("The {what} segment is not strict base64url: it {why}."),
            ));
            kind::lenient_base64(segment)?
        }
    };
    match json::parse_object(&bytes, max_depth) {
        Ok(m) => Some(m),
        Err(JsonError::DuplicateMember(name)) => {
            out.push(Finding::new(
                Severity::Error,
                "duplicate_member",
                Some(&format!("{}{name}", if what == "header" { "header." } else { "" })),
                format!("The {what} repeats the member \"{name}\". Parsers disagree on which copy wins, a known way to smuggle values past a check; azlens refuses such tokens. Shown: the last copy."),
            ));
            serde_json::from_slice::<Map<String, Value>>(&bytes).ok()
        }
        Err(e) => {
            out.push(Finding::new(
                Severity::Error,
                if matches!(e, JsonError::TooDeep(_)) {
                    "too_deep"
                } else {
                    "not_json"
                },
                Some(what),
                format!("The {what} {e}."),
            ));
            None
        }
    }
}

/// Explain each member; for claims, also the known members of objects
/// (`extensions.ihe_iua.subject_name`, `cnf.jkt`).
fn explain(m: &Map<String, Value>, now: i64, header: bool) -> Vec<ClaimInfo> {
    let mut out = Vec::new();
    for (name, value) in m {
        out.push(info(name, value, now, header));
        if !header {
            explain_known_children(name, value, now, 1, &mut out);
        }
    }
    out
}

fn explain_known_children(
    path: &str,
    value: &Value,
    now: i64,
    depth: usize,
    out: &mut Vec<ClaimInfo>,
) {
    let Value::Object(children) = value else {
        return;
    };
    if depth > 3 {
        return;
    }
    for (k, v) in children {
        let child = format!("{path}.{k}");
        if claims_catalog::claim(&child).is_some() {
            out.push(info(&child, v, now, false));
            explain_known_children(&child, v, now, depth + 1, out);
        }
    }
}

fn info(name: &str, value: &Value, now: i64, header: bool) -> ClaimInfo {
    let entry = if header {
        claims_catalog::header(name)
    } else {
        claims_catalog::claim(name)
    };
    let mut ci = ClaimInfo {
        name: name.to_owned(),
        value: value.clone(),
        meaning: entry.map(|e| e.meaning),
        defined_by: entry.map(|e| e.defined_by),
        utc: None,
        relative: None,
    };
    if !header && claims_catalog::is_time(name) {
        if let Ok(t) = crate::claims::numeric_date::read(value) {
            ci.utc = Some(time::utc(t));
            ci.relative = Some(relative(name, t, now));
        } else if let Some(ms) = value.as_f64().filter(|v| (1e12..1e14).contains(v)) {
            // milliseconds where seconds are due: say what was probably meant
            let t = (ms / 1000.0) as i64;
            ci.utc = Some(time::utc(t));
            ci.relative = Some(format!(
                "{}, if read as milliseconds",
                relative(name, t, now)
            ));
        }
    }
    ci
}

/// "expires in 4 min", "expired 3 h ago", "issued 2 min ago", …
pub fn relative(claim: &str, at: i64, now: i64) -> String {
    let span = time::span(at.saturating_sub(now));
    let future = at > now;
    match (claim, future) {
        (_, _) if at == now => match claim {
            "exp" => "expires now".to_owned(),
            "nbf" => "valid from now".to_owned(),
            "iat" => "issued now".to_owned(),
            _ => "now".to_owned(),
        },
        ("exp", true) => format!("expires in {span}"),
        ("exp", false) => format!("expired {span} ago"),
        ("nbf", true) => format!("valid in {span}"),
        ("nbf", false) => format!("valid since {span} ago"),
        ("iat", true) => format!("issued in {span} (in the future)"),
        ("iat", false) => format!("issued {span} ago"),
        ("auth_time", false) => format!("authenticated {span} ago"),
        ("updated_at", false) => format!("updated {span} ago"),
        _ => time::relative(at, now),
    }
}

fn jwe(r: &mut Report, token: &str) {
    let first = token.split('.').next().unwrap_or("");
    let mut ignored = Vec::new();
    let header = decode_object(first, "header", 32, &mut ignored);
    r.findings.push(Finding::new(
        Severity::Info,
        "encrypted",
        None,
        "An encrypted token (JWE): only its header can be read; azlens does not decrypt. The recipient decrypts it and then verifies the signed token inside, if any.",
    ));
    if let Some(h) = &header {
        if h.get("alg").and_then(Value::as_str) == Some("RSA1_5") {
            r.findings.push(Finding::new(
                Severity::Warning,
                "jwe_rsa1_5",
                Some("header.alg"),
                "RSA1_5 key encryption is open to padding-oracle attacks (RFC 8725 §3.2); use RSA-OAEP or ECDH-ES.",
            ));
        }
        if h.contains_key("zip") {
            r.findings.push(Finding::new(
                Severity::Info,
                "jwe_zip",
                Some("header.zip"),
                "The content was compressed before encryption; compressed length can leak content when attackers control part of it (RFC 8725 §3.6).",
            ));
        }
        if h.get("cty")
            .and_then(Value::as_str)
            .is_some_and(|c| c.eq_ignore_ascii_case("JWT"))
        {
            r.findings.push(Finding::new(
                Severity::Info,
                "nested_jwt_encrypted",
                Some("header.cty"),
                "It holds a JWT (cty JWT): a signed token inside the encryption.",
            ));
        }
        r.header_parameters = explain(h, 0, true);
    }
    r.header = header;
}

fn saml_report(r: &mut Report, xml: &str, now: i64) {
    let info = saml::read(xml);
    r.atna_user = saml::atna_user(&info);
    r.findings.push(Finding::new(
        Severity::Info,
        "saml_not_verified",
        None,
        "A SAML 2.0 assertion (IUA SAML Token Option, RFC 7522 encoding). azlens shows what it says but does not verify SAML signatures.",
    ));
    if !info.signed {
        r.findings.push(Finding::new(
            Severity::Error,
            "saml_unsigned",
            None,
            "The assertion has no <Signature>: anyone could have written it.",
        ));
    }
    if let Some(t) = info.not_on_or_after.as_deref().and_then(saml::parse_utc) {
        if t <= now {
            r.findings.push(Finding::new(
                Severity::Error,
                "expired",
                Some("Conditions.NotOnOrAfter"),
                format!(
                    "The assertion expired {} ({}).",
                    time::relative(t, now),
                    time::utc(t)
                ),
            ));
        }
    }
    if let Some(t) = info.not_before.as_deref().and_then(saml::parse_utc) {
        if t > now + findings::SKEW {
            r.findings.push(Finding::new(
                Severity::Warning,
                "not_yet_valid",
                Some("Conditions.NotBefore"),
                format!(
                    "The assertion is not valid until {} ({}).",
                    time::utc(t),
                    time::relative(t, now)
                ),
            ));
        }
    }
    r.saml = Some(info);
}

fn opaque(r: &mut Report, token: &str) {
    let dots = token.bytes().filter(|b| *b == b'.').count();
    let shape = if dots == 2 {
        " It has three dot-separated parts, but the first is not a JSON header with \"alg\", so it is not a JWS."
    } else if dots == 4 {
        " It has five dot-separated parts, but the first is not a JSON header with \"enc\", so it is not a JWE."
    } else {
        ""
    };
    r.findings.push(Finding::new(
        Severity::Info,
        "opaque",
        None,
        format!("An opaque token: it means nothing outside its issuer, which can say whether it is active (RFC 7662 introspection).{shape}"),
    ));
}

fn summary(r: &Report) -> String {
    match r.kind {
        TokenKind::Empty => "No token.".to_owned(),
        TokenKind::Opaque => format!(
            "An opaque token of {} bytes: only its issuer can say what it means.",
            r.length
        ),
        TokenKind::Jwe => {
            let alg = r
                .header
                .as_ref()
                .and_then(|h| h.get("alg"))
                .and_then(Value::as_str);
            let enc = r
                .header
                .as_ref()
                .and_then(|h| h.get("enc"))
                .and_then(Value::as_str);
            format!(
                "An encrypted token (JWE, {}/{}): only its header can be read.",
                alg.unwrap_or("?"),
                enc.unwrap_or("?")
            )
        }
        TokenKind::Saml => {
            let s = r.saml.clone().unwrap_or_default();
            format!(
                "A SAML 2.0 assertion from {} about {}.",
                s.issuer.as_deref().unwrap_or("an unnamed issuer"),
                s.subject.as_deref().unwrap_or("an unnamed subject")
            )
        }
        TokenKind::Jws => jws_summary(r),
    }
}

fn jws_summary(r: &Report) -> String {
    let Some(h) = &r.header else {
        return "A JWS whose header cannot be read.".to_owned();
    };
    if binding::is_proof(h) {
        return binding::proof_summary(h, r.payload.as_ref());
    }
    let alg = h.get("alg").and_then(Value::as_str).unwrap_or("?");
    let mut s = if alg.eq_ignore_ascii_case("none") {
        "An unsigned JWT (alg none)".to_owned()
    } else {
        format!("A signed JWT ({alg})")
    };
    if let Some(c) = &r.payload {
        if let Some(iss) = c.get("iss").and_then(Value::as_str) {
            s.push_str(&format!(" from {iss}"));
        }
        let auds = crate::profiles::audiences(c);
        if !auds.is_empty() {
            s.push_str(&format!(" for {}", auds.join(", ")));
        }
        if let Some(exp) = r
            .claims
            .iter()
            .find(|ci| ci.name == "exp")
            .and_then(|ci| ci.relative.clone())
        {
            s.push_str(&format!(", {exp}"));
        }
    } else {
        s.push_str(" whose claims cannot be read");
    }
    let like: Vec<&str> = r
        .profiles
        .iter()
        .filter(|m| m.matches)
        .map(|m| profile_label(m.name))
        .collect();
    if !like.is_empty() {
        s.push_str(&format!("; it looks like {}", like.join(" and ")));
    }
    if !r.nested.is_empty() {
        s.push_str(&format!(
            "; it carries {} signed statement{}",
            r.nested.len(),
            if r.nested.len() == 1 { "" } else { "s" }
        ));
    }
    // The page's verdict uses the same words: Valid, Invalid, and "Not verified" only when
    // nothing was checked (no keys), which adds nothing here.
    if let Some(v) = &r.verification {
        s.push_str(if v.valid { "; valid" } else { "; invalid" });
    }
    s.push('.');
    s
}

fn profile_label(p: Profile) -> &'static str {
    match p {
        Profile::Iua => "an IHE IUA access token",
        Profile::Smart => "a SMART on FHIR access token",
        Profile::SmartBackend => "a SMART Backend Services client assertion",
        Profile::CdsHooks => "a CDS Hooks client token",
        Profile::Oidc => "an OpenID Connect ID token",
        Profile::Udap => "a UDAP JWT signed with a certificate",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_795_000_000;

    fn unsigned(header: Value, claims: Value) -> String {
        format!(
            "{}.{}.",
            base64url::encode(header.to_string().as_bytes()),
            base64url::encode(claims.to_string().as_bytes())
        )
    }

    #[test]
    fn every_kind_gets_a_report() {
        for (t, kind) in [
            ("", TokenKind::Empty),
            ("garbage", TokenKind::Opaque),
            ("a.b.c", TokenKind::Opaque),
            (
                &unsigned(json!({"alg": "none"}), json!({"sub": "x"})),
                TokenKind::Jws,
            ),
        ] {
            let r = inspect(t, NOW, &InspectOptions::default());
            assert_eq!(r.kind, kind, "{t}");
            assert!(!r.summary.is_empty());
            let v: Value = serde_json::from_str(&inspect_json(t, NOW)).unwrap();
            for key in [
                "kind",
                "summary",
                "header",
                "payload",
                "claims",
                "findings",
                "profiles",
                "nested",
                "atna_user",
                "verification",
                "reading",
                "introspection",
            ] {
                assert!(v.get(key).is_some(), "{key} missing for {t:?}");
            }
        }
    }

    #[test]
    fn a_wrapped_or_padded_token_is_decoded_with_a_warning() {
        let t = unsigned(
            json!({"alg": "ES256", "kid": "k1"}),
            json!({"iss": "https://as.example", "sub": "someone-with-a-long-name"}),
        );
        let wrapped: String = t
            .as_bytes()
            .chunks(20)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\r\n ");
        let (h, rest) = t.split_once('.').unwrap();
        let padded = format!("{h}{}.{rest}", "=".repeat((4 - h.len() % 4) % 4));
        assert!(padded.contains("=."), "the header needs padding: {padded}");
        for input in [wrapped, padded] {
            let r = inspect(&input, NOW, &InspectOptions::default());
            assert_eq!(r.kind, TokenKind::Jws, "{input}");
            assert_eq!(
                r.payload.as_ref().and_then(|p| p.get("iss")),
                Some(&json!("https://as.example")),
                "{input}"
            );
            let codes: Vec<&str> = r.findings.iter().map(|f| f.code).collect();
            assert!(codes.contains(&"not_base64url"), "{codes:?}");
        }
        let r = inspect(&t.replace('.', ".\n"), NOW, &InspectOptions::default());
        assert!(r.findings.iter().any(|f| f.code == "whitespace_inside"));
    }

    #[test]
    fn input_over_the_inspection_bound_is_reported_from_its_length() {
        let limits = Limits::default();
        let max = limits.max_inspect_bytes();
        assert!(oversized_input(max, &limits).is_none());
        let r = inspect(&"a".repeat(max + 1), NOW, &InspectOptions::default());
        assert_eq!(r.findings[0].code, "too_large");
        assert!(r.findings[0]
            .message
            .contains(&format!("{} bytes long", max + 1)));
    }

    #[test]
    fn times_are_explained() {
        let t = unsigned(
            json!({"alg": "none"}),
            json!({"exp": NOW + 240, "iat": NOW - 3 * 3600, "nbf": NOW - 10}),
        );
        let r = inspect(&t, NOW, &InspectOptions::default());
        let get = |n: &str| r.claims.iter().find(|c| c.name == n).unwrap().clone();
        assert_eq!(get("exp").relative.as_deref(), Some("expires in 4 min"));
        assert_eq!(get("iat").relative.as_deref(), Some("issued 3 h ago"));
        assert_eq!(get("nbf").relative.as_deref(), Some("valid since 10 s ago"));
        assert_eq!(
            get("exp").utc.as_deref(),
            Some(time::utc(NOW + 240).as_str())
        );
        assert_eq!(get("exp").defined_by, Some("RFC 7519 §4.1.4"));
        assert_eq!(relative("exp", NOW - 3 * 3600, NOW), "expired 3 h ago");
        assert_eq!(relative("iat", NOW, NOW), "issued now");
        // milliseconds: refused, but what was meant is shown
        let t = unsigned(json!({"alg": "none"}), json!({"exp": (NOW + 240) * 1000}));
        let r = inspect(&t, NOW, &InspectOptions::default());
        assert_eq!(
            r.claims[0].relative.as_deref(),
            Some("expires in 4 min, if read as milliseconds")
        );
        assert!(r.findings.iter().any(|f| f.code == "time_in_milliseconds"));
    }

    #[test]
    fn saml_validity_is_checked_against_now() {
        let xml = |nb: &str, noa: &str| {
            base64url::encode(format!(r#"<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1"><saml2:Issuer>https://idp</saml2:Issuer><saml2:Subject><saml2:NameID>u</saml2:NameID></saml2:Subject><saml2:Conditions NotBefore="{nb}" NotOnOrAfter="{noa}"/></saml2:Assertion>"#).as_bytes())
        };
        let codes = |t: &str| -> Vec<&'static str> {
            inspect(t, NOW, &InspectOptions::default())
                .findings
                .iter()
                .map(|f| f.code)
                .collect()
        };
        // NOW is 2026-11-18T11:06:40Z
        assert_eq!(
            codes(&xml("2026-11-18T11:00:00Z", "2026-11-18T11:10:00Z")),
            ["saml_not_verified", "saml_unsigned"]
        );
        assert_eq!(
            codes(&xml("2026-11-18T10:00:00Z", "2026-11-18T11:00:00Z")),
            ["saml_not_verified", "saml_unsigned", "expired"]
        );
        assert_eq!(
            codes(&xml("2026-11-18T12:00:00Z", "2026-11-18T12:10:00Z")),
            ["saml_not_verified", "saml_unsigned", "not_yet_valid"]
        );
        let r = inspect(
            &xml("2026-11-18T11:00:00Z", "2026-11-18T11:10:00Z"),
            NOW,
            &InspectOptions::default(),
        );
        assert_eq!(r.kind, TokenKind::Saml);
        assert_eq!(r.atna_user.as_deref(), Some("<u@https://idp>"));
    }

    #[test]
    fn duplicates_are_shown_and_flagged() {
        let t = format!(
            "{}.{}.",
            base64url::encode(br#"{"alg":"none"}"#),
            base64url::encode(br#"{"sub":"alice","sub":"admin"}"#)
        );
        let r = inspect(&t, NOW, &InspectOptions::default());
        assert_eq!(r.payload.as_ref().unwrap()["sub"], "admin");
        let f = r
            .findings
            .iter()
            .find(|f| f.code == "duplicate_member")
            .unwrap();
        assert_eq!(f.claim.as_deref(), Some("sub"));
        assert_eq!(f.severity, Severity::Error);
    }

    #[test]
    fn nesting_is_bounded() {
        // a chain of tokens each holding the next
        let mut t = unsigned(json!({"alg": "none"}), json!({"sub": "innermost"}));
        for i in 0..6 {
            t = unsigned(json!({"alg": "none"}), json!({ "level": i, "inner": t }));
        }
        let opts = InspectOptions::default();
        let mut r = inspect(&t, NOW, &opts);
        let mut depth = 0;
        while let Some(n) = r.nested.first() {
            depth += 1;
            r = n.report.clone();
        }
        assert_eq!(depth, opts.limits.max_nested_depth);
        assert!(r.findings.iter().any(|f| f.code == "nested_depth_limit"));
    }

    /// Deterministic mutations of real-shaped tokens: every report is produced, none panics.
    #[test]
    fn survives_mutated_tokens() {
        let seeds = [
            unsigned(
                json!({"alg": "ES256", "kid": "k", "typ": "at+jwt"}),
                json!({"iss": "https://as", "aud": ["a", "b"], "exp": NOW + 60, "scope": "patient/*.rs launch",
                       "patient": "Patient/1", "extensions": {"ihe_iua": {"subject_role": {"code": "x"}}},
                       "fhirContext": ["A/1", {"reference": "B/2"}], "amr": ["pwd"], "nonce": "n"}),
            ),
            format!("{}.a.b.c.d", base64url::encode(br#"{"alg":"RSA1_5","enc":"A128GCM","zip":"DEF"}"#)),
            base64url::encode(br#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Issuer>i</saml:Issuer><saml:Conditions NotOnOrAfter="2026-11-18T11:10:00Z"/></saml:Assertion>"#),
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"eyJhbGciOiJ.-_=+/\"{}[]:,0123456789ABCxyz%<>";
        for round in 0..1500 {
            let seed = &seeds[round % seeds.len()];
            let mut bytes = seed.as_bytes().to_vec();
            for _ in 0..(1 + next() % 4) {
                let at = (next() as usize) % bytes.len().max(1);
                match next() % 3 {
                    0 => bytes[at] = alphabet[(next() as usize) % alphabet.len()],
                    1 => {
                        bytes.insert(at, alphabet[(next() as usize) % alphabet.len()]);
                    }
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            let r = inspect(&text, NOW, &InspectOptions::default());
            assert!(!r.summary.is_empty());
            let _ = to_json(&r);
            // and the scope language, on whatever the mutation left of the payload
            if let Some(p) = &r.payload {
                let a = crate::profiles::smart::authorize(
                    p,
                    &crate::profiles::smart::FhirAccess {
                        interaction: crate::profiles::smart::Interaction::Search,
                        resource_type: "Observation",
                        patient: None,
                        params: &[
                            ("patient".into(), "1".into()),
                            ("_include".into(), "*".into()),
                        ],
                        compartment_given: false,
                    },
                );
                assert!(!a.reason.is_empty());
            }
        }
    }

    #[test]
    fn never_panics_on_garbage() {
        let inputs = [
            "\u{0}".to_owned(),
            ".".to_owned(),
            "..".to_owned(),
            "....".to_owned(),
            "é.é.é".to_owned(),
            format!("{}..", base64url::encode(b"{\"alg\":1}")),
            format!("{}.e30.!!", base64url::encode(b"{\"alg\":\"ES256\"}")),
            format!(
                "{}.{}.",
                base64url::encode(b"{\"alg\":\"none\"}"),
                base64url::encode(b"[1,2]")
            ),
            format!(
                "{}.{}.",
                base64url::encode(b"{\"alg\":\"none\"}"),
                base64url::encode("[".repeat(1000).as_bytes())
            ),
            format!(
                "{}.{}.",
                base64url::encode(b"{\"alg\":\"none\"}"),
                base64url::encode(br#"{"exp":1e300,"iat":-5,"nbf":"x"}"#)
            ),
            "eyJhbGciOiJub25lIn0.e30.".to_owned() + &"A".repeat(20_000),
            "Bearer".to_owned(),
        ];
        for t in &inputs {
            let r = inspect(t, NOW, &InspectOptions::default());
            assert!(!r.summary.is_empty());
            let _ = to_json(&r);
        }
    }
}
