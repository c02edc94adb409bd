//! The IHE Basic Audit Log Patterns (BALP) `AuditEvent` (FHIR R4) for a RESTful request the
//! gateway decided: type `rest`, the restful-interaction as subtype, the user (ATNA name,
//! purpose of use), the client application and the gateway as agents, the gateway as source,
//! the patient, the resource and the query as entities, and the outcome with the rule that
//! decided. An allowed request records the authorization (the upstream's answer is not known
//! here); a refused one records outcome 4 and why.

use super::{AuditSettings, Facts};
use crate::guard::iua_rules::Code;
use base64::Engine;
use serde::Serialize;
use std::borrow::Cow;

const BALP: &str = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.";
const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
const PARTICIPATION: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
const ROLE_CLASS: &str = "http://terminology.hl7.org/CodeSystem/v3-RoleClass";
const ENTITY_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
const ENTITY_ROLE: &str = "http://terminology.hl7.org/CodeSystem/object-role";

/// Which BALP profile an allowed interaction's record meets (with or without a patient), and
/// its DICOM action code.
fn shape(interaction: &str) -> (Option<&'static str>, &'static str) {
    match interaction {
        "read" | "vread" => (Some("Read"), "R"),
        "search-type" | "search-system" | "search-compartment" => (Some("Query"), "E"),
        "create" | "conditional-create" => (Some("Create"), "C"),
        "update" | "patch" | "conditional-update" | "conditional-patch" => (Some("Update"), "U"),
        "delete" | "conditional-delete" => (Some("Delete"), "D"),
        "history-instance" | "history-type" | "history-system" => (None, "R"),
        _ => (None, "E"),
    }
}

/// The action of a request the guard did not read as a FHIR interaction, from its method.
fn method_action(method: &str) -> &'static str {
    match method {
        "GET" | "HEAD" => "R",
        "POST" => "C",
        "PUT" | "PATCH" => "U",
        "DELETE" => "D",
        _ => "E",
    }
}

/// The FHIR restful-interaction code (R4 value set) of a guard interaction.
fn restful_interaction(interaction: &str) -> &'static str {
    match interaction {
        "read" => "read",
        "vread" => "vread",
        "search-type" => "search-type",
        "search-system" => "search-system",
        "search-compartment" => "search",
        "create" | "conditional-create" => "create",
        "update" | "conditional-update" => "update",
        "patch" | "conditional-patch" => "patch",
        "delete" | "conditional-delete" => "delete",
        "history-instance" => "history-instance",
        "history-type" => "history-type",
        "history-system" => "history-system",
        "batch" => "batch",
        "transaction" => "transaction",
        "capabilities" => "capabilities",
        _ => "operation",
    }
}

// The record as typed, borrowed parts serialised straight to JSON: a tree of JSON values
// cost three times the rest of a cached decision, and hosts build one per request.

/// One FHIR R4 `AuditEvent` (BALP). `to_string()` gives its JSON.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent<'a> {
    resource_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta: Option<Meta>,
    #[serde(rename = "type")]
    kind: Coding<'static>,
    subtype: [Coding<'a>; 1],
    action: &'static str,
    recorded: String,
    outcome: &'static str,
    outcome_desc: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    purpose_of_event: Vec<Concept<'a>>,
    agent: Vec<Agent<'a>>,
    source: Source<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    entity: Vec<Entity>,
}

#[derive(Debug, Serialize)]
struct Meta {
    profile: [String; 1],
}

#[derive(Debug, Serialize)]
struct Coding<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<&'a str>,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    display: Option<&'a str>,
}

impl<'a> Coding<'a> {
    fn of(system: &'a str, code: &'a str, display: &'a str) -> Coding<'a> {
        Coding {
            system: Some(system),
            code,
            display: Some(display),
        }
    }

    fn from_code(c: &'a Code) -> Coding<'a> {
        Coding {
            system: c.system.as_deref(),
            code: &c.code,
            display: c.display.as_deref(),
        }
    }
}

#[derive(Debug, Serialize)]
struct Concept<'a> {
    coding: [Coding<'a>; 1],
}

impl<'a> Concept<'a> {
    fn of(coding: Coding<'a>) -> Concept<'a> {
        Concept { coding: [coding] }
    }

    fn all(codes: &'a [Code]) -> Vec<Concept<'a>> {
        codes
            .iter()
            .map(|c| Concept::of(Coding::from_code(c)))
            .collect()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Agent<'a> {
    #[serde(rename = "type")]
    kind: Concept<'static>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    role: Vec<Concept<'a>>,
    who: Who<'a>,
    requestor: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    policy: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    network: Option<Network<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    purpose_of_use: Vec<Concept<'a>>,
}

#[derive(Debug, Serialize)]
struct Who<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    identifier: Option<Identifier<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct Identifier<'a> {
    value: &'a str,
}

#[derive(Debug, Serialize)]
struct Network<'a> {
    address: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Debug, Serialize)]
struct Source<'a> {
    observer: Who<'a>,
    #[serde(rename = "type")]
    kind: [Coding<'static>; 1],
}

#[derive(Debug, Serialize)]
struct Entity {
    #[serde(skip_serializing_if = "Option::is_none")]
    what: Option<What>,
    #[serde(rename = "type")]
    kind: Coding<'static>,
    role: Coding<'static>,
    #[serde(skip_serializing_if = "Option::is_none")]
    query: Option<String>,
}

#[derive(Debug, Serialize)]
struct What {
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display: Option<String>,
}

impl std::fmt::Display for AuditEvent<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Plain data (strings, booleans, arrays): serialising it cannot fail.
        let json = serde_json::to_string(self).map_err(|_| std::fmt::Error)?;
        f.write_str(&json)
    }
}

