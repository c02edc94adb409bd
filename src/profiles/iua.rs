//! IHE IUA Rev 2.x JWT access tokens (ITI TF-2: 3.71.4.2.2 "JSON Web Token Option", with the
//! `ihe_iua` and `ihe_bppc` extensions of 3.71.4.2.2.1–2), plus what older Authorization
//! Servers still send: the 2013 flat XUA names ([`super::xua`]) and times in milliseconds.

use super::{header_alg, require_claims, xua, Context, Outcome, Rule};
use crate::alg::Algorithm;
use serde_json::{Map, Value};

const SPEC: &str = "IHE ITI TF-2 3.71.4.2.2 (IUA Rev 2.x, JSON Web Token Option)";

pub const REQUIRED: Rule = Rule {
    name: "iua.required-claims",
    summary: "iss, sub, aud, exp, jti, client_id, scope and iat are present",
    spec: SPEC,
};
pub const ALGORITHM: Rule = Rule {
    name: "iua.algorithm",
    summary: "signed with HS256 or RS256 (which IUA actors must support) or ES256 (recommended); asymmetric recommended (warnings)",
    spec: SPEC,
};
pub const EXTENSIONS: Rule = Rule {
    name: "iua.extensions",
    summary: "extensions, extensions.ihe_iua and extensions.ihe_bppc are JSON objects",
    spec: "IHE ITI TF-2 3.71.4.2.2.1–2 (JWT IUA and BPPC extensions)",
};
pub const IUA_STRINGS: Rule = Rule {
    name: "iua.ihe-iua-strings",
    summary: "subject_name, subject_organization, subject_organization_id, home_community_id, national_provider_identifier and person_id are strings",
    spec: "IHE ITI TF-2 3.71.4.2.2.1 (JWT IUA extension)",
};
pub const CODINGS: Rule = Rule {
    name: "iua.codings",
    summary: "subject_role and purpose_of_use are arrays of FHIR Codings with a code (a single Coding, or text purpose_of_use, is a warning)",
    spec: "IHE ITI TF-2 3.71.4.2.2.1 (JWT IUA extension); FHIR R4 Coding",
};
pub const IDENTIFIER_FORM: Rule = Rule {
    name: "iua.identifier-form",
    summary:
        "subject_organization_id is a URI and home_community_id an OID in urn:oid: form (warnings)",
    spec: "IHE ITI TF-2 3.71.4.2.2.1 (JWT IUA extension)",
};
pub const BPPC_STRINGS: Rule = Rule {
    name: "iua.ihe-bppc-strings",
    summary: "patient_id, doc_id and acp are strings",
    spec: "IHE ITI TF-2 3.71.4.2.2.2 (JWT BPPC extension)",
};
pub const BPPC_FORMS: Rule = Rule {
    name: "iua.bppc-identifier-form",
    summary: "patient_id is a CX identifier or a URL, doc_id a URN or URL (warnings)",
    spec: "IHE ITI TF-2 3.71.4.2.2.1.2 (IUA Rev 2.4, JWT BPPC extension)",
};
pub const FLAT_NAMES: Rule = Rule {
    name: "iua.flat-xua-names",
    summary: "2013 trial-implementation names (SubjectID, PurposeOfUse, docid, …) are recognised aliases: surfaced at their Rev 2.x place in context.ihe_iua / ihe_bppc, with a warning naming it",
    spec: "IHE ITI IUA Supplement Rev 1.1 (2013) Table 3.71.4.1.2.1-2",
};
pub const SECONDS: Rule = Rule {
    name: "iua.times-in-seconds",
    summary: "exp, nbf and iat are in seconds, not milliseconds (warning naming the quirk; the core rejects the value)",
    spec: "RFC 7519 §2 NumericDate; IUA Rev 2.x 3.71.4.2.2",
};

pub const RULES: &[Rule] = &[
    REQUIRED,
    ALGORITHM,
    EXTENSIONS,
    IUA_STRINGS,
    CODINGS,
    IDENTIFIER_FORM,
    BPPC_STRINGS,
    BPPC_FORMS,
    FLAT_NAMES,
    SECONDS,
];

