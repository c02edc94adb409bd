//! OpenID Connect ID tokens (OpenID Connect Core 1.0 §2 and §3.1.3.7 "ID Token Validation").
//! The policy's audience is the client's `client_id`.

use super::{audiences, require_claims, Context, Outcome, Rule};
use crate::claims::numeric_date;
use crate::time;
use serde_json::Value;

pub const REQUIRED: Rule = Rule {
    name: "oidc.required-claims",
    summary: "iss, sub, aud, exp and iat are present",
    spec: "OpenID Connect Core 1.0 §2",
};
pub const NONCE: Rule = Rule {
    name: "oidc.nonce",
    summary: "nonce equals the one sent in the authentication request (profile_options.nonce)",
    spec: "OpenID Connect Core 1.0 §3.1.3.7 step 11",
};
pub const AZP: Rule = Rule {
    name: "oidc.azp",
    summary: "with several audiences azp is present, and azp is the client's client_id (the policy's audience)",
    spec: "OpenID Connect Core 1.0 §2, §3.1.3.7 steps 4–5",
};
pub const AUTH_TIME: Rule = Rule {
    name: "oidc.auth-time",
    summary: "auth_time is a NumericDate; with profile_options.max_age it is present and no older than max_age",
    spec: "OpenID Connect Core 1.0 §2, §3.1.3.7 step 13",
};
pub const ACR: Rule = Rule {
    name: "oidc.acr",
    summary: "acr is a string; with profile_options.required_acr it is one of them",
    spec: "OpenID Connect Core 1.0 §2, §3.1.3.7 step 12",
};
pub const AMR: Rule = Rule {
    name: "oidc.amr",
    summary:
        "amr is an array of strings; with profile_options.required_amr it contains each of them",
    spec: "OpenID Connect Core 1.0 §2; RFC 8176",
};

pub const RULES: &[Rule] = &[REQUIRED, NONCE, AZP, AUTH_TIME, ACR, AMR];