/// The AuditEvent for `facts`, recorded at `now` (seconds since the epoch, the host's clock).
pub fn event<'a>(facts: &'a Facts, settings: &'a AuditSettings, now: i64) -> AuditEvent<'a> {
    let now = now.clamp(0, crate::time::MAX_NUMERIC_DATE);
    let interaction = facts.interaction.as_deref();
    let (profile, action) = match interaction {
        Some(i) => shape(i),
        None => (None, method_action(&facts.method)),
    };
    let subtype = match interaction {
        Some(i) => {
            let code = restful_interaction(i);
            Coding::of("http://hl7.org/fhir/restful-interaction", code, code)
        }
        None => Coding::of("urn:ietf:rfc:7231", &facts.method, &facts.method),
    };
    let meta = match (profile, facts.allow) {
        (Some(p), true) => {
            let patient = if facts.patient.is_some() {
                "Patient"
            } else {
                ""
            };
            Some(Meta {
                profile: [format!("{BALP}{patient}{p}")],
            })
        }
        _ => None,
    };
    AuditEvent {
        resource_type: "AuditEvent",
        meta,
        kind: Coding::of(
            "http://terminology.hl7.org/CodeSystem/audit-event-type",
            "rest",
            "Restful Operation",
        ),
        subtype: [subtype],
        action,
        recorded: crate::time::utc(now),
        outcome: if facts.allow { "0" } else { "4" },
        outcome_desc: outcome_desc(facts),
        purpose_of_event: Concept::all(&facts.purpose_of_use),
        agent: agents(facts, settings, action),
        source: Source {
            observer: Who {
                identifier: None,
                display: Some(&settings.source),
            },
            kind: [Coding::of(
                "http://terminology.hl7.org/CodeSystem/security-source-type",
                "4",
                "Application Server",
            )],
        },
        entity: entities(facts),
    }
}

fn outcome_desc(f: &Facts) -> String {
    let what = if f.allow { "allowed" } else { "refused" };
    let glass = if f.break_glass {
        " by break-the-glass"
    } else {
        ""
    };
    match &f.rule {
        Some(rule) => format!("{what}{glass} ({}, {rule}): {}", f.status, f.reason),
        None => format!("{what}{glass} ({}): {}", f.status, f.reason),
    }
}

fn agents<'a>(f: &'a Facts, settings: &'a AuditSettings, action: &str) -> Vec<Agent<'a>> {
    let mut agents = Vec::with_capacity(3);
    if let Some(user) = &f.user {
        // BALP: IRCP for a user who reads or queries, AGNT for one who writes.
        let (code, display, system) = match action {
            "R" | "E" => ("IRCP", "information recipient", PARTICIPATION),
            _ => ("AGNT", "agent", ROLE_CLASS),
        };
        agents.push(Agent {
            kind: Concept::of(Coding::of(system, code, display)),
            role: Concept::all(&f.subject_role),
            who: Who {
                identifier: Some(Identifier { value: user }),
                display: f.subject_name.as_deref(),
            },
            requestor: true,
            policy: f
                .token_id
                .iter()
                .chain(&f.consent_doc)
                .map(String::as_str)
                .collect(),
            network: None,
            purpose_of_use: Concept::all(&f.purpose_of_use),
        });
    }
    // DICOM/IHE: the client is the Source Role ID, the server the Destination Role ID.
    agents.push(Agent {
        kind: Concept::of(Coding::of(DCM, "110153", "Source Role ID")),
        role: Vec::new(),
        who: Who {
            identifier: Some(Identifier {
                value: f.client_id.as_deref().unwrap_or("unknown client"),
            }),
            display: None,
        },
        requestor: f.user.is_none(),
        policy: Vec::new(),
        network: None,
        purpose_of_use: Vec::new(),
    });
    agents.push(Agent {
        kind: Concept::of(Coding::of(DCM, "110152", "Destination Role ID")),
        role: Vec::new(),
        who: Who {
            identifier: None,
            display: Some(&settings.source),
        },
        requestor: false,
        policy: Vec::new(),
        network: Some(Network {
            address: &f.path,
            kind: "5",
        }),
        purpose_of_use: Vec::new(),
    });
    agents
}