/// The `extensions.ihe_iua` members IUA Rev 2.x defines, besides the two coded ones.
pub const IUA_STRING_MEMBERS: &[&str] = &[
    "subject_name",
    "subject_organization",
    "subject_organization_id",
    "home_community_id",
    "national_provider_identifier",
    "person_id",
];

/// The `extensions.ihe_bppc` members.
pub const BPPC_MEMBERS: &[&str] = &["patient_id", "doc_id", "acp"];

pub(super) fn check(ctx: &Context<'_>, out: &mut Outcome) {
    require_claims(
        ctx,
        &REQUIRED,
        "an IUA access token",
        &[
            "iss",
            "sub",
            "aud",
            "exp",
            "jti",
            "client_id",
            "scope",
            "iat",
        ],
        out,
    );
    check_algorithm(ctx, out);
    check_extensions(ctx.claims, out);
    check_flat_names(ctx.claims, out);
    check_milliseconds(ctx.claims, out);
    for name in ["client_id", "scope"] {
        out.surface(ctx.claims, name);
    }
    if let Some(Value::Object(ext)) = ctx.claims.get("extensions") {
        for name in ["ihe_iua", "ihe_bppc"] {
            if let Some(v) = ext.get(name) {
                out.context.insert(name.to_owned(), v.clone());
            }
        }
    }
    surface_flat_names(ctx.claims, &mut out.context);
    if let Some(user) = super::atna::user_name(ctx.claims) {
        out.context.insert("atna_user".into(), Value::String(user));
    }
}

fn check_algorithm(ctx: &Context<'_>, out: &mut Outcome) {
    let Some(alg) = header_alg(ctx.header) else {
        return; // unknown or none: the core has already refused it
    };
    match alg {
        Algorithm::HS256 => out.warn(
            "iua_symmetric_algorithm",
            &ALGORITHM,
            "header.alg",
            "HS256 is allowed by IUA, but IUA recommends public-key signatures (RS256, ES256) so that resource servers hold no secret that could mint tokens.",
        ),
        Algorithm::RS256 | Algorithm::ES256 => {}
        other => out.warn(
            "iua_algorithm_not_profiled",
            &ALGORITHM,
            "header.alg",
            format!("{other} is allowed by IUA but is not one that IUA actors must support (HS256, RS256) or that it recommends (ES256); other IUA resource servers may refuse it."),
        ),
    }
}

fn check_extensions(claims: &Map<String, Value>, out: &mut Outcome) {
    let ext = match claims.get("extensions") {
        None => return,
        Some(Value::Object(m)) => m,
        Some(_) => {
            out.invalid(
                &EXTENSIONS,
                "extensions",
                "\"extensions\" must be a JSON object holding \"ihe_iua\" and/or \"ihe_bppc\".",
            );
            return;
        }
    };
    match ext.get("ihe_iua") {
        None => {}
        Some(Value::Object(iua)) => check_ihe_iua(iua, out),
        Some(_) => out.invalid(
            &EXTENSIONS,
            "extensions.ihe_iua",
            "\"extensions.ihe_iua\" must be a JSON object.",
        ),
    }
    match ext.get("ihe_bppc") {
        None => {}
        Some(Value::Object(bppc)) => {
            for name in BPPC_MEMBERS {
                if let Some(v) = bppc.get(*name) {
                    if !v.is_string() {
                        out.invalid(
                            &BPPC_STRINGS,
                            &format!("extensions.ihe_bppc.{name}"),
                            format!("\"{name}\" in extensions.ihe_bppc must be a string."),
                        );
                    }
                }
            }
            check_bppc_forms(bppc, out);
        }
        Some(_) => out.invalid(
            &EXTENSIONS,
            "extensions.ihe_bppc",
            "\"extensions.ihe_bppc\" must be a JSON object.",
        ),
    }
}

