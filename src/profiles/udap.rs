//! UDAP / FAST Security IG (HL7 "Security for Scalable Registration, Authentication, and
//! Authorization"): the signed JWTs a client sends — software statements, authentication
//! tokens (`client_assertion`) — signed with a certificate carried in `x5c` and chained to a
//! community's trust anchor. The chain itself is checked by the core (`trust_anchors`); this
//! profile adds the IG's token rules and ties `iss` to the certificate.
//!
//! `jti` replay (not reused before the previous token's `exp`) needs state, so it is the host's
//! job; this profile makes sure `jti` is there.

use super::{check_asymmetric, date, header_alg, require_claims, Context, Outcome, Rule};
use crate::alg::Algorithm;
use crate::time;
use serde_json::{Map, Value};

const SPEC: &str =
    "HL7 UDAP Security IG 1.1/2.0 §7.1 (JWT headers), §5.2.2 (Authentication Tokens)";

pub const X5C: Rule = Rule {
    name: "udap.x5c",
    summary: "the header carries the signing certificate chain in x5c, and it builds to the policy's trust_anchors",
    spec: "HL7 UDAP Security IG §7.1; RFC 7515 §4.1.6",
};
pub const ISS_SAN: Rule = Rule {
    name: "udap.iss-san",
    summary:
        "iss equals a uniformResourceIdentifier subject alternative name of the signing certificate",
    spec: "HL7 UDAP Security IG §3.1 (software statement), §5.2.2; RFC 5280 §4.2.1.6",
};
pub const REQUIRED: Rule = Rule {
    name: "udap.required-claims",
    summary: "iss, sub, aud, exp, iat and jti are present",
    spec: SPEC,
};
pub const LIFETIME: Rule = Rule {
    name: "udap.lifetime",
    summary: "exp is at most five minutes after iat",
    spec: SPEC,
};
pub const ALGORITHM: Rule = Rule {
    name: "udap.algorithm",
    summary: "a public-key signature; RS256 (which every party supports), RS384, ES256 or ES384 (others a warning)",
    spec: "HL7 UDAP Security IG §7.1 (signature algorithms)",
};
pub const B2B: Rule = Rule {
    name: "udap.hl7-b2b",
    summary: "an extensions.hl7-b2b object has version \"1\", organization_id and a purpose_of_use array of strings; subject and consent members are strings (or arrays of strings); it is surfaced to hosts",
    spec: "HL7 UDAP Security IG §5.2.1.1 (B2B Authorization Extension Object)",
};

pub const RULES: &[Rule] = &[X5C, ISS_SAN, REQUIRED, LIFETIME, ALGORITHM, B2B];

/// The longest a UDAP JWT may live, in seconds.
pub const MAX_LIFETIME: i64 = 300;