fn entities(f: &Facts) -> Vec<Entity> {
    let entity = |what, kind, role, query| Entity {
        what,
        kind,
        role,
        query,
    };
    let system_object = || Coding::of(ENTITY_TYPE, "2", "System Object");
    let mut out = Vec::new();
    if let Some(p) = &f.patient {
        out.push(entity(
            Some(What {
                reference: Some(format!("Patient/{p}")),
                display: None,
            }),
            Coding::of(ENTITY_TYPE, "1", "Person"),
            Coding::of(ENTITY_ROLE, "1", "Patient"),
            None,
        ));
    }
    let searching = f
        .interaction
        .as_deref()
        .is_some_and(|i| i.starts_with("search"));
    let is_the_patient = f.resource_type.as_deref() == Some("Patient")
        && f.resource_id.is_some()
        && f.resource_id == f.patient;
    if let (false, false, Some(t)) = (searching, is_the_patient, &f.resource_type) {
        let what = match &f.resource_id {
            Some(id) => What {
                reference: Some(format!("{t}/{id}")),
                display: None,
            },
            None => What {
                reference: None,
                display: Some(t.clone()),
            },
        };
        out.push(entity(
            Some(what),
            system_object(),
            Coding::of(ENTITY_ROLE, "4", "Domain Resource"),
            None,
        ));
    }
    if searching {
        let target: Cow<str> = if f.query.is_empty() {
            Cow::Borrowed(&f.path)
        } else {
            Cow::Owned(format!("{}?{}", f.path, f.query))
        };
        out.push(entity(
            None,
            system_object(),
            Coding::of(ENTITY_ROLE, "24", "Query"),
            Some(base64::engine::general_purpose::STANDARD.encode(target.as_bytes())),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn value(ev: &AuditEvent) -> Value {
        serde_json::from_str(&ev.to_string()).unwrap()
    }

    fn read_facts() -> Facts {
        Facts {
            allow: true,
            status: 200,
            reason: "valid token".into(),
            method: "GET".into(),
            path: "/fhir/Observation/7".into(),
            interaction: Some("read".into()),
            resource_type: Some("Observation".into()),
            resource_id: Some("7".into()),
            patient: Some("123".into()),
            user: Some("https://fhir.example<dr@https://as.example>".into()),
            client_id: Some("app".into()),
            purpose_of_use: vec![Code {
                system: Some(crate::guard::iua_rules::ACT_REASON.into()),
                code: "TREAT".into(),
                display: None,
            }],
            ..Facts::default()
        }
    }

    #[test]
    fn an_allowed_patient_read_is_a_balp_patient_read() {
        let settings = AuditSettings::default();
        let ev = value(&event(&read_facts(), &settings, 1_800_000_000));
        assert_eq!(ev["meta"]["profile"][0], format!("{BALP}PatientRead"));
        assert_eq!(ev["recorded"], "2027-01-15T08:00:00Z");
        assert_eq!(
            (ev["action"].as_str(), ev["outcome"].as_str()),
            (Some("R"), Some("0"))
        );
        assert_eq!(ev["subtype"][0]["code"], "read");
        assert_eq!(ev["agent"][0]["type"]["coding"][0]["code"], "IRCP");
        assert_eq!(
            ev["agent"][0]["purposeOfUse"][0]["coding"][0]["code"],
            "TREAT"
        );
        assert_eq!(ev["entity"][0]["what"]["reference"], "Patient/123");
        assert_eq!(ev["entity"][1]["what"]["reference"], "Observation/7");
    }

    #[test]
    fn a_refusal_names_its_rule_and_claims_no_profile() {
        let mut f = read_facts();
        f.allow = false;
        f.status = 401;
        f.rule = Some("iua.purpose-of-use".into());
        f.reason = "This path allows…".into();
        let settings = AuditSettings::default();
        let ev = value(&event(&f, &settings, 0));
        assert!(ev.get("meta").is_none());
        assert_eq!(ev["outcome"], "4");
        assert!(ev["outcomeDesc"]
            .as_str()
            .unwrap()
            .contains("iua.purpose-of-use"));
    }

    #[test]
    fn a_search_records_its_query() {
        let mut f = read_facts();
        f.interaction = Some("search-type".into());
        f.resource_id = None;
        f.path = "/fhir/Observation".into();
        f.query = "patient=123".into();
        let settings = AuditSettings::default();
        let ev = value(&event(&f, &settings, 0));
        assert_eq!(ev["meta"]["profile"][0], format!("{BALP}PatientQuery"));
        assert_eq!(ev["action"], "E");
        let q = ev["entity"][1]["query"].as_str().unwrap();
        let bytes = base64::engine::general_purpose::STANDARD.decode(q).unwrap();
        assert_eq!(bytes, b"/fhir/Observation?patient=123");
    }
}