fn check_ihe_iua(iua: &Map<String, Value>, out: &mut Outcome) {
    for name in IUA_STRING_MEMBERS {
        if let Some(v) = iua.get(*name) {
            if !v.is_string() {
                out.invalid(
                    &IUA_STRINGS,
                    &format!("extensions.ihe_iua.{name}"),
                    format!("\"{name}\" in extensions.ihe_iua must be a string."),
                );
            }
        }
    }
    if let Some(Value::String(org)) = iua.get("subject_organization_id") {
        if !org.contains(':') {
            out.warn(
                "iua_identifier_form",
                &IDENTIFIER_FORM,
                "extensions.ihe_iua.subject_organization_id",
                format!("\"{org}\" is not a URI; IUA says subject_organization_id should be a URL or an OID in urn:oid: form."),
            );
        }
    }
    if let Some(Value::String(hc)) = iua.get("home_community_id") {
        if !hc.starts_with("urn:oid:") {
            out.warn(
                "iua_identifier_form",
                &IDENTIFIER_FORM,
                "extensions.ihe_iua.home_community_id",
                format!("\"{hc}\" is not in urn:oid: form, which IUA says home_community_id should use."),
            );
        }
    }
    for name in ["subject_role", "purpose_of_use"] {
        if let Some(v) = iua.get(name) {
            check_codings(name, v, out);
        }
    }
}

/// IUA Rev 2.4 3.71.4.2.2.1.2: `patient_id` should be a CX identifier or a URL, `doc_id` a URN
/// or URL (warnings, as the text says "should").
fn check_bppc_forms(bppc: &Map<String, Value>, out: &mut Outcome) {
    let is_url = |s: &str| s.starts_with("https://") || s.starts_with("http://");
    if let Some(Value::String(id)) = bppc.get("patient_id") {
        // CX: id^^^assigning authority (`&oid&ISO`); at least the `^^^` before the authority.
        if !(is_url(id) || id.contains("^^^")) {
            out.warn(
                "iua_identifier_form",
                &BPPC_FORMS,
                "extensions.ihe_bppc.patient_id",
                format!("\"{id}\" is neither a CX identifier (id^^^&oid&ISO) nor a URL, which IUA says patient_id should be."),
            );
        }
    }
    if let Some(Value::String(doc)) = bppc.get("doc_id") {
        if !(is_url(doc) || doc.starts_with("urn:")) {
            out.warn(
                "iua_identifier_form",
                &BPPC_FORMS,
                "extensions.ihe_bppc.doc_id",
                format!("\"{doc}\" is neither a URN nor a URL, which IUA says doc_id should be."),
            );
        }
    }
}

/// `subject_role` and `purpose_of_use`: an array of FHIR Codings.
fn check_codings(name: &str, value: &Value, out: &mut Outcome) {
    let path = format!("extensions.ihe_iua.{name}");
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_coding(&format!("{path}[{i}]"), item, out);
            }
        }
        Value::Object(_) => {
            out.warn(
                "iua_single_coding",
                &CODINGS,
                &path,
                format!("\"{name}\" is a single Coding where IUA expects an array of Codings; read as a one-element array."),
            );
            check_coding(&path, value, out);
        }
        Value::String(s) if name == "purpose_of_use" => out.warn(
            "iua_uncoded_purpose_of_use",
            &CODINGS,
            &path,
            format!("\"purpose_of_use\" is the text \"{s}\"; IUA expects FHIR Codings (e.g. {{\"system\": \"http://terminology.hl7.org/CodeSystem/v3-ActReason\", \"code\": \"TREAT\"}}), which access-control rules can match."),
        ),
        _ => out.invalid(
            &CODINGS,
            &path,
            format!("\"{name}\" must be an array of FHIR Codings ({{\"system\", \"code\", \"display\"}})."),
        ),
    }
}

