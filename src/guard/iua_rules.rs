//! Healthcare rules past scopes: a route may demand what an IHE IUA token says about the user and
//! the access (purpose of use, role, organisation) and bind the request to the patient whose
//! consent the token carries (`extensions.ihe_bppc`). An emergency purpose of use may open a
//! route that allows break-the-glass where the normal rules would refuse; such a pass is flagged.
//!
//! The 2013 flat XUA names (`PurposeOfUse`, `SubjectRole`, `SubjectOrganizationID`,
//! `resourceID`) are read where the Rev 2.x members are absent ([`crate::profiles::iua::member`]).

use crate::profiles::iua;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A code from a code system, as policies name them and IUA tokens carry them (FHIR Coding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    /// The code system; absent in a policy, any system matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Code {
    /// Does the token's `coding` meet this policy code?
    fn matches(&self, coding: &Code) -> bool {
        self.code == coding.code
            && self
                .system
                .as_deref()
                .is_none_or(|s| coding.system.as_deref() == Some(s))
    }
}

/// What a route demands of an IUA token (`routes[].iua`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteIua {
    /// The token must carry one of these purposes of use (none listed: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purpose_of_use: Vec<Code>,
    /// The token must carry one of these subject roles (none listed: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subject_role: Vec<Code>,
    /// The token's `subject_organization_id` must be one of these (none listed: any).
    #[serde(
        default,
        deserialize_with = "crate::policy::one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub organization: Vec<String>,
    /// `"patient"`: the request must reach exactly the patient of the token's consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    /// For a CX `patient_id` (`id^^^&oid&ISO`), the assigning authority that must appear in it;
    /// without it only the id component is compared with the FHIR patient id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_authority: Option<String>,
    /// An emergency purpose of use passes where the purpose or consent rule would refuse.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub break_glass: bool,
}

impl RouteIua {
    /// Each rule of these on its own, named as in the policy (`purpose_of_use`, `subject_role`,
    /// `organization`, `consent`), so a tool can show which of them a token meets: the page's
    /// request tester and `azlens decide` decide the request once per rule with these.
    pub fn alone(&self) -> Vec<(&'static str, RouteIua)> {
        let mut out = Vec::new();
        if !self.purpose_of_use.is_empty() {
            let purpose_of_use = self.purpose_of_use.clone();
            out.push((
                "purpose_of_use",
                RouteIua {
                    purpose_of_use,
                    ..RouteIua::default()
                },
            ));
        }
        if !self.subject_role.is_empty() {
            let subject_role = self.subject_role.clone();
            out.push((
                "subject_role",
                RouteIua {
                    subject_role,
                    ..RouteIua::default()
                },
            ));
        }
        if !self.organization.is_empty() {
            let organization = self.organization.clone();
            out.push((
                "organization",
                RouteIua {
                    organization,
                    ..RouteIua::default()
                },
            ));
        }
        if self.consent.is_some() {
            let rule = RouteIua {
                consent: self.consent,
                patient_authority: self.patient_authority.clone(),
                ..RouteIua::default()
            };
            out.push(("consent", rule));
        }
        out
    }

    /// Rules a route cannot keep are policy errors, not refusals at run time.
    pub fn validate(&self, prefix: &str, fhir: bool, open: bool) -> Result<(), String> {
        if open {
            return Err(format!("the route \"{prefix}\" is open and has \"iua\" rules: an open route reads no token"));
        }
        if self.consent.is_some() && !fhir {
            return Err(format!("the route \"{prefix}\" binds requests to the consent's patient (\"iua.consent\") but is not a FHIR route (\"fhir\": true), so the guard cannot tell which patient a request reaches"));
        }
        if self.break_glass && self.purpose_of_use.is_empty() && self.consent.is_none() {
            return Err(format!("the route \"{prefix}\" allows break-the-glass but has no purpose-of-use or consent rule for it to pass"));
        }
        Ok(())
    }
}

/// What a route binds the request to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    Patient,
}

