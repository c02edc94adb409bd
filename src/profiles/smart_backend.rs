//! SMART Backend Services client assertions (`private_key_jwt`, RFC 7523 §3): the signed JWT a
//! client posts to the token endpoint to authenticate. Checked by an authorization server.
//!
//! Replay (`jti` seen before for this `iss` within the assertion's lifetime) needs state, so it
//! is the host's job; this profile makes sure `jti` is there to check.

use super::{
    audiences, check_asymmetric, check_kid, check_typ_jwt, date, header_alg, require_claims,
    Context, Outcome, Rule,
};
use crate::alg::Algorithm;
use crate::time;
use serde_json::Value;

const SPEC: &str = "SMART App Launch 2.x, client-confidential-asymmetric (Backend Services)";

pub const REQUIRED: Rule = Rule {
    name: "smart-backend.required-claims",
    summary: "iss, sub, aud, exp and jti are present",
    spec: SPEC,
};
pub const CLIENT_ID: Rule = Rule {
    name: "smart-backend.iss-is-sub",
    summary: "iss and sub are both the client's client_id",
    spec: SPEC,
};
pub const AUDIENCE: Rule = Rule {
    name: "smart-backend.aud-token-endpoint",
    summary: "aud is this authorization server's token endpoint (profile_options.token_endpoint)",
    spec: "SMART Backend Services; RFC 7523 §3",
};
pub const EXP_WINDOW: Rule = Rule {
    name: "smart-backend.exp-window",
    summary: "exp is no more than five minutes after now (plus leeway)",
    spec: SPEC,
};
pub const ALGORITHM: Rule = Rule {
    name: "smart-backend.algorithm",
    summary: "a public-key signature; RS384 or ES384 expected (others a warning)",
    spec: SPEC,
};
pub const HEADER: Rule = Rule {
    name: "smart-backend.header",
    summary: "the header has a kid and typ JWT",
    spec: SPEC,
};

pub const RULES: &[Rule] = &[REQUIRED, CLIENT_ID, AUDIENCE, EXP_WINDOW, ALGORITHM, HEADER];

/// The longest an assertion may still be valid, in seconds.
pub const MAX_EXP_AHEAD: i64 = 300;

