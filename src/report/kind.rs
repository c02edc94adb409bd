//! What kind of token a string is, before anything else is done with it. Pasted tokens often
//! come with an `Authorization` scheme word or surrounding white space; both are removed and
//! reported.

use super::findings::{Finding, Severity};
use base64::Engine;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// A compact JWS (three segments, a JOSE header with `alg`): a signed JWT, or unsigned.
    Jws,
    /// A compact JWE (five segments): encrypted; only its header can be read.
    Jwe,
    /// A SAML 2.0 assertion, base64 or base64url encoded (RFC 7522), or raw XML.
    Saml,
    /// Anything else: a reference token only its issuer can resolve.
    Opaque,
    /// Nothing at all.
    Empty,
}

/// The result of looking at the string.
#[derive(Debug, Clone)]
pub struct Detected {
    pub kind: TokenKind,
    /// The token with the scheme word and white space removed.
    pub token: String,
    /// The decoded SAML XML, for [`TokenKind::Saml`].
    pub saml_xml: Option<String>,
    pub findings: Vec<Finding>,
}

/// Authorization schemes people paste along with the token.
const SCHEMES: &[&str] = &["Bearer", "DPoP", "IHE-JWT", "IHE-SAML"];

pub fn detect(raw: &str, max_bytes: usize) -> Detected {
    let mut findings = Vec::new();
    let mut token = raw.trim();
    if token.len() != raw.len() {
        findings.push(Finding::new(
            Severity::Info,
            "whitespace_trimmed",
            None,
            "White space around the token was removed.",
        ));
    }
    if let Some(rest) = strip_prefix_ignore_case(token, "Authorization:") {
        token = rest.trim_start();
    }
    for scheme in SCHEMES {
        if let Some(rest) = strip_prefix_ignore_case(token, scheme) {
            if rest.is_empty() || rest.starts_with(' ') {
                token = rest.trim_start();
                let note = if *scheme == "IHE-JWT" || *scheme == "IHE-SAML" {
                    " (the IUA 2013 scheme; IUA Rev 2.x uses Bearer)"
                } else {
                    ""
                };
                findings.push(Finding::new(
                    Severity::Info,
                    "scheme_removed",
                    None,
                    format!(
                        "The \"{scheme}\" authorization scheme before the token was removed{note}."
                    ),
                ));
                break;
            }
        }
    }
    let token = token.to_owned();
    if token.is_empty() {
        findings.push(Finding::new(
            Severity::Error,
            "empty",
            None,
            "There is no token.",
        ));
        return Detected {
            kind: TokenKind::Empty,
            token,
            saml_xml: None,
            findings,
        };
    }
    if token.len() > max_bytes {
        findings.push(Finding::new(
            Severity::Error,
            "too_large",
            None,
            format!(
                "The token is {} bytes long, over the {max_bytes}-byte limit; it was not decoded.",
                token.len()
            ),
        ));
        let kind = match token.bytes().filter(|b| *b == b'.').count() {
            2 => TokenKind::Jws,
            4 => TokenKind::Jwe,
            _ => TokenKind::Opaque,
        };
        return Detected {
            kind,
            token,
            saml_xml: None,
            findings,
        };
    }
    let kind = match token.bytes().filter(|b| *b == b'.').count() {
        2 if has_json_header(&token, "alg") => TokenKind::Jws,
        4 if has_json_header(&token, "enc") => TokenKind::Jwe,
        _ => TokenKind::Opaque,
    };
    if matches!(kind, TokenKind::Jws | TokenKind::Jwe)
        && token.bytes().any(|b| b.is_ascii_whitespace())
    {
        findings.push(Finding::new(
            Severity::Warning,
            "whitespace_inside",
            None,
            "The token holds line breaks or spaces (it was wrapped or padded): it is shown decoded as if they were not there, but as written it is not a valid token and verification refuses it. Join the lines before sending it.",
        ));
    }
    let mut saml_xml = None;
    let kind = if kind == TokenKind::Opaque {
        match saml(&token) {
            Some(xml) => {
                saml_xml = Some(xml);
                TokenKind::Saml
            }
            None => kind,
        }
    } else {
        kind
    };
    Detected {
        kind,
        token,
        saml_xml,
        findings,
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Does the first segment decode (leniently) to a JSON object with `member`?
fn has_json_header(token: &str, member: &str) -> bool {
    let first = token.split('.').next().unwrap_or("");
    lenient_base64(first)
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|v| v.get(member).is_some())
}

/// Decode base64 in any common spelling (standard or URL alphabet, padded or not).
pub fn lenient_base64(s: &str) -> Option<Vec<u8>> {
    use base64::alphabet;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    // A token wrapped across lines (an e-mail, a log, a terminal) is read as if joined.
    let joined: String;
    let s = if s.bytes().any(|b| b.is_ascii_whitespace()) {
        joined = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        joined.as_str()
    } else {
        s
    };
    let cfg = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    GeneralPurpose::new(&alphabet::URL_SAFE, cfg)
        .decode(s)
        .or_else(|_| GeneralPurpose::new(&alphabet::STANDARD, cfg).decode(s))
        .ok()
}

/// The XML of a SAML assertion: raw, or base64/base64url encoded.
fn saml(token: &str) -> Option<String> {
    let looks_like = |xml: &str| {
        let t = xml.trim_start();
        t.starts_with('<') && t.contains("Assertion") && t.contains("urn:oasis:names:tc:SAML:2.0")
    };
    if looks_like(token) {
        return Some(token.to_owned());
    }
    let compact: String = token.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = lenient_base64(&compact)?;
    let xml = String::from_utf8(bytes).ok()?;
    looks_like(&xml).then_some(xml)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::base64url::encode;

    const MAX: usize = 16 * 1024;

    fn jws() -> String {
        format!(
            "{}.{}.sig",
            encode(br#"{"alg":"ES256"}"#),
            encode(br#"{"sub":"x"}"#)
        )
    }

    #[test]
    fn kinds() {
        let saml_xml = r#"<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1"><saml2:Issuer>https://idp</saml2:Issuer></saml2:Assertion>"#;
        let jwe = format!(
            "{}.key.iv.ct.tag",
            encode(br#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#)
        );
        let b64 = base64::engine::general_purpose::STANDARD.encode(saml_xml);
        let table = [
            (jws(), TokenKind::Jws),
            (jwe, TokenKind::Jwe),
            (encode(saml_xml.as_bytes()), TokenKind::Saml),
            (b64, TokenKind::Saml),
            (saml_xml.to_owned(), TokenKind::Saml),
            ("2YotnFZFEjr1zCsicMWpAA".to_owned(), TokenKind::Opaque),
            ("a.b.c".to_owned(), TokenKind::Opaque),
            ("a.b.c.d.e".to_owned(), TokenKind::Opaque),
            ("".to_owned(), TokenKind::Empty),
            ("   \n".to_owned(), TokenKind::Empty),
            ("Bearer ".to_owned(), TokenKind::Empty),
        ];
        for (t, kind) in table {
            assert_eq!(detect(&t, MAX).kind, kind, "{t}");
        }
    }

    #[test]
    fn pasted_headers_are_cleaned() {
        for (raw, code) in [
            (format!("Bearer {}", jws()), "scheme_removed"),
            (format!("bearer   {}", jws()), "scheme_removed"),
            (format!("Authorization: Bearer {}", jws()), "scheme_removed"),
            (format!("IHE-JWT {}", jws()), "scheme_removed"),
            (format!("  {}\n", jws()), "whitespace_trimmed"),
        ] {
            let d = detect(&raw, MAX);
            assert_eq!(d.kind, TokenKind::Jws, "{raw}");
            assert_eq!(d.token, jws());
            assert!(d.findings.iter().any(|f| f.code == code), "{raw}");
        }
        let d = detect(&format!("IHE-JWT {}", jws()), MAX);
        assert!(d.findings[0].message.contains("IUA 2013"));
    }

    #[test]
    fn too_large_is_not_decoded() {
        let big = format!("{}.{}.x", "a".repeat(MAX), "b");
        let d = detect(&big, MAX);
        assert_eq!(d.kind, TokenKind::Jws);
        assert_eq!(d.findings[0].code, "too_large");
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in [
            "\u{0}",
            "é.é.é",
            "Bearer",
            "Authorization:",
            "....",
            "=",
            "%%%",
            "<",
            "<Assertion",
        ] {
            let _ = detect(s, MAX);
        }
    }
}
