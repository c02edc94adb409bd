//! The registered JWT claims (RFC 7519 §4.1) checked against a policy and a caller-given `now`.

pub mod act;
pub mod numeric_date;

use crate::error::{ErrorCode, Problem, Warning};
use crate::time;
use serde_json::{Map, Value};

/// What the claim checks need from a policy, resolved for the token's issuer.
#[derive(Debug, Clone, Default)]
pub struct ClaimRules<'a> {
    pub leeway: i64,
    pub require_exp: bool,
    /// Accepted issuers; empty means "not checked".
    pub issuers: Vec<&'a str>,
    /// Accepted audiences; empty means "not checked" (with a warning if the token has `aud`).
    pub audiences: &'a [String],
    pub subject: Option<&'a str>,
    pub required: &'a [String],
    pub max_token_age: Option<u64>,
    pub max_lifetime: Option<u64>,
}

/// Check every registered claim, appending problems; never stops at the first.
pub fn check(
    payload: &Map<String, Value>,
    rules: &ClaimRules<'_>,
    now: i64,
    errors: &mut Vec<Problem>,
    warnings: &mut Vec<Warning>,
) {
    let leeway = rules.leeway;
    let exp = date(payload, "exp", errors);
    let nbf = date(payload, "nbf", errors);
    let iat = date(payload, "iat", errors);

    match exp {
        Some(exp) if now.saturating_sub(leeway) >= exp => errors.push(Problem::at(
            ErrorCode::Expired,
            "exp",
            format!(
                "The token expired at {}, {} (leeway {leeway} s).",
                time::utc(exp),
                time::relative(exp, now)
            ),
        )),
        None if rules.require_exp && !payload.contains_key("exp") => errors.push(Problem::at(
            ErrorCode::MissingClaim,
            "exp",
            "The token has no \"exp\": a token that never expires is refused (set require_exp to false to allow it).",
        )),
        _ => {}
    }
    if let Some(nbf) = nbf {
        if now.saturating_add(leeway) < nbf {
            errors.push(Problem::at(
                ErrorCode::NotYetValid,
                "nbf",
                format!(
                    "The token is not valid before {}, {} (leeway {leeway} s).",
                    time::utc(nbf),
                    time::relative(nbf, now)
                ),
            ));
        }
    }
    if let Some(iat) = iat {
        if iat > now.saturating_add(leeway) {
            errors.push(Problem::at(
                ErrorCode::IssuedInFuture,
                "iat",
                format!(
                    "The token says it was issued at {}, {}: check the issuer's clock (leeway {leeway} s).",
                    time::utc(iat),
                    time::relative(iat, now)
                ),
            ));
        }
    }
    if let Some(max_age) = rules.max_token_age {
        match iat {
            Some(iat) if now.saturating_sub(iat) > seconds(max_age).saturating_add(leeway) => errors.push(Problem::at(
                ErrorCode::TokenTooOld,
                "iat",
                format!(
                    "The token was issued {} ({}); the policy accepts tokens up to {} old.",
                    time::relative(iat, now),
                    time::utc(iat),
                    time::span(seconds(max_age))
                ),
            )),
            None if !payload.contains_key("iat") => errors.push(Problem::at(
                ErrorCode::MissingClaim,
                "iat",
                "The token has no \"iat\", so its age (limited by max_token_age) cannot be checked.",
            )),
            _ => {}
        }
    }
    if let (Some(max), Some(exp)) = (rules.max_lifetime, exp) {
        let start = iat.or(nbf);
        match start {
            Some(start) if exp.saturating_sub(start) > seconds(max) => errors.push(Problem::at(
                ErrorCode::ClaimInvalid,
                "exp",
                format!(
                    "The token is valid for {} from issue to expiry; the policy allows at most {}.",
                    time::span(exp - start),
                    time::span(seconds(max))
                ),
            )),
            None => errors.push(Problem::at(
                ErrorCode::MissingClaim,
                "iat",
                "The token has neither \"iat\" nor \"nbf\", so its lifetime (limited by max_lifetime) cannot be checked.",
            )),
            _ => {}
        }
    }

    check_issuer(payload, rules, errors);
    check_audience(payload, rules, errors, warnings);
    if let Some(expected) = rules.subject {
        match payload.get("sub") {
            Some(Value::String(s)) if s == expected => {}
            Some(Value::String(s)) => errors.push(Problem::at(
                ErrorCode::ClaimInvalid,
                "sub",
                format!("The subject is \"{s}\"; the policy expects \"{expected}\"."),
            )),
            Some(_) => errors.push(not_a_string("sub")),
            None => errors.push(missing("sub", "the policy names the expected subject")),
        }
    } else if let Some(v) = payload.get("sub") {
        if !v.is_string() {
            errors.push(not_a_string("sub"));
        }
    }
    for name in rules.required {
        if !payload.contains_key(name.as_str()) {
            errors.push(missing(name, "the policy requires it"));
        }
    }
    for name in ["jti", "client_id", "scope"] {
        if let Some(v) = payload.get(name) {
            if !v.is_string() {
                errors.push(not_a_string(name));
            }
        }
    }
}