/// Policy-wide settings of these rules (`iua_rules`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IuaRules {
    /// Purposes of use that ask for break-the-glass access (HL7 `ETREAT` by default).
    pub emergency_purposes: Vec<Code>,
}

pub const ACT_REASON: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

impl Default for IuaRules {
    fn default() -> Self {
        IuaRules {
            emergency_purposes: vec![Code {
                system: Some(ACT_REASON.into()),
                code: "ETREAT".into(),
                display: None,
            }],
        }
    }
}

/// The patients a FHIR request reaches, as the guard read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach<'a> {
    /// Every check is confined to this one patient.
    One(&'a str),
    /// Several patients, or a check the guard cannot confine to one, or not a FHIR request.
    NotOne,
}

/// A route's IUA rules met, and whether only by breaking the glass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pass {
    pub break_glass: bool,
}

/// A route's IUA rule not met: its stable name and a sentence saying what would meet it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub rule: &'static str,
    pub message: String,
}

/// The IUA facts of a token the rules and the audit record read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attributes {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purpose_of_use: Vec<Code>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subject_role: Vec<Code>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_patient: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_doc: Option<String>,
}

impl Attributes {
    /// Read from a verified payload (Rev 2.x members, else the 2013 names).
    pub fn read(payload: &Map<String, Value>) -> Attributes {
        // Most tokens carry no IUA attributes: one look for `extensions` and a scan of the
        // claim names for 2013 ones spares six lookups per decision.
        if !payload.contains_key("extensions")
            && !payload
                .keys()
                .any(|k| crate::profiles::xua::flat_name(k).is_some())
        {
            return Attributes::default();
        }
        let text = |ext: &str, name: &str| {
            iua::member(payload, ext, name)
                .and_then(Value::as_str)
                .map(|s| crate::limits::clip(s, crate::limits::MAX_ECHO_BYTES).into_owned())
        };
        Attributes {
            purpose_of_use: codings(iua::member(payload, "ihe_iua", "purpose_of_use")),
            subject_role: codings(iua::member(payload, "ihe_iua", "subject_role")),
            organization_id: text("ihe_iua", "subject_organization_id"),
            subject_name: text("ihe_iua", "subject_name"),
            consent_patient: text("ihe_bppc", "patient_id"),
            consent_doc: text("ihe_bppc", "doc_id"),
        }
    }
}

/// Codings as IUA sends them: an array, a single Coding, or (2013) a bare code. Entries
/// without a string `code` are skipped: no rule can match them. At most 16 are kept.
fn codings(value: Option<&Value>) -> Vec<Code> {
    let one = |v: &Value| -> Option<Code> {
        match v {
            Value::String(code) => Some(Code {
                system: None,
                code: code.clone(),
                display: None,
            }),
            Value::Object(m) => {
                let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
                Some(Code {
                    system: s("system"),
                    code: s("code")?,
                    display: s("display"),
                })
            }
            _ => None,
        }
    };
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(one).take(16).collect(),
        Some(v) => one(v).into_iter().collect(),
        None => Vec::new(),
    }
}

