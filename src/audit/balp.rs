//! The IHE Basic Audit Log Patterns (BALP) `AuditEvent` (FHIR R4) for a RESTful request the
//! gateway decided: type `rest`, the restful-interaction as subtype, the user (ATNA name,
//! purpose of use), the client application and the gateway as agents, the gateway as source,
//! the patient, the resource and the query as entities, and the outcome with the rule that
//! decided. An allowed request records the authorization (the upstream's answer is not known
//! here); a refused one records outcome 4 and why.

use super::{AuditSettings, Facts};
use crate::guard::iua_rules::Code;
use base64::Engine;
use serde_json::{json, Map, Value};

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

fn coding(c: &Code) -> Value {
    let mut m = Map::new();
    if let Some(s) = &c.system {
        m.insert("system".into(), Value::String(s.clone()));
    }
    m.insert("code".into(), Value::String(c.code.clone()));
    if let Some(d) = &c.display {
        m.insert("display".into(), Value::String(d.clone()));
    }
    Value::Object(m)
}

fn concept(system: &str, code: &str, display: &str) -> Value {
    json!({"coding": [{"system": system, "code": code, "display": display}]})
}

/// The AuditEvent for `facts`, recorded at `now` (seconds since the epoch, the host's clock).
pub fn event(facts: &Facts, settings: &AuditSettings, now: i64) -> Value {
    let now = now.clamp(0, crate::time::MAX_NUMERIC_DATE);
    let interaction = facts.interaction.as_deref();
    let (profile, action) = match interaction {
        Some(i) => shape(i),
        None => (None, method_action(&facts.method)),
    };
    let subtype = match interaction {
        Some(i) => {
            let code = restful_interaction(i);
            json!([{"system": "http://hl7.org/fhir/restful-interaction", "code": code, "display": code}])
        }
        None => {
            json!([{"system": "urn:ietf:rfc:7231", "code": facts.method, "display": facts.method}])
        }
    };
    let mut ev = Map::new();
    ev.insert("resourceType".into(), json!("AuditEvent"));
    if let (Some(p), true) = (profile, facts.allow) {
        let name = if facts.patient.is_some() {
            format!("Patient{p}")
        } else {
            p.to_owned()
        };
        ev.insert("meta".into(), json!({"profile": [format!("{BALP}{name}")]}));
    }
    ev.insert(
        "type".into(),
        json!({"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest", "display": "Restful Operation"}),
    );
    ev.insert("subtype".into(), subtype);
    ev.insert("action".into(), json!(action));
    ev.insert("recorded".into(), json!(crate::time::utc(now)));
    ev.insert("outcome".into(), json!(if facts.allow { "0" } else { "4" }));
    ev.insert("outcomeDesc".into(), json!(outcome_desc(facts)));
    if !facts.purpose_of_use.is_empty() {
        ev.insert(
            "purposeOfEvent".into(),
            Value::Array(
                facts
                    .purpose_of_use
                    .iter()
                    .map(|c| json!({"coding": [coding(c)]}))
                    .collect(),
            ),
        );
    }
    ev.insert(
        "agent".into(),
        Value::Array(agents(facts, settings, action)),
    );
    ev.insert(
        "source".into(),
        json!({"observer": {"display": settings.source},
               "type": [{"system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4", "display": "Application Server"}]}),
    );
    let entities = entities(facts);
    if !entities.is_empty() {
        ev.insert("entity".into(), Value::Array(entities));
    }
    Value::Object(ev)
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

fn agents(f: &Facts, settings: &AuditSettings, action: &str) -> Vec<Value> {
    let mut agents = Vec::new();
    if let Some(user) = &f.user {
        // BALP: IRCP for a user who reads or queries, AGNT for one who writes.
        let (code, display, system) = match action {
            "R" | "E" => ("IRCP", "information recipient", PARTICIPATION),
            _ => ("AGNT", "agent", ROLE_CLASS),
        };
        let mut who = Map::new();
        who.insert("identifier".into(), json!({"value": user}));
        if let Some(name) = &f.subject_name {
            who.insert("display".into(), json!(name));
        }
        let mut agent = Map::new();
        agent.insert("type".into(), concept(system, code, display));
        if !f.subject_role.is_empty() {
            agent.insert(
                "role".into(),
                Value::Array(
                    f.subject_role
                        .iter()
                        .map(|c| json!({"coding": [coding(c)]}))
                        .collect(),
                ),
            );
        }
        agent.insert("who".into(), Value::Object(who));
        agent.insert("requestor".into(), json!(true));
        let mut policy = Vec::new();
        if let Some(jti) = &f.token_id {
            policy.push(json!(jti));
        }
        if let Some(doc) = &f.consent_doc {
            policy.push(json!(doc));
        }
        if !policy.is_empty() {
            agent.insert("policy".into(), Value::Array(policy));
        }
        if !f.purpose_of_use.is_empty() {
            agent.insert(
                "purposeOfUse".into(),
                Value::Array(
                    f.purpose_of_use
                        .iter()
                        .map(|c| json!({"coding": [coding(c)]}))
                        .collect(),
                ),
            );
        }
        agents.push(Value::Object(agent));
    }
    // DICOM/IHE: the client is the Source Role ID, the server the Destination Role ID.
    let client = f
        .client_id
        .clone()
        .unwrap_or_else(|| "unknown client".into());
    agents.push(json!({
        "type": concept(DCM, "110153", "Source Role ID"),
        "who": {"identifier": {"value": client}},
        "requestor": f.user.is_none()
    }));
    agents.push(json!({
        "type": concept(DCM, "110152", "Destination Role ID"),
        "who": {"display": settings.source},
        "requestor": false,
        "network": {"address": f.path, "type": "5"}
    }));
    agents
}

fn entities(f: &Facts) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(p) = &f.patient {
        out.push(json!({
            "what": {"reference": format!("Patient/{p}")},
            "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
            "role": {"system": ENTITY_ROLE, "code": "1", "display": "Patient"}
        }));
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
            Some(id) => json!({"reference": format!("{t}/{id}")}),
            None => json!({"display": t}),
        };
        out.push(json!({
            "what": what,
            "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
            "role": {"system": ENTITY_ROLE, "code": "4", "display": "Domain Resource"}
        }));
    }
    if searching {
        let target = if f.query.is_empty() {
            f.path.clone()
        } else {
            format!("{}?{}", f.path, f.query)
        };
        out.push(json!({
            "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
            "role": {"system": ENTITY_ROLE, "code": "24", "display": "Query"},
            "query": base64::engine::general_purpose::STANDARD.encode(target.as_bytes())
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let ev = event(&read_facts(), &AuditSettings::default(), 1_800_000_000);
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
        let ev = event(&f, &AuditSettings::default(), 0);
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
        let ev = event(&f, &AuditSettings::default(), 0);
        assert_eq!(ev["meta"]["profile"][0], format!("{BALP}PatientQuery"));
        assert_eq!(ev["action"], "E");
        let q = ev["entity"][1]["query"].as_str().unwrap();
        let bytes = base64::engine::general_purpose::STANDARD.decode(q).unwrap();
        assert_eq!(bytes, b"/fhir/Observation?patient=123");
    }
}