pub(super) fn check(ctx: &Context<'_>, out: &mut Outcome) {
    let claims = ctx.claims;
    let opts = ctx.options;
    require_claims(
        ctx,
        &REQUIRED,
        "an ID token",
        &["iss", "sub", "aud", "exp", "iat"],
        out,
    );

    if let Some(expected) = opts.nonce.as_deref() {
        match claims.get("nonce") {
            Some(Value::String(n)) if n == expected => {}
            Some(Value::String(_)) => out.violation(
                &NONCE,
                "nonce",
                "The ID token's nonce differs from the one this login sent: it may be replayed from another login.",
            ),
            Some(_) => out.invalid(&NONCE, "nonce", "\"nonce\" must be a string."),
            None => out.missing(
                &NONCE,
                "nonce",
                "The ID token has no \"nonce\", but this login sent one: it may be replayed.",
            ),
        }
    }

    let auds = audiences(claims);
    match claims.get("azp") {
        None if auds.len() > 1 => out.missing(
            &AZP,
            "azp",
            format!("The ID token has {} audiences but no \"azp\" saying which client it was issued to.", auds.len()),
        ),
        None => {}
        Some(Value::String(azp))
            if !ctx.audiences.is_empty() && !ctx.audiences.iter().any(|a| a == azp) =>
        {
            out.violation(
                &AZP,
                "azp",
                format!("The ID token was issued to the client \"{azp}\" (azp), not to this client ({}).", ctx.audiences.join(", ")),
            );
        }
        Some(Value::String(_)) => {}
        Some(_) => out.invalid(&AZP, "azp", "\"azp\" must be a string."),
    }

    let auth_time = match claims.get("auth_time") {
        None => None,
        Some(v) => match numeric_date::read(v) {
            Ok(t) => Some(t),
            Err(why) => {
                out.invalid(
                    &AUTH_TIME,
                    "auth_time",
                    format!("The claim \"auth_time\" {why}."),
                );
                None
            }
        },
    };
    if let Some(max_age) = opts.max_age {
        match auth_time {
            Some(t) if ctx.now.saturating_sub(t) > max_age as i64 + ctx.leeway => out.violation(
                &AUTH_TIME,
                "auth_time",
                format!(
                    "The user authenticated {} ({}); this login asked for authentication within {} (max_age).",
                    time::relative(t, ctx.now),
                    time::utc(t),
                    time::span(max_age as i64)
                ),
            ),
            Some(_) => {}
            None if !claims.contains_key("auth_time") => out.missing(
                &AUTH_TIME,
                "auth_time",
                "The ID token has no \"auth_time\", which a login that sends max_age requires.",
            ),
            None => {}
        }
    }

    match claims.get("acr") {
        None if !opts.required_acr.is_empty() => out.missing(
            &ACR,
            "acr",
            format!(
                "The ID token has no \"acr\"; this service requires one of {}.",
                quoted(&opts.required_acr)
            ),
        ),
        None => {}
        Some(Value::String(acr))
            if !opts.required_acr.is_empty() && !opts.required_acr.contains(acr) =>
        {
            out.violation(
                &ACR,
                "acr",
                format!(
                    "The authentication context \"{acr}\" is not one this service accepts ({}).",
                    quoted(&opts.required_acr)
                ),
            );
        }
        Some(Value::String(_)) => {}
        Some(_) => out.invalid(&ACR, "acr", "\"acr\" must be a string."),
    }

    match claims.get("amr") {
        None if !opts.required_amr.is_empty() => out.missing(
            &AMR,
            "amr",
            format!(
                "The ID token has no \"amr\"; this service requires the methods {}.",
                quoted(&opts.required_amr)
            ),
        ),
        None => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            let have: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            let lacking: Vec<String> = opts
                .required_amr
                .iter()
                .filter(|m| !have.contains(&m.as_str()))
                .cloned()
                .collect();
            if !lacking.is_empty() {
                out.violation(
                    &AMR,
                    "amr",
                    format!("The user authenticated with {} but not with {}, which this service requires.", quoted_strs(&have), quoted(&lacking)),
                );
            }
        }
        Some(_) => out.invalid(
            &AMR,
            "amr",
            "\"amr\" must be an array of strings (RFC 8176 method names).",
        ),
    }

    for name in ["sub", "acr", "amr", "auth_time", "azp"] {
        out.surface(claims, name);
    }
}

fn quoted(items: &[String]) -> String {
    quoted_strs(&items.iter().map(String::as_str).collect::<Vec<_>>())
}

