//! Refusals as RFC 6750 §3 describes them: status, `WWW-Authenticate` challenge and a JSON body
//! with the error codes. The token is never echoed.

use crate::error::Problem;
use crate::limits::{clip, MAX_ECHO_BYTES, MAX_LISTED_PROBLEMS};
use serde_json::json;

/// The RFC 6750 §3.1 error attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    /// No token where one is needed: a bare challenge, no error attribute.
    None,
    /// 400: the request is malformed for bearer use.
    InvalidRequest,
    /// 401: the token is expired, revoked, malformed or otherwise invalid.
    InvalidToken,
    /// 403: the token is valid but does not grant the request.
    InsufficientScope,
}

impl BearerError {
    pub fn status(self) -> u16 {
        match self {
            BearerError::None | BearerError::InvalidToken => 401,
            BearerError::InvalidRequest => 400,
            BearerError::InsufficientScope => 403,
        }
    }

    pub fn as_str(self) -> Option<&'static str> {
        match self {
            BearerError::None => None,
            BearerError::InvalidRequest => Some("invalid_request"),
            BearerError::InvalidToken => Some("invalid_token"),
            BearerError::InsufficientScope => Some("insufficient_scope"),
        }
    }
}

/// `Bearer realm="…", error="…", error_description="…", scope="…"`.
pub fn www_authenticate(
    realm: &str,
    error: BearerError,
    description: &str,
    scope: Option<&str>,
) -> String {
    let mut out = format!("Bearer realm=\"{}\"", quoted_safe(realm));
    if let Some(e) = error.as_str() {
        out.push_str(&format!(", error=\"{e}\""));
        if !description.is_empty() {
            out.push_str(&format!(
                ", error_description=\"{}\"",
                quoted_safe(description)
            ));
        }
    }
    if let Some(scope) = scope {
        out.push_str(&format!(", scope=\"{}\"", quoted_safe(scope)));
    }
    out
}

/// `DPoP realm="…", error="…", error_description="…", algs="…"` (RFC 9449 §7.1).
pub fn dpop(realm: &str, error: &str, description: &str, algs: &str) -> String {
    format!(
        "DPoP realm=\"{}\", error=\"{error}\", error_description=\"{}\", algs=\"{}\"",
        quoted_safe(realm),
        quoted_safe(description),
        quoted_safe(algs)
    )
}

/// `Basic realm="…", charset="UTF-8"` (RFC 7617), for endpoints that take client credentials.
pub fn basic(realm: &str) -> String {
    format!("Basic realm=\"{}\", charset=\"UTF-8\"", quoted_safe(realm))
}

/// The JSON body of a refusal.
pub fn body(
    error: BearerError,
    description: &str,
    problems: &[Problem],
    scope: Option<&str>,
    rule: Option<&str>,
) -> String {
    let error = error.as_str().unwrap_or("unauthorized");
    body_named(error, description, problems, scope, rule)
}

/// [`body`] with the `error` word given (`invalid_dpop_proof`, RFC 9449 §7.1).
pub fn body_named(
    error: &str,
    description: &str,
    problems: &[Problem],
    scope: Option<&str>,
    rule: Option<&str>,
) -> String {
    // Attacker-chosen text (a kid, a crit name, an issuer) may be echoed in the messages: the
    // body lists a bounded number of problems, each clipped, so its size does not grow with the
    // token's.
    let listed: Vec<Problem> = problems
        .iter()
        .take(MAX_LISTED_PROBLEMS)
        .map(|p| Problem {
            code: p.code,
            message: clip(&p.message, MAX_ECHO_BYTES).into_owned(),
            claim: p.claim.clone(),
        })
        .collect();
    let mut v = json!({
        "error": error,
        "error_description": clip(description, MAX_ECHO_BYTES),
        "errors": listed,
    });
    if let Some(obj) = v.as_object_mut() {
        if problems.len() > MAX_LISTED_PROBLEMS {
            obj.insert(
                "errors_not_listed".into(),
                json!(problems.len() - MAX_LISTED_PROBLEMS),
            );
        }
        if let Some(scope) = scope {
            obj.insert("scope".into(), json!(scope));
        }
        if let Some(rule) = rule {
            obj.insert("rule".into(), json!(rule));
        }
    }
    v.to_string()
}

/// RFC 6750 §3: attribute values use %x20-21 / %x23-5B / %x5D-7E only; anything else becomes
/// a space or is dropped, and overly long text is cut.
fn quoted_safe(s: &str) -> String {
    let mut out: String = s
        .chars()
        .filter_map(|c| match c {
            '"' => Some('\''),
            '\\' => Some('/'),
            ' '..='~' => Some(c),
            c if c.is_whitespace() => Some(' '),
            _ => None,
        })
        .collect();
    if out.len() > 300 {
        out.truncate(297);
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn challenges_follow_rfc6750() {
        assert_eq!(
            www_authenticate("fhir", BearerError::None, "ignored", None),
            "Bearer realm=\"fhir\""
        );
        assert_eq!(
            www_authenticate("fhir", BearerError::InvalidToken, "The token expired \"now\"\n\u{e9}", None),
            "Bearer realm=\"fhir\", error=\"invalid_token\", error_description=\"The token expired 'now' \""
        );
        assert_eq!(
            www_authenticate("r", BearerError::InsufficientScope, "x", Some("patient/Observation.rs")),
            "Bearer realm=\"r\", error=\"insufficient_scope\", error_description=\"x\", scope=\"patient/Observation.rs\""
        );
        assert_eq!(BearerError::InsufficientScope.status(), 403);
        assert_eq!(BearerError::InvalidRequest.status(), 400);
    }

    #[test]
    fn bodies_carry_codes() {
        let b = body(
            BearerError::InvalidToken,
            "d",
            &[Problem::new(ErrorCode::Expired, "m")],
            None,
            None,
        );
        let v: serde_json::Value = serde_json::from_str(&b).unwrap();
        assert_eq!(v["errors"][0]["code"], "expired");
        assert_eq!(v["error"], "invalid_token");
    }
}