fn check_coding(path: &str, value: &Value, out: &mut Outcome) {
    let Value::Object(c) = value else {
        out.invalid(
            &CODINGS,
            path,
            "A Coding must be a JSON object with \"system\" and \"code\".",
        );
        return;
    };
    for member in ["system", "version", "code", "display"] {
        if let Some(v) = c.get(member) {
            if !v.is_string() {
                out.invalid(
                    &CODINGS,
                    &format!("{path}.{member}"),
                    format!("A Coding's \"{member}\" must be a string."),
                );
            }
        }
    }
    if let Some(v) = c.get("userSelected") {
        if !v.is_boolean() {
            out.invalid(
                &CODINGS,
                &format!("{path}.userSelected"),
                "A Coding's \"userSelected\" must be true or false.",
            );
        }
    }
    if !c.contains_key("code") {
        out.invalid(
            &CODINGS,
            path,
            "The Coding has no \"code\", so no access-control rule can match it.",
        );
    }
}

fn check_flat_names(claims: &Map<String, Value>, out: &mut Outcome) {
    for f in xua::FLAT_NAMES {
        if claims.contains_key(f.name) {
            out.warn("iua_2013_claim", &FLAT_NAMES, f.name, xua::explain(f));
        }
    }
}

/// The 2013 names are recognised aliases: a flat claim's value is surfaced at its Rev 2.x place
/// (`context.ihe_iua.subject_name` for `SubjectID`, …) when the token does not also carry that
/// member, so hosts read one place. Its shape is passed on as sent (the warning says how it
/// changed, e.g. Codings for `SubjectRole`).
fn surface_flat_names(claims: &Map<String, Value>, context: &mut Map<String, Value>) {
    for f in xua::FLAT_NAMES {
        let Some(value) = claims.get(f.name) else {
            continue;
        };
        let mut path = f.today.split('.').skip(1);
        let (Some(ext), Some(member)) = (path.next(), path.next()) else {
            continue;
        };
        let entry = context
            .entry(ext.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = entry {
            m.entry(member.to_owned()).or_insert_with(|| value.clone());
        }
    }
}

/// The IUA member `extensions.<ext>.<name>` (`ext` is `ihe_iua` or `ihe_bppc`), or, in a token
/// without it, the 2013 flat claim that carried it (`PurposeOfUse` for `purpose_of_use`, …).
pub fn member<'a>(claims: &'a Map<String, Value>, ext: &str, name: &str) -> Option<&'a Value> {
    let current = claims
        .get("extensions")
        .and_then(|e| e.get(ext))
        .and_then(|e| e.get(name));
    // Compared piece by piece, not formatted: this runs on every decision.
    current.or_else(|| {
        xua::FLAT_NAMES
            .iter()
            .find(|f| {
                f.today.len() == "extensions..".len() + ext.len() + name.len()
                    && f.today
                        .strip_prefix("extensions.")
                        .and_then(|r| r.strip_prefix(ext))
                        .and_then(|r| r.strip_prefix('.'))
                        == Some(name)
            })
            .and_then(|f| claims.get(f.name))
    })
}

/// What an IUA Resource Server answers when it refuses a request (ITI TF-2 3.72.4.3, IUA Rev
/// 2.4): 401 whether the token failed verification, or its scope or the access policy does not
/// cover the request. RFC 6750's 403 `insufficient_scope` becomes 401 (the challenge still says
/// `insufficient_scope`); 400 for a malformed request is left as it is.
pub const RESOURCE_SERVER: Rule = Rule {
    name: "iua.resource-server-answer",
    summary: "a refused request is answered 401, also when the token is valid but its scope or the access policy does not cover the request (RFC 6750 would say 403)",
    spec: "IHE ITI TF-2 3.72.4.3 (IUA Rev 2.4, Incorporate Access Token: Expected Actions)",
};

/// The refusal status under `profile`: [`RESOURCE_SERVER`] for IUA, `rfc6750` otherwise.
pub fn refusal_status(profile: Option<super::Profile>, rfc6750: u16) -> u16 {
    match (profile, rfc6750) {
        (Some(super::Profile::Iua), 403) => 401,
        _ => rfc6750,
    }
}

