//! CDS Hooks: the JWT an EHR (the CDS Client) sends in `Authorization: Bearer` with each hook
//! call, checked by the CDS Service ("Trusting CDS Clients").

use super::{
    audiences, check_asymmetric, check_kid, check_typ_jwt, date, require_claims, Context, Outcome,
    Rule,
};
use crate::time;
use serde_json::Value;

const SPEC: &str = "CDS Hooks 2.0, Security and Safety: Trusting CDS Clients";

pub const REQUIRED: Rule = Rule {
    name: "cds-hooks.required-claims",
    summary: "iss, aud, exp, iat and jti are present",
    spec: SPEC,
};
pub const AUDIENCE: Rule = Rule {
    name: "cds-hooks.aud-service-url",
    summary: "aud names this CDS Service's endpoint URL exactly (the policy's audience)",
    spec: SPEC,
};
pub const LIFETIME: Rule = Rule {
    name: "cds-hooks.lifetime",
    summary: "exp is at most five minutes after iat",
    spec: SPEC,
};
pub const ASYMMETRIC: Rule = Rule {
    name: "cds-hooks.asymmetric",
    summary: "signed with a public-key algorithm, never a shared secret",
    spec: SPEC,
};
pub const HEADER: Rule = Rule {
    name: "cds-hooks.header",
    summary: "the header has a kid and typ JWT",
    spec: SPEC,
};
pub const TENANT: Rule = Rule {
    name: "cds-hooks.tenant",
    summary: "tenant, when present, is a string; it is surfaced to the host",
    spec: SPEC,
};

pub const RULES: &[Rule] = &[REQUIRED, AUDIENCE, LIFETIME, ASYMMETRIC, HEADER, TENANT];

/// The longest lifetime (`exp` − `iat`) accepted, in seconds.
pub const MAX_LIFETIME: i64 = 300;

pub(super) fn check(ctx: &Context<'_>, out: &mut Outcome) {
    let claims = ctx.claims;
    require_claims(
        ctx,
        &REQUIRED,
        "a CDS Hooks client JWT",
        &["iss", "aud", "exp", "iat", "jti"],
        out,
    );
    if ctx.audiences.is_empty() && claims.contains_key("aud") {
        out.violation(
            &AUDIENCE,
            "aud",
            format!(
                "The policy names no audience, so the service URL in \"aud\" ({}) cannot be checked; set \"audience\" to this CDS Service's endpoint URL.",
                audiences(claims).join(", ")
            ),
        );
    }
    if let (Some(exp), Some(iat)) = (date(claims, "exp"), date(claims, "iat")) {
        let lifetime = exp.saturating_sub(iat);
        if lifetime > MAX_LIFETIME {
            out.violation(
                &LIFETIME,
                "exp",
                format!(
                    "The token is valid for {} from issue to expiry; CDS Hooks allows at most 5 min.",
                    time::span(lifetime)
                ),
            );
        }
    }
    check_asymmetric(ctx, &ASYMMETRIC, "CDS Hooks", out);
    check_kid(ctx, &HEADER, "CDS Hooks", out);
    check_typ_jwt(ctx, &HEADER, "CDS Hooks", out);
    match claims.get("tenant") {
        None => {}
        Some(Value::String(_)) => out.surface(claims, "tenant"),
        Some(_) => out.invalid(
            &TENANT,
            "tenant",
            "\"tenant\" must be a string naming the healthcare organization that invoked the hook.",
        ),
    }
    out.surface(claims, "iss");
    out.surface(claims, "sub");
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Profile, ProfileOptions};
    use serde_json::{json, Value};

    const SERVICE: &str = "https://cds.example.org/cds-services/patient-greeting";

    fn header() -> Value {
        json!({"alg": "ES384", "typ": "JWT", "kid": "example-kid", "jku": "https://fhir-ehr.example.com/jwk_uri"})
    }

    fn good() -> Value {
        json!({
            "iss": "https://fhir-ehr.example.com/", "sub": "client_id", "aud": SERVICE,
            "exp": NOW + 300, "iat": NOW, "jti": "ee22b021-e1b7-4611-ba5b-8eec6a33ac1e",
            "tenant": "2ddd6c3a-8e9a-44c6-a305-52111ad302a2"
        })
    }

    fn run_c(h: Value, c: Value) -> super::super::Outcome {
        run(
            Profile::CdsHooks,
            h,
            c,
            &ProfileOptions::default(),
            &[SERVICE],
        )
    }

    #[test]
    fn a_hook_call_token_passes_and_surfaces_the_tenant() {
        let out = run_c(header(), good());
        assert!(out.errors.is_empty() && out.warnings.is_empty(), "{out:?}");
        assert_eq!(
            out.context["tenant"],
            "2ddd6c3a-8e9a-44c6-a305-52111ad302a2"
        );
        assert_eq!(out.context["iss"], "https://fhir-ehr.example.com/");
    }

    #[test]
    fn each_rule() {
        let table: Vec<(Value, Value, &str, &str)> = vec![
            (
                header(),
                with(&good(), json!({"jti": null})),
                "cds-hooks.required-claims",
                "jti",
            ),
            (
                header(),
                with(&good(), json!({"iat": null})),
                "cds-hooks.required-claims",
                "iat",
            ),
            (
                header(),
                with(&good(), json!({"aud": null})),
                "cds-hooks.required-claims",
                "aud",
            ),
            (
                header(),
                with(&good(), json!({"exp": NOW + 301})),
                "cds-hooks.lifetime",
                "exp",
            ),
            (
                header(),
                with(&good(), json!({"iat": NOW - 3600})),
                "cds-hooks.lifetime",
                "exp",
            ),
            (
                with(&header(), json!({"alg": "HS256"})),
                good(),
                "cds-hooks.asymmetric",
                "header.alg",
            ),
            (
                with(&header(), json!({"kid": null})),
                good(),
                "cds-hooks.header",
                "header.kid",
            ),
            (
                with(&header(), json!({"kid": ""})),
                good(),
                "cds-hooks.header",
                "header.kid",
            ),
            (
                with(&header(), json!({"typ": "at+jwt"})),
                good(),
                "cds-hooks.header",
                "header.typ",
            ),
            (
                header(),
                with(&good(), json!({"tenant": 5})),
                "cds-hooks.tenant",
                "tenant",
            ),
        ];
        for (h, c, rule, claim) in table {
            let out = run_c(h, c);
            assert_eq!(
                error_rules(&out),
                vec![rule.to_string()],
                "{rule}/{claim}: {:?}",
                out.errors
            );
            assert_eq!(out.errors[0].claim.as_deref(), Some(claim));
        }
        let out = run(
            Profile::CdsHooks,
            header(),
            good(),
            &ProfileOptions::default(),
            &[],
        );
        assert_eq!(
            error_rules(&out),
            vec!["cds-hooks.aud-service-url".to_string()]
        );
    }
}