fn quoted_strs(items: &[&str]) -> String {
    if items.is_empty() {
        return "nothing".to_owned();
    }
    items
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Profile, ProfileOptions};
    use serde_json::{json, Value};

    /// The example ID token of OpenID Connect Core §2, moved to our clock.
    fn good() -> Value {
        json!({
            "iss": "https://server.example.com", "sub": "24400320", "aud": "s6BhdRkqt3",
            "nonce": "n-0S6_WzA2Mj", "exp": NOW + 1000, "iat": NOW,
            "auth_time": NOW - 1, "acr": "urn:mace:incommon:iap:silver", "amr": ["pwd", "otp"]
        })
    }

    fn strict() -> ProfileOptions {
        ProfileOptions {
            nonce: Some("n-0S6_WzA2Mj".into()),
            max_age: Some(600),
            required_acr: vec![
                "urn:mace:incommon:iap:silver".into(),
                "urn:mace:incommon:iap:gold".into(),
            ],
            required_amr: vec!["otp".into()],
            ..ProfileOptions::default()
        }
    }

    fn run_o(claims: Value, opts: &ProfileOptions) -> super::super::Outcome {
        run(
            Profile::Oidc,
            json!({"alg": "RS256", "kid": "1"}),
            claims,
            opts,
            &["s6BhdRkqt3"],
        )
    }

    #[test]
    fn the_core_example_passes_and_surfaces_acr_and_amr() {
        let out = run_o(good(), &strict());
        assert!(out.errors.is_empty() && out.warnings.is_empty(), "{out:?}");
        assert_eq!(out.context["acr"], "urn:mace:incommon:iap:silver");
        assert_eq!(out.context["amr"], json!(["pwd", "otp"]));
        // without options, only the required claims and types are checked
        assert!(run_o(
            with(&good(), json!({"nonce": null, "acr": null})),
            &ProfileOptions::default()
        )
        .errors
        .is_empty());
    }

    #[test]
    fn each_rule() {
        use crate::ErrorCode::*;
        let table: Vec<(Value, &str, &str, crate::ErrorCode)> = vec![
            (
                with(&good(), json!({"iat": null})),
                "oidc.required-claims",
                "iat",
                MissingClaim,
            ),
            (
                with(&good(), json!({"sub": null})),
                "oidc.required-claims",
                "sub",
                MissingClaim,
            ),
            (
                with(&good(), json!({"nonce": null})),
                "oidc.nonce",
                "nonce",
                MissingClaim,
            ),
            (
                with(&good(), json!({"nonce": "n-other"})),
                "oidc.nonce",
                "nonce",
                ProfileViolation,
            ),
            (
                with(&good(), json!({"nonce": 1})),
                "oidc.nonce",
                "nonce",
                ClaimInvalid,
            ),
            (
                with(&good(), json!({"aud": ["s6BhdRkqt3", "other"]})),
                "oidc.azp",
                "azp",
                MissingClaim,
            ),
            (
                with(
                    &good(),
                    json!({"aud": ["s6BhdRkqt3", "other"], "azp": "other"}),
                ),
                "oidc.azp",
                "azp",
                ProfileViolation,
            ),
            (
                with(&good(), json!({"azp": ["s6BhdRkqt3"]})),
                "oidc.azp",
                "azp",
                ClaimInvalid,
            ),
            (
                with(&good(), json!({"auth_time": null})),
                "oidc.auth-time",
                "auth_time",
                MissingClaim,
            ),
            (
                with(&good(), json!({"auth_time": NOW - 661})),
                "oidc.auth-time",
                "auth_time",
                ProfileViolation,
            ),
            (
                with(&good(), json!({"auth_time": "yesterday"})),
                "oidc.auth-time",
                "auth_time",
                ClaimInvalid,
            ),
            (
                with(&good(), json!({"acr": null})),
                "oidc.acr",
                "acr",
                MissingClaim,
            ),
            (
                with(&good(), json!({"acr": "0"})),
                "oidc.acr",
                "acr",
                ProfileViolation,
            ),
            (
                with(&good(), json!({"acr": 2})),
                "oidc.acr",
                "acr",
                ClaimInvalid,
            ),
            (
                with(&good(), json!({"amr": null})),
                "oidc.amr",
                "amr",
                MissingClaim,
            ),
            (
                with(&good(), json!({"amr": ["pwd"]})),
                "oidc.amr",
                "amr",
                ProfileViolation,
            ),
            (
                with(&good(), json!({"amr": "otp"})),
                "oidc.amr",
                "amr",
                ClaimInvalid,
            ),
        ];
        for (claims, rule, claim, code) in table {
            let out = run_o(claims, &strict());
            assert_eq!(
                error_rules(&out),
                vec![rule.to_string()],
                "{rule}/{claim}: {:?}",
                out.errors
            );
            assert_eq!(out.errors[0].claim.as_deref(), Some(claim));
            assert_eq!(out.errors[0].code, code, "{rule}/{claim}");
        }
        // several audiences with the right azp pass
        let ok = run_o(
            with(
                &good(),
                json!({"aud": ["s6BhdRkqt3", "other"], "azp": "s6BhdRkqt3"}),
            ),
            &strict(),
        );
        assert!(ok.errors.is_empty(), "{:?}", ok.errors);
        // auth_time exactly max_age + leeway ago is still fine
        let ok = run_o(with(&good(), json!({"auth_time": NOW - 660})), &strict());
        assert!(ok.errors.is_empty());
    }
}