pub(super) fn check(ctx: &Context<'_>, out: &mut Outcome) {
    let claims = ctx.claims;
    require_claims(
        ctx,
        &REQUIRED,
        "a UDAP JWT",
        &["iss", "sub", "aud", "exp", "iat", "jti"],
        out,
    );
    let iss = claims.get("iss").and_then(Value::as_str);
    match (ctx.header.contains_key("x5c"), ctx.certificate_san_uris) {
        (false, _) => out.violation(
            &X5C,
            "header.x5c",
            "The header has no \"x5c\"; UDAP JWTs carry the signing certificate (and its chain) there.",
        ),
        (true, None) => out.violation(
            &X5C,
            "header.x5c",
            "The header's \"x5c\" was not validated against trust anchors (set the policy's \"trust_anchors\" to the community's anchors).",
        ),
        (true, Some(sans)) => {
            if let Some(iss) = iss {
                if !sans.iter().any(|s| s == iss) {
                    let have = if sans.is_empty() {
                        "none".to_string()
                    } else {
                        sans.iter()
                            .map(|s| format!("\"{s}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    out.violation(
                        &ISS_SAN,
                        "iss",
                        format!("\"iss\" is \"{iss}\", but the signing certificate's URI subject alternative names are {have}; UDAP requires iss to be one of them."),
                    );
                }
            }
        }
    }
    if let (Some(iat), Some(exp)) = (date(claims, "iat"), date(claims, "exp")) {
        let life = exp.saturating_sub(iat);
        if life > MAX_LIFETIME {
            out.violation(
                &LIFETIME,
                "exp",
                format!(
                    "The token lives {} from iat to exp; UDAP allows at most 5 min.",
                    time::span(life)
                ),
            );
        }
    }
    check_asymmetric(ctx, &ALGORITHM, "UDAP", out);
    if let Some(alg) = header_alg(ctx.header) {
        let profiled = matches!(
            alg,
            Algorithm::RS256 | Algorithm::RS384 | Algorithm::ES256 | Algorithm::ES384
        );
        if !alg.is_symmetric() && !profiled {
            out.warn(
                "udap_algorithm_not_profiled",
                &ALGORITHM,
                "header.alg",
                format!("The token is signed with {alg}; UDAP parties must support RS256 and may support RS384, ES256 and ES384, so {alg} may not be understood."),
            );
        }
    }
    if let Some(ext) = claims
        .get("extensions")
        .and_then(Value::as_object)
        .and_then(|e| e.get("hl7-b2b"))
    {
        check_b2b(ext, out);
    }
    out.surface(claims, "iss");
    out.surface(claims, "jti");
}

fn check_b2b(ext: &Value, out: &mut Outcome) {
    const AT: &str = "extensions.hl7-b2b";
    let Some(b2b) = ext.as_object() else {
        out.invalid(&B2B, AT, "extensions.hl7-b2b is not a JSON object.");
        return;
    };
    match b2b.get("version") {
        Some(Value::String(v)) if v == "1" => {}
        Some(v) => out.invalid(
            &B2B,
            &format!("{AT}.version"),
            format!("version is {v}; this extension's version is the string \"1\"."),
        ),
        None => out.missing(
            &B2B,
            &format!("{AT}.version"),
            "The hl7-b2b extension has no version (\"1\").",
        ),
    }
    match b2b.get("organization_id") {
        Some(Value::String(s)) if !s.is_empty() => {}
        Some(_) => out.invalid(
            &B2B,
            &format!("{AT}.organization_id"),
            "organization_id must be a URI string.",
        ),
        None => out.missing(
            &B2B,
            &format!("{AT}.organization_id"),
            "The hl7-b2b extension has no organization_id (the requesting organization's URI).",
        ),
    }
    match b2b.get("purpose_of_use") {
        Some(Value::Array(a)) if !a.is_empty() && a.iter().all(Value::is_string) => {}
        Some(_) => out.invalid(
            &B2B,
            &format!("{AT}.purpose_of_use"),
            "purpose_of_use must be a non-empty array of code strings (e.g. \"urn:oid:2.16.840.1.113883.5.8#TREAT\").",
        ),
        None => out.missing(
            &B2B,
            &format!("{AT}.purpose_of_use"),
            "The hl7-b2b extension has no purpose_of_use.",
        ),
    }
    for name in [
        "subject_name",
        "subject_id",
        "subject_role",
        "organization_name",
    ] {
        if b2b.get(name).is_some_and(|v| !v.is_string()) {
            out.invalid(
                &B2B,
                &format!("{AT}.{name}"),
                format!("{name} must be a string."),
            );
        }
    }
    for name in ["consent_policy", "consent_reference"] {
        let ok = |v: &Value| match v {
            Value::Array(a) => a.iter().all(Value::is_string),
            _ => false,
        };
        if b2b.get(name).is_some_and(|v| !ok(v)) {
            out.invalid(
                &B2B,
                &format!("{AT}.{name}"),
                format!("{name} must be an array of strings."),
            );
        }
    }
    let mut surfaced = Map::new();
    for (k, v) in b2b {
        surfaced.insert(k.clone(), v.clone());
    }
    out.context
        .insert("hl7_b2b".into(), Value::Object(surfaced));
}

#[cfg(test)]
mod tests {
    use super::super::testing::{error_rules, obj, warning_codes, NOW};
    use super::super::{check, Context, Profile, ProfileOptions};
    use serde_json::{json, Value};

    fn run(header: Value, claims: Value, sans: Option<&[String]>) -> super::Outcome {
        let (h, c) = (obj(header), obj(claims));
        check(
            Profile::Udap,
            &Context {
                header: &h,
                claims: &c,
                options: &ProfileOptions::default(),
                audiences: &[],
                leeway: 60,
                now: NOW,
                certificate_san_uris: sans,
            },
        )
    }

    fn claims() -> Value {
        json!({"iss": "https://c.example", "sub": "https://c.example", "aud": "https://as.example/token",
               "iat": NOW, "exp": NOW + 300, "jti": "j"})
    }

    #[test]
    fn a_good_token_passes() {
        let sans = vec!["https://c.example".to_string()];
        let out = run(json!({"alg": "RS256", "x5c": ["…"]}), claims(), Some(&sans));
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        assert!(out.warnings.is_empty());
    }

    #[test]
    fn each_rule_fails_on_its_own() {
        let sans = vec!["https://other.example".to_string()];
        let out = run(json!({"alg": "RS256", "x5c": []}), claims(), Some(&sans));
        assert_eq!(error_rules(&out), ["udap.iss-san"]);
        let out = run(json!({"alg": "RS256"}), claims(), None);
        assert_eq!(error_rules(&out), ["udap.x5c"]);
        let out = run(json!({"alg": "RS256", "x5c": []}), claims(), None);
        assert_eq!(error_rules(&out), ["udap.x5c"]);
        let sans = vec!["https://c.example".to_string()];
        let mut c = claims();
        c["exp"] = json!(NOW + 301);
        c.as_object_mut().unwrap().remove("jti");
        let out = run(json!({"alg": "HS256", "x5c": []}), c, Some(&sans));
        assert_eq!(
            error_rules(&out),
            ["udap.required-claims", "udap.lifetime", "udap.algorithm"]
        );
        let out = run(json!({"alg": "PS256", "x5c": []}), claims(), Some(&sans));
        assert_eq!(warning_codes(&out), ["udap_algorithm_not_profiled"]);
    }

    #[test]
    fn the_b2b_extension_is_checked_and_surfaced() {
        let sans = vec!["https://c.example".to_string()];
        let mut c = claims();
        c["extensions"] = json!({"hl7-b2b": {"version": "1", "organization_id": "https://org.example",
            "purpose_of_use": ["urn:oid:2.16.840.1.113883.5.8#TREAT"], "subject_name": "Dr. A"}});
        let out = run(json!({"alg": "ES256", "x5c": []}), c.clone(), Some(&sans));
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        assert_eq!(
            out.context["hl7_b2b"]["organization_id"],
            "https://org.example"
        );
        c["extensions"] =
            json!({"hl7-b2b": {"version": 1, "purpose_of_use": "TREAT", "consent_policy": "x"}});
        let out = run(json!({"alg": "ES256", "x5c": []}), c, Some(&sans));
        let claims: Vec<_> = out
            .errors
            .iter()
            .map(|e| e.claim.clone().unwrap())
            .collect();
        assert_eq!(
            claims,
            [
                "extensions.hl7-b2b.version",
                "extensions.hl7-b2b.organization_id",
                "extensions.hl7-b2b.purpose_of_use",
                "extensions.hl7-b2b.consent_policy"
            ]
        );
    }
}