fn shown(codes: &[Code]) -> String {
    codes
        .iter()
        .map(|c| match &c.system {
            Some(s) => format!("{s}#{}", c.code),
            None => c.code.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Decide a route's IUA rules on a token's attributes and the patients the request reaches.
pub fn decide(
    rules: &RouteIua,
    settings: &IuaRules,
    attrs: &Attributes,
    smart_patient: Option<&str>,
    reach: Reach<'_>,
) -> Result<Pass, Refusal> {
    // Role and organisation say who may act at all; an emergency does not waive them.
    if !rules.subject_role.is_empty()
        && !attrs
            .subject_role
            .iter()
            .any(|c| rules.subject_role.iter().any(|r| r.matches(c)))
    {
        return Err(Refusal {
            rule: "iua.subject-role",
            message: format!(
                "This path needs a user with one of these roles in extensions.ihe_iua.subject_role: {}; the token carries {}.",
                shown(&rules.subject_role),
                none_or(&shown(&attrs.subject_role))
            ),
        });
    }
    if !rules.organization.is_empty()
        && !attrs
            .organization_id
            .as_ref()
            .is_some_and(|o| rules.organization.contains(o))
    {
        return Err(Refusal {
            rule: "iua.organization",
            message: format!(
                "This path needs a user of the organisation {} (extensions.ihe_iua.subject_organization_id); the token carries {}.",
                rules.organization.join(" or "),
                none_or(attrs.organization_id.as_deref().unwrap_or(""))
            ),
        });
    }
    let normal =
        purpose_rule(rules, attrs).and_then(|()| consent_rule(rules, attrs, smart_patient, reach));
    let Err(refusal) = normal else {
        return Ok(Pass { break_glass: false });
    };
    let emergency = attrs
        .purpose_of_use
        .iter()
        .find(|c| settings.emergency_purposes.iter().any(|e| e.matches(c)));
    match emergency {
        Some(_) if rules.break_glass => Ok(Pass { break_glass: true }),
        Some(e) => Err(Refusal {
            rule: "iua.break-glass-not-allowed",
            message: format!(
                "The token asks for emergency access ({}), which this path does not allow; {}",
                shown(std::slice::from_ref(e)),
                refusal.message
            ),
        }),
        None => Err(refusal),
    }
}

fn none_or(s: &str) -> &str {
    if s.is_empty() {
        "none"
    } else {
        s
    }
}

fn purpose_rule(rules: &RouteIua, attrs: &Attributes) -> Result<(), Refusal> {
    if rules.purpose_of_use.is_empty()
        || attrs
            .purpose_of_use
            .iter()
            .any(|c| rules.purpose_of_use.iter().any(|r| r.matches(c)))
    {
        return Ok(());
    }
    Err(Refusal {
        rule: "iua.purpose-of-use",
        message: format!(
            "This path allows these purposes of use (extensions.ihe_iua.purpose_of_use): {}; the token carries {}. Ask the authorization server for a token with an allowed purpose.",
            shown(&rules.purpose_of_use),
            none_or(&shown(&attrs.purpose_of_use))
        ),
    })
}

fn consent_rule(
    rules: &RouteIua,
    attrs: &Attributes,
    smart_patient: Option<&str>,
    reach: Reach<'_>,
) -> Result<(), Refusal> {
    if rules.consent.is_none() {
        return Ok(());
    }
    let refuse = |message: String| {
        Err(Refusal {
            rule: "iua.consent-patient",
            message,
        })
    };
    let Reach::One(patient) = reach else {
        return refuse("This path binds each request to the patient of the token's consent, and this request does not reach exactly one patient; name the patient (e.g. ?patient=… or Patient/…).".into());
    };
    let Some(consent) = attrs.consent_patient.as_deref() else {
        return refuse("This path needs a token with the patient's consent (extensions.ihe_bppc.patient_id); the token carries none.".into());
    };
    if !same_patient(consent, patient, rules.patient_authority.as_deref()) {
        return refuse(format!(
            "The token's consent is for the patient \"{consent}\", and the request reaches Patient/{patient}."
        ));
    }
    if let Some(p) = smart_patient.filter(|p| *p != patient) {
        return refuse(format!(
            "The token's SMART patient is \"{p}\", and the request reaches Patient/{patient}."
        ));
    }
    Ok(())
}

/// Is the BPPC `patient_id` (a URL, a CX identifier, or a bare id) the FHIR patient `id`?
fn same_patient(consent: &str, id: &str, authority: Option<&str>) -> bool {
    if consent.starts_with("https://") || consent.starts_with("http://") {
        let path = consent.split(['?', '#']).next().unwrap_or("");
        return path
            .strip_suffix(id)
            .is_some_and(|rest| rest.ends_with("/Patient/"));
    }
    match consent.split_once("^^^") {
        Some((cx_id, assigner)) => {
            cx_id == id && authority.is_none_or(|a| assigner.split('&').any(|part| part == a))
        }
        None => authority.is_none() && consent == id,
    }
}

/// The `forward.headers` source that carries the break-the-glass flag upstream (`"true"`).
pub const BREAK_GLASS_SOURCE: &str = "break_glass";

/// Add the break-the-glass flag to the upstream headers the policy names for it.
pub fn flag_headers(
    forward: &crate::policy::hosts::Forward,
    break_glass: bool,
    set: &mut Vec<(String, String)>,
) {
    if !break_glass {
        return;
    }
    for (header, source) in &forward.headers {
        if source == BREAK_GLASS_SOURCE {
            set.push((header.to_ascii_lowercase(), "true".into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attrs(v: Value) -> Attributes {
        Attributes::read(v.as_object().unwrap())
    }

    fn route(v: Value) -> RouteIua {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn each_rule_alone_keeps_its_own_settings_and_drops_break_glass() {
        let r = route(
            json!({"purpose_of_use": [{"code": "TREAT"}], "organization": "urn:oid:1.2",
                             "consent": "patient", "patient_authority": "1.2.3", "break_glass": true}),
        );
        let alone = r.alone();
        let names: Vec<&str> = alone.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["purpose_of_use", "organization", "consent"]);
        assert_eq!(
            serde_json::to_value(&alone[2].1).unwrap(),
            json!({"consent": "patient", "patient_authority": "1.2.3"})
        );
        assert!(alone
            .iter()
            .all(|(_, a)| !a.break_glass && a.alone().len() == 1));
        // What a rule alone serialises to reads back as the same rule.
        for (_, a) in &alone {
            assert_eq!(&route(serde_json::to_value(a).unwrap()), a);
        }
    }

    fn token(purpose: &str, role: &str, patient: &str) -> Attributes {
        attrs(json!({"extensions": {
            "ihe_iua": {"purpose_of_use": [{"system": ACT_REASON, "code": purpose}],
                        "subject_role": [{"system": "http://snomed.info/sct", "code": role}],
                        "subject_organization_id": "urn:oid:1.2.3"},
            "ihe_bppc": {"patient_id": patient, "doc_id": "urn:uuid:c1"}}}))
    }

    fn consent_route(break_glass: bool) -> RouteIua {
        route(
            json!({"purpose_of_use": [{"system": ACT_REASON, "code": "TREAT"}],
                     "subject_role": [{"code": "158965000"}], "organization": "urn:oid:1.2.3",
                     "consent": "patient", "break_glass": break_glass}),
        )
    }

    fn run(r: &RouteIua, a: &Attributes, reach: Reach<'_>) -> Result<Pass, &'static str> {
        decide(r, &IuaRules::default(), a, None, reach).map_err(|e| e.rule)
    }

    #[test]
    fn each_rule_refuses_with_its_name() {
        let r = consent_route(false);
        let ok = token("TREAT", "158965000", "123^^^&1.2.3&ISO");
        assert_eq!(
            run(&r, &ok, Reach::One("123")),
            Ok(Pass { break_glass: false })
        );
        assert_eq!(
            run(&r, &token("HPAYMT", "158965000", "123"), Reach::One("123")),
            Err("iua.purpose-of-use")
        );
        assert_eq!(
            run(&r, &token("TREAT", "309343006", "123"), Reach::One("123")),
            Err("iua.subject-role")
        );
        assert_eq!(run(&r, &ok, Reach::One("456")), Err("iua.consent-patient"));
        assert_eq!(run(&r, &ok, Reach::NotOne), Err("iua.consent-patient"));
        let mut other_org = ok.clone();
        other_org.organization_id = Some("urn:oid:9".into());
        assert_eq!(
            run(&r, &other_org, Reach::One("123")),
            Err("iua.organization")
        );
        let e = decide(
            &r,
            &IuaRules::default(),
            &ok,
            Some("999"),
            Reach::One("123"),
        );
        assert_eq!(e.map_err(|e| e.rule), Err("iua.consent-patient"));
    }

    #[test]
    fn break_the_glass_only_where_allowed_and_never_past_the_role() {
        let emergency = token("ETREAT", "158965000", "123");
        assert_eq!(
            run(&consent_route(true), &emergency, Reach::One("456")),
            Ok(Pass { break_glass: true })
        );
        assert_eq!(
            run(&consent_route(false), &emergency, Reach::One("456")),
            Err("iua.break-glass-not-allowed")
        );
        assert_eq!(
            run(
                &consent_route(true),
                &token("ETREAT", "309343006", "123"),
                Reach::One("456")
            ),
            Err("iua.subject-role")
        );
    }

    #[test]
    fn the_2013_names_are_read_as_aliases() {
        let a = attrs(
            json!({"PurposeOfUse": "TREAT", "SubjectRole": {"code": "158965000"},
                             "SubjectOrganizationID": "urn:oid:1.2.3", "resourceID": "123"}),
        );
        let r = route(json!({"purpose_of_use": [{"code": "TREAT"}],
                             "subject_role": [{"code": "158965000"}],
                             "organization": ["urn:oid:1.2.3"], "consent": "patient"}));
        assert_eq!(
            run(&r, &a, Reach::One("123")),
            Ok(Pass { break_glass: false })
        );
    }

    #[test]
    fn consent_patient_forms() {
        assert!(same_patient(
            "https://fhir.example/Patient/123",
            "123",
            None
        ));
        assert!(!same_patient(
            "https://fhir.example/Patient/1234",
            "123",
            None
        ));
        assert!(!same_patient(
            "https://fhir.example/Patient/0123",
            "123",
            None
        ));
        assert!(same_patient("123^^^&1.2.3&ISO", "123", Some("1.2.3")));
        assert!(!same_patient("123^^^&9.9&ISO", "123", Some("1.2.3")));
        assert!(!same_patient("123", "123", Some("1.2.3")));
        assert!(same_patient("123", "123", None));
    }
}

/// The rules at the gate: policy, status codes, forwarded flag, audit facts.
#[cfg(test)]
mod gate_tests {
    use super::ACT_REASON;
    use crate::guard::{Decision, Request};
    use crate::keys::KeySet;
    use crate::token::base64url::encode;
    use crate::verify::Verifier;
    use hmac::{KeyInit, Mac};
    use serde_json::{json, Value};

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    const NOW: i64 = 1_800_000_000;

    fn sign(claims: Value) -> String {
        let head = encode(br#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#);
        let body = encode(claims.to_string().as_bytes());
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();
        mac.update(format!("{head}.{body}").as_bytes());
        format!("{head}.{body}.{}", encode(&mac.finalize().into_bytes()))
    }

    fn token(purpose: &str, role: &str, patient: &str) -> String {
        sign(json!({
            "iss": "https://sts.example", "sub": "dr-who", "aud": "https://fhir.example",
            "client_id": "ward-app", "scope": "user/*.rs", "jti": "t-1",
            "exp": NOW + 300, "iat": NOW - 10,
            "extensions": {
                "ihe_iua": {"subject_name": "Dr Who", "subject_organization_id": "urn:oid:1.2.3",
                            "subject_role": [{"system": "http://snomed.info/sct", "code": role}],
                            "purpose_of_use": [{"system": ACT_REASON, "code": purpose}]},
                "ihe_bppc": {"patient_id": patient, "doc_id": "urn:uuid:consent-1"}}
        }))
    }

    fn verifier(profile: Option<&str>) -> Verifier {
        let mut issuer = json!({"issuer": "https://sts.example", "audience": "https://fhir.example",
                                "keys": {"keys": [{"kty": "oct", "kid": "k1", "k": encode(SECRET)}]}});
        if let Some(p) = profile {
            issuer["profile"] = json!(p);
        }
        Verifier::from_json(&json!({
            "algorithms": ["HS256"],
            "issuers": [issuer],
            "routes": [
                {"path_prefix": "/fhir", "fhir": true,
                 "iua": {"purpose_of_use": [{"system": ACT_REASON, "code": "TREAT"}],
                         "subject_role": [{"code": "158965000"}],
                         "consent": "patient", "break_glass": true}},
                {"path_prefix": "/strict", "fhir": true,
                 "iua": {"purpose_of_use": [{"system": ACT_REASON, "code": "TREAT"}],
                         "consent": "patient"}}],
            "forward": {"headers": {"x-break-glass": "break_glass", "x-audit-user": "atna_user"}}
        }).to_string())
        .unwrap()
    }

    fn run(profile: Option<&str>, path: &str, token: &str) -> Decision {
        let req = Request::new(
            "GET",
            path,
            vec![
                ("authorization".into(), format!("Bearer {token}")),
                ("x-break-glass".into(), "true".into()),
            ],
        );
        let answer = crate::gate::decide(&verifier(profile), req, &KeySet::new(), NOW);
        answer.decision().cloned().unwrap()
    }

    const DOCTOR: &str = "158965000";

    #[test]
    fn the_rules_refuse_with_rfc6750_or_iua_status() {
        let ok = run(
            None,
            "/fhir/Observation?patient=123",
            &token("TREAT", DOCTOR, "123"),
        );
        assert!(ok.allow, "{:?}", ok.log);
        assert!(!ok.break_glass);
        assert!(!ok.set_headers.iter().any(|(h, _)| h == "x-break-glass"));
        assert!(ok.remove_headers.contains(&"x-break-glass".to_string()));
        assert_eq!(ok.audit.patient.as_deref(), Some("123"));
        assert_eq!(ok.audit.purpose_of_use[0].code, "TREAT");
        assert_eq!(ok.audit.token_id.as_deref(), Some("t-1"));

        for (t, path, rule) in [
            (
                token("HPAYMT", DOCTOR, "123"),
                "/fhir/Observation?patient=123",
                "iua.purpose-of-use",
            ),
            (
                token("TREAT", "309343006", "123"),
                "/fhir/Observation?patient=123",
                "iua.subject-role",
            ),
            (
                token("TREAT", DOCTOR, "123"),
                "/fhir/Observation?patient=456",
                "iua.consent-patient",
            ),
            (
                token("TREAT", DOCTOR, "123"),
                "/fhir/Observation",
                "iua.consent-patient",
            ),
        ] {
            let d = run(None, path, &t);
            assert_eq!((d.status, d.log.rule), (403, Some(rule)), "{path}");
            assert_eq!(d.audit.rule.as_deref(), Some(rule));
            assert!(!d.audit.allow);
            // IUA resource servers answer 401 (ITI-72 3.72.4.3).
            assert_eq!(run(Some("iua"), path, &t).status, 401, "{path}");
        }
    }

    #[test]
    fn break_the_glass_is_flagged_or_refused() {
        let d = run(
            None,
            "/fhir/Observation?patient=456",
            &token("ETREAT", DOCTOR, "123"),
        );
        assert!(d.allow && d.break_glass, "{:?}", d.log);
        assert!(d
            .set_headers
            .contains(&("x-break-glass".into(), "true".into())));
        assert!(d.audit.break_glass);
        assert_eq!(d.log.rule, Some("iua.break-glass"));
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["break_glass"], true);

        let d = run(
            None,
            "/strict/Observation?patient=456",
            &token("ETREAT", DOCTOR, "123"),
        );
        assert_eq!(d.log.rule, Some("iua.break-glass-not-allowed"));
        assert!(!d.break_glass);
    }

    #[test]
    fn a_consent_route_must_be_a_fhir_route() {
        let e = Verifier::from_json(
            &json!({"algorithms": ["HS256"],
            "routes": [{"path_prefix": "/api", "iua": {"consent": "patient"}}]})
            .to_string(),
        );
        assert!(e.is_err());
    }
}