/// Milliseconds where seconds are due (seen in deployed IUA examples). The core already refuses
/// the value as beyond the year 9999; this says why.
fn check_milliseconds(claims: &Map<String, Value>, out: &mut Outcome) {
    for name in ["exp", "nbf", "iat"] {
        if let Some(ms) = claims.get(name).and_then(Value::as_f64) {
            if (1e12..1e14).contains(&ms) {
                let secs = (ms / 1000.0) as i64;
                out.warn(
                    "iua_time_in_milliseconds",
                    &SECONDS,
                    name,
                    format!("\"{name}\" looks like milliseconds ({}); NumericDate is seconds since 1970, so this token is refused. Some IUA Authorization Servers make this mistake; the issuer should send {secs}.", ms as i64),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Profile, ProfileOptions};
    use serde_json::{json, Value};

    fn good() -> Value {
        json!({
            "iss": "urn:tiani-spirit:sts",
            "sub": "b3ca1045-aa8b-42f9-9fd9-e0cbf5cb90a7",
            "aud": "http://ihe.connectathon.IUA/ResourceProvider-IHE-Connectathon",
            "exp": NOW + 300, "nbf": NOW, "iat": NOW,
            "jti": "c5436729-3f26-4dbf-abd3-2790dc7771a",
            "client_id": "iua-client",
            "scope": "ITI-68",
            "extensions": {
                "ihe_iua": {
                    "subject_name": "Dr. John Smith",
                    "subject_organization": "Central Hospital",
                    "subject_organization_id": "urn:oid:1.2.3.4",
                    "home_community_id": "urn:oid:1.2.3.4.5.6.7.8",
                    "person_id": "urn:uuid:1.2.3.4",
                    "subject_role": [{"system": "2.16.840.1.113883.6.96", "code": "46255001", "display": "Pharmacist"}],
                    "purpose_of_use": [{"system": "1.0.14265.1", "code": "12", "display": "Law Enforcement"}]
                },
                "ihe_bppc": {
                    "patient_id": "543797436^^^&1.2.840.113619.6.197&ISO",
                    "doc_id": "urn:oid:1.2.3.xxx",
                    "acp": "urn:oid:1.2.3.yyyy"
                }
            }
        })
    }

    fn ext(iua: Value) -> Value {
        with(&good(), json!({"extensions": {"ihe_iua": iua}}))
    }

    fn run_iua(alg: &str, claims: Value) -> super::super::Outcome {
        run(
            Profile::Iua,
            json!({"alg": alg, "typ": "at+jwt"}),
            claims,
            &ProfileOptions::default(),
            &[],
        )
    }

    #[test]
    fn a_conformant_token_passes_and_surfaces_its_extensions() {
        let out = run_iua("RS256", good());
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        assert_eq!(out.context["ihe_iua"]["subject_name"], "Dr. John Smith");
        assert_eq!(out.context["ihe_bppc"]["acp"], "urn:oid:1.2.3.yyyy");
        assert_eq!(
            out.context["atna_user"],
            "http://ihe.connectathon.IUA/ResourceProvider-IHE-Connectathon<b3ca1045-aa8b-42f9-9fd9-e0cbf5cb90a7@urn:tiani-spirit:sts>"
        );
    }

    #[test]
    fn the_2013_names_are_aliases_surfaced_at_their_rev2_place() {
        let claims = with(
            &good(),
            json!({"extensions": {"ihe_iua": {"subject_name": "Dr. Rev2"}},
                   "SubjectID": "Dr. 2013", "SubjectOrganization": "Old Hospital",
                   "docid": "urn:oid:1.2.3.9", "resourceID": "P1^^^&1.2.3&ISO"}),
        );
        let out = run_iua("RS256", claims);
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        // The Rev 2.x member wins when both are present; the alias fills the gaps.
        assert_eq!(out.context["ihe_iua"]["subject_name"], "Dr. Rev2");
        assert_eq!(
            out.context["ihe_iua"]["subject_organization"],
            "Old Hospital"
        );
        assert_eq!(out.context["ihe_bppc"]["doc_id"], "urn:oid:1.2.3.9");
        assert_eq!(out.context["ihe_bppc"]["patient_id"], "P1^^^&1.2.3&ISO");
        let noted: Vec<_> = out
            .warnings
            .iter()
            .filter(|w| w.code == "iua_2013_claim")
            .map(|w| w.claim.clone().unwrap_or_default())
            .collect();
        assert_eq!(
            noted,
            ["SubjectID", "SubjectOrganization", "docid", "resourceID"]
        );
    }

    #[test]
    fn bppc_identifiers_should_be_cx_urn_or_url() {
        let claims = with(
            &good(),
            json!({"extensions": {"ihe_bppc": {"patient_id": "543797436", "doc_id": "consent-7", "acp": "x"}}}),
        );
        let out = run_iua("RS256", claims);
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let fields: Vec<_> = out
            .warnings
            .iter()
            .map(|w| (w.code, w.claim.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            fields,
            [
                (
                    "iua_identifier_form",
                    "extensions.ihe_bppc.patient_id".to_string()
                ),
                (
                    "iua_identifier_form",
                    "extensions.ihe_bppc.doc_id".to_string()
                ),
            ]
        );
        for ok in ["https://pid.example/p/1", "1^^^&1.2.3&ISO"] {
            let c = with(
                &good(),
                json!({"extensions": {"ihe_bppc": {"patient_id": ok, "doc_id": "https://d.example/1"}}}),
            );
            assert!(run_iua("RS256", c).warnings.is_empty(), "{ok}");
        }
    }

    #[test]
    fn an_iua_resource_server_answers_401_where_rfc6750_says_403() {
        use super::refusal_status;
        assert_eq!(refusal_status(Some(Profile::Iua), 403), 401);
        assert_eq!(refusal_status(Some(Profile::Iua), 401), 401);
        assert_eq!(refusal_status(Some(Profile::Iua), 400), 400);
        assert_eq!(refusal_status(Some(Profile::Smart), 403), 403);
        assert_eq!(refusal_status(None, 403), 403);
    }

    #[test]
    fn each_required_claim() {
        for name in [
            "iss",
            "sub",
            "aud",
            "exp",
            "jti",
            "client_id",
            "scope",
            "iat",
        ] {
            let out = run_iua("RS256", with(&good(), json!({ name: null })));
            assert_eq!(out.errors.len(), 1, "{name}: {:?}", out.errors);
            let e = &out.errors[0];
            assert_eq!(e.code, crate::ErrorCode::MissingClaim);
            assert_eq!(e.claim.as_deref(), Some(name));
            assert!(
                e.message.starts_with("iua.required-claims: "),
                "{}",
                e.message
            );
        }
    }

    #[test]
    fn algorithms() {
        let table = [
            ("RS256", None),
            ("ES256", None),
            ("HS256", Some("iua_symmetric_algorithm")),
            ("PS256", Some("iua_algorithm_not_profiled")),
            ("ES384", Some("iua_algorithm_not_profiled")),
            ("none", None), // refused by the core, not repeated here
        ];
        for (alg, want) in table {
            let out = run_iua(alg, good());
            assert!(out.errors.is_empty());
            assert_eq!(
                warning_codes(&out).first().copied(),
                want,
                "{alg}: {:?}",
                out.warnings
            );
        }
    }

    #[test]
    fn extension_types() {
        type Case = (Value, &'static str, &'static str);
        let table: Vec<Case> = vec![
            (
                with(&good(), json!({"extensions": "x"})),
                "iua.extensions",
                "extensions",
            ),
            (
                with(&good(), json!({"extensions": {"ihe_iua": []}})),
                "iua.extensions",
                "extensions.ihe_iua",
            ),
            (
                with(&good(), json!({"extensions": {"ihe_bppc": 1}})),
                "iua.extensions",
                "extensions.ihe_bppc",
            ),
            (
                ext(json!({"subject_name": 7})),
                "iua.ihe-iua-strings",
                "extensions.ihe_iua.subject_name",
            ),
            (
                ext(json!({"person_id": ["a"]})),
                "iua.ihe-iua-strings",
                "extensions.ihe_iua.person_id",
            ),
            (
                ext(json!({"national_provider_identifier": null})),
                "iua.ihe-iua-strings",
                "extensions.ihe_iua.national_provider_identifier",
            ),
            (
                with(&good(), json!({"extensions": {"ihe_bppc": {"doc_id": 1}}})),
                "iua.ihe-bppc-strings",
                "extensions.ihe_bppc.doc_id",
            ),
            (
                with(
                    &good(),
                    json!({"extensions": {"ihe_bppc": {"patient_id": {}}}}),
                ),
                "iua.ihe-bppc-strings",
                "extensions.ihe_bppc.patient_id",
            ),
            (
                ext(json!({"subject_role": "Pharmacist"})),
                "iua.codings",
                "extensions.ihe_iua.subject_role",
            ),
            (
                ext(json!({"subject_role": [{"system": "s"}]})),
                "iua.codings",
                "extensions.ihe_iua.subject_role[0]",
            ),
            (
                ext(json!({"purpose_of_use": ["TREAT"]})),
                "iua.codings",
                "extensions.ihe_iua.purpose_of_use[0]",
            ),
            (
                ext(json!({"purpose_of_use": [{"code": 12}]})),
                "iua.codings",
                "extensions.ihe_iua.purpose_of_use[0].code",
            ),
            (
                ext(json!({"purpose_of_use": [{"code": "T", "userSelected": "yes"}]})),
                "iua.codings",
                "extensions.ihe_iua.purpose_of_use[0].userSelected",
            ),
            (
                ext(json!({"purpose_of_use": 3})),
                "iua.codings",
                "extensions.ihe_iua.purpose_of_use",
            ),
        ];
        for (claims, rule, path) in table {
            let out = run_iua("RS256", claims);
            assert_eq!(
                error_rules(&out),
                vec![rule.to_string()],
                "{path}: {:?}",
                out.errors
            );
            assert_eq!(out.errors[0].claim.as_deref(), Some(path));
            assert_eq!(out.errors[0].code, crate::ErrorCode::ClaimInvalid);
        }
    }

    #[test]
    fn quirks_are_warnings() {
        let table = [
            (
                ext(
                    json!({"subject_role": {"system": "2.16.840.1.113883.6.96", "code": "46255001"}}),
                ),
                "iua_single_coding",
            ),
            (
                ext(json!({"purpose_of_use": "TREATMENT"})),
                "iua_uncoded_purpose_of_use",
            ),
            (
                ext(json!({"home_community_id": "1.2.3"})),
                "iua_identifier_form",
            ),
            (
                ext(json!({"subject_organization_id": "Central"})),
                "iua_identifier_form",
            ),
            (
                with(&good(), json!({"exp": 1_587_294_580_000u64})),
                "iua_time_in_milliseconds",
            ),
            (
                with(&good(), json!({"iat": 1_587_294_460_000u64})),
                "iua_time_in_milliseconds",
            ),
        ];
        for (claims, code) in table {
            let out = run_iua("RS256", claims);
            assert!(out.errors.is_empty(), "{code}: {:?}", out.errors);
            assert_eq!(warning_codes(&out), vec![code]);
        }
    }

    #[test]
    fn flat_2013_names_are_mapped() {
        let claims = with(
            &good(),
            json!({"SubjectID": "Dr. Smith", "PurposeOfUse": "TREATMENT", "resourceID": "123^^^&1.2&ISO", "docid": "urn:oid:9"}),
        );
        let out = run_iua("RS256", claims);
        assert!(out.errors.is_empty());
        let got: Vec<(String, String)> = out
            .warnings
            .iter()
            .map(|w| (w.claim.clone().unwrap(), w.message.clone()))
            .collect();
        assert_eq!(got.len(), 4);
        assert!(got
            .iter()
            .all(|(_, m)| m.starts_with("iua.flat-xua-names: ")));
        let find = |c: &str| got.iter().find(|(n, _)| n == c).unwrap().1.clone();
        assert!(find("SubjectID").contains("extensions.ihe_iua.subject_name"));
        assert!(find("PurposeOfUse").contains("extensions.ihe_iua.purpose_of_use"));
        assert!(find("resourceID").contains("extensions.ihe_bppc.patient_id"));
        assert!(find("docid").contains("extensions.ihe_bppc.doc_id"));
    }
}