fn check_issuer(payload: &Map<String, Value>, rules: &ClaimRules<'_>, errors: &mut Vec<Problem>) {
    match payload.get("iss") {
        Some(Value::String(iss))
            if !rules.issuers.is_empty() && !rules.issuers.contains(&iss.as_str()) =>
        {
            errors.push(Problem::at(
                ErrorCode::IssuerMismatch,
                "iss",
                format!(
                    "The issuer \"{iss}\" is not trusted (trusted: {}). Issuers are compared exactly, including any trailing slash.",
                    quoted(&rules.issuers)
                ),
            ));
        }
        Some(Value::String(_)) => {}
        Some(_) => errors.push(not_a_string("iss")),
        None if !rules.issuers.is_empty() => {
            errors.push(missing("iss", "the policy names trusted issuers"))
        }
        None => {}
    }
}

fn check_audience(
    payload: &Map<String, Value>,
    rules: &ClaimRules<'_>,
    errors: &mut Vec<Problem>,
    warnings: &mut Vec<Warning>,
) {
    let auds: Vec<&str> = match payload.get("aud") {
        None => {
            if !rules.audiences.is_empty() {
                errors.push(missing("aud", "the policy expects an audience"));
            }
            return;
        }
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) if !items.is_empty() && items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).collect()
        }
        Some(_) => {
            errors.push(Problem::at(
                ErrorCode::ClaimInvalid,
                "aud",
                "The claim \"aud\" must be a string or a non-empty array of strings.",
            ));
            return;
        }
    };
    if rules.audiences.is_empty() {
        warnings.push(Warning::at(
            "audience_not_checked",
            "aud",
            "The token names an audience but the policy expects none, so it was not checked (RFC 7519 §4.1.3 wants the recipient to find itself there).",
        ));
        return;
    }
    if !auds.iter().any(|a| rules.audiences.iter().any(|e| e == a)) {
        let expected: Vec<&str> = rules.audiences.iter().map(String::as_str).collect();
        errors.push(Problem::at(
            ErrorCode::AudienceMismatch,
            "aud",
            format!(
                "The token is for {}, not for this service ({}).",
                quoted(&auds),
                quoted(&expected)
            ),
        ));
    }
}

fn date(payload: &Map<String, Value>, name: &str, errors: &mut Vec<Problem>) -> Option<i64> {
    let v = payload.get(name)?;
    match numeric_date::read(v) {
        Ok(t) => Some(t),
        Err(why) => {
            errors.push(Problem::at(
                ErrorCode::ClaimInvalid,
                name,
                format!("The claim \"{name}\" {why}."),
            ));
            None
        }
    }
}

/// A policy duration as signed seconds; values past `i64::MAX` mean "no limit", never a wrap.
fn seconds(policy_value: u64) -> i64 {
    i64::try_from(policy_value).unwrap_or(i64::MAX)
}

fn missing(name: &str, why: &str) -> Problem {
    Problem::at(
        ErrorCode::MissingClaim,
        name,
        format!("The token has no \"{name}\" claim, and {why}."),
    )
}

fn not_a_string(name: &str) -> Problem {
    Problem::at(
        ErrorCode::ClaimInvalid,
        name,
        format!("The claim \"{name}\" must be a string."),
    )
}

fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
