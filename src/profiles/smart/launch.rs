//! SMART launch context carried in (or alongside) an access token: `patient`, `encounter`,
//! `fhirContext`, `fhirUser`, `tenant`, `intent`, `need_patient_banner`, `smart_style_url`.

use serde::Serialize;
use serde_json::{Map, Value};

/// The launch context claims, read leniently (a member of the wrong type is left out; the
/// `smart` profile reports it).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LaunchContext {
    /// The patient id every `patient/` scope is limited to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encounter: Option<String>,
    #[serde(rename = "fhirContext", skip_serializing_if = "Vec::is_empty")]
    pub fhir_context: Vec<Value>,
    #[serde(rename = "fhirUser", skip_serializing_if = "Option::is_none")]
    pub fhir_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need_patient_banner: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smart_style_url: Option<String>,
}

/// The launch context claim names, in the order SMART lists them.
pub const CLAIMS: &[&str] = &[
    "patient",
    "encounter",
    "fhirContext",
    "fhirUser",
    "need_patient_banner",
    "intent",
    "smart_style_url",
    "tenant",
];

/// Resource types a `fhirUser` may point at (SMART App Launch, "Scopes for requesting identity data").
pub const FHIR_USER_TYPES: &[&str] = &[
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "RelatedPerson",
    "Person",
];

impl LaunchContext {
    pub fn read(claims: &Map<String, Value>) -> LaunchContext {
        let s = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        LaunchContext {
            patient: patient_id(claims),
            encounter: s("encounter"),
            fhir_context: match claims.get("fhirContext") {
                Some(Value::Array(items)) => items.clone(),
                _ => Vec::new(),
            },
            fhir_user: s("fhirUser"),
            tenant: s("tenant"),
            intent: s("intent"),
            need_patient_banner: claims.get("need_patient_banner").and_then(Value::as_bool),
            smart_style_url: s("smart_style_url"),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == LaunchContext::default()
    }
}

/// The token's patient id: the `patient` claim, with a `Patient/` reference prefix removed
/// (some servers send `Patient/123` where SMART says `123`).
pub fn patient_id(claims: &Map<String, Value>) -> Option<String> {
    let p = claims.get("patient")?.as_str()?;
    let id = p.strip_prefix("Patient/").unwrap_or(p);
    (!id.is_empty()).then(|| id.to_owned())
}

/// The `Type/id` a `fhirUser` URL (absolute or relative) points at, if it has that shape.
pub fn fhir_user_reference(url: &str) -> Option<(&str, &str)> {
    let trimmed = url.trim_end_matches('/');
    let mut parts = trimmed.rsplitn(3, '/');
    let id = parts.next()?;
    let ty = parts.next()?;
    (!id.is_empty() && super::scopes::is_resource_type(ty)).then_some((ty, id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_specs_example_context() {
        let claims = json!({
            "patient": "123", "encounter": "456",
            "fhirContext": [{"reference": "DiagnosticReport/123"}, {"reference": "Organization/789"}],
            "need_patient_banner": true, "intent": "reconcile-medications",
            "smart_style_url": "https://ehr/styles/smart_v1.json",
            "tenant": "2ddd6c3a-8e9a-44c6-a305-52111ad302a2",
            "fhirUser": "https://ehr.example/fhir/Practitioner/abc"
        });
        let c = LaunchContext::read(claims.as_object().unwrap());
        assert_eq!(c.patient.as_deref(), Some("123"));
        assert_eq!(c.fhir_context.len(), 2);
        assert_eq!(c.need_patient_banner, Some(true));
        assert_eq!(
            c.tenant.as_deref(),
            Some("2ddd6c3a-8e9a-44c6-a305-52111ad302a2")
        );
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["fhirUser"], "https://ehr.example/fhir/Practitioner/abc");
        assert!(LaunchContext::read(&Map::new()).patient.is_none());
        assert!(LaunchContext::read(&Map::new()).is_empty());
    }

    #[test]
    fn patient_ids() {
        let id = |v: Value| patient_id(json!({ "patient": v }).as_object().unwrap());
        assert_eq!(id(json!("123")), Some("123".into()));
        assert_eq!(id(json!("Patient/123")), Some("123".into()));
        assert_eq!(id(json!("")), None);
        assert_eq!(id(json!("Patient/")), None);
        assert_eq!(id(json!(123)), None);
    }

    #[test]
    fn fhir_user_references() {
        assert_eq!(
            fhir_user_reference("https://ehr/fhir/Practitioner/abc"),
            Some(("Practitioner", "abc"))
        );
        assert_eq!(fhir_user_reference("Patient/1"), Some(("Patient", "1")));
        assert_eq!(fhir_user_reference("abc"), None);
        assert_eq!(
            fhir_user_reference("https://ehr/fhir/practitioner/abc"),
            None
        );
    }
}