pub(super) fn check(ctx: &Context<'_>, out: &mut Outcome) {
    let claims = ctx.claims;
    require_claims(
        ctx,
        &REQUIRED,
        "a SMART client assertion",
        &["iss", "sub", "aud", "exp", "jti"],
        out,
    );
    let iss = claims.get("iss").and_then(Value::as_str);
    let sub = claims.get("sub").and_then(Value::as_str);
    if let (Some(iss), Some(sub)) = (iss, sub) {
        if iss != sub {
            out.violation(
                &CLIENT_ID,
                "sub",
                format!("\"iss\" is \"{iss}\" and \"sub\" is \"{sub}\"; in a client assertion both are the client's client_id."),
            );
        }
    }
    if let Some(endpoint) = ctx.options.token_endpoint.as_deref() {
        let auds = audiences(claims);
        if claims.contains_key("aud") && !auds.contains(&endpoint) {
            out.violation(
                &AUDIENCE,
                "aud",
                format!(
                    "The assertion is for {}, not for this token endpoint (\"{endpoint}\"); it must name the exact URL it is posted to.",
                    auds.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }
    if let Some(exp) = date(claims, "exp") {
        let ahead = exp.saturating_sub(ctx.now);
        if ahead > MAX_EXP_AHEAD + ctx.leeway {
            out.violation(
                &EXP_WINDOW,
                "exp",
                format!(
                    "The assertion expires {} ({}); SMART allows at most 5 min in the future (leeway {} s).",
                    time::relative(exp, ctx.now),
                    time::utc(exp),
                    ctx.leeway
                ),
            );
        }
    }
    check_asymmetric(ctx, &ALGORITHM, "SMART Backend Services", out);
    if let Some(alg) = header_alg(ctx.header) {
        if !alg.is_symmetric() && !matches!(alg, Algorithm::RS384 | Algorithm::ES384) {
            out.warn(
                "smart_backend_algorithm",
                &ALGORITHM,
                "header.alg",
                format!("The assertion is signed with {alg}; SMART servers must support RS384 or ES384, not necessarily {alg}."),
            );
        }
    }
    check_kid(ctx, &HEADER, "SMART Backend Services", out);
    check_typ_jwt(ctx, &HEADER, "SMART Backend Services", out);
    out.surface(claims, "iss");
    if let Some(iss) = iss {
        out.context
            .insert("client_id".into(), Value::String(iss.to_owned()));
    }
    out.surface(claims, "jti");
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Profile, ProfileOptions};
    use serde_json::{json, Value};

    const TOKEN_URL: &str = "https://authorize.smarthealthit.org/token";

    fn header() -> Value {
        json!({"alg": "ES384", "kid": "eee", "typ": "JWT"})
    }

    fn good() -> Value {
        json!({
            "iss": "bulk-client", "sub": "bulk-client", "aud": TOKEN_URL,
            "exp": NOW + 240, "jti": "random-non-reusable-jwt-id-123"
        })
    }

    fn opts() -> ProfileOptions {
        ProfileOptions {
            token_endpoint: Some(TOKEN_URL.into()),
            ..ProfileOptions::default()
        }
    }

    fn run_b(header: Value, claims: Value) -> super::super::Outcome {
        run(Profile::SmartBackend, header, claims, &opts(), &[])
    }

    #[test]
    fn a_good_assertion_passes() {
        for alg in ["ES384", "RS384"] {
            let out = run_b(with(&header(), json!({"alg": alg})), good());
            assert!(out.errors.is_empty() && out.warnings.is_empty(), "{out:?}");
            assert_eq!(out.context["client_id"], "bulk-client");
        }
        // aud as an array naming the endpoint
        let out = run_b(header(), with(&good(), json!({"aud": [TOKEN_URL]})));
        assert!(out.errors.is_empty());
    }

    #[test]
    fn each_rule() {
        let table: Vec<(Value, Value, &str, &str)> = vec![
            (
                header(),
                with(&good(), json!({"jti": null})),
                "smart-backend.required-claims",
                "jti",
            ),
            (
                header(),
                with(&good(), json!({"exp": null})),
                "smart-backend.required-claims",
                "exp",
            ),
            (
                header(),
                with(&good(), json!({"sub": null})),
                "smart-backend.required-claims",
                "sub",
            ),
            (
                header(),
                with(&good(), json!({"sub": "someone-else"})),
                "smart-backend.iss-is-sub",
                "sub",
            ),
            (
                header(),
                with(
                    &good(),
                    json!({"aud": "https://authorize.smarthealthit.org/token/"}),
                ),
                "smart-backend.aud-token-endpoint",
                "aud",
            ),
            (
                header(),
                with(
                    &good(),
                    json!({"aud": "https://authorize.smarthealthit.org"}),
                ),
                "smart-backend.aud-token-endpoint",
                "aud",
            ),
            (
                header(),
                with(&good(), json!({"exp": NOW + 361})),
                "smart-backend.exp-window",
                "exp",
            ),
            (
                header(),
                with(&good(), json!({"exp": NOW + 3600})),
                "smart-backend.exp-window",
                "exp",
            ),
            (
                with(&header(), json!({"alg": "HS384"})),
                good(),
                "smart-backend.algorithm",
                "header.alg",
            ),
            (
                with(&header(), json!({"kid": null})),
                good(),
                "smart-backend.header",
                "header.kid",
            ),
            (
                with(&header(), json!({"typ": null})),
                good(),
                "smart-backend.header",
                "header.typ",
            ),
            (
                with(&header(), json!({"typ": "at+jwt"})),
                good(),
                "smart-backend.header",
                "header.typ",
            ),
        ];
        for (h, c, rule, claim) in table {
            let out = run_b(h, c);
            assert_eq!(
                error_rules(&out),
                vec![rule.to_string()],
                "{rule}/{claim}: {:?}",
                out.errors
            );
            assert_eq!(out.errors[0].claim.as_deref(), Some(claim));
        }
        // exactly five minutes plus the leeway is still accepted
        let out = run_b(header(), with(&good(), json!({"exp": NOW + 360})));
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        // lowercase typ and the media-type form are the same type
        let out = run_b(with(&header(), json!({"typ": "application/jwt"})), good());
        assert!(out.errors.is_empty());
    }

    #[test]
    fn other_public_key_algorithms_are_a_warning() {
        let out = run_b(with(&header(), json!({"alg": "RS256"})), good());
        assert!(out.errors.is_empty());
        assert_eq!(warning_codes(&out), vec!["smart_backend_algorithm"]);
    }
}
