//! An HTTP request below a FHIR base, read as a FHIR REST interaction (FHIR R4 §3.1.0 "RESTful
//! API"): which interaction, on which resource type, in which patient's compartment. The SMART
//! scope decision is then made on that by `profiles::smart::authorize`.

use super::request::{percent_decode, Request};
use crate::profiles::smart::Interaction;

/// What a request under a FHIR route is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FhirTarget {
    /// Needs a valid token but no scope: `metadata` (CapabilityStatement), SMART configuration.
    Public,
    /// An interaction a SMART scope can grant.
    Access(FhirRequest),
    /// Not decidable from scopes at the gateway (batch/transaction, operations, …): refused.
    Unsupported(String),
}

/// A FHIR interaction with its resource type and patient compartment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FhirRequest {
    pub interaction: Interaction,
    pub resource_type: String,
    pub id: Option<String>,
    /// The patient whose compartment the request is confined to, when the URL says so.
    pub patient: Option<String>,
    /// Search parameters, decoded.
    pub params: Vec<(String, String)>,
}

/// Read `req` as a FHIR interaction on the server whose base path is `base`.
pub fn classify(base: &str, req: &Request) -> FhirTarget {
    let rest = req.path.strip_prefix(base).unwrap_or("");
    let segments: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let params: Vec<(String, String)> = req
        .query_params()
        .into_iter()
        .filter(|(n, _)| n != "access_token")
        .collect();
    let method = req.method.as_str();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let unsupported = |what: &str| {
        FhirTarget::Unsupported(format!(
            "{what} cannot be authorised from SMART scopes at the gateway"
        ))
    };

    match (method, seg.as_slice()) {
        ("GET" | "HEAD", ["metadata"])
        | ("GET" | "HEAD", [".well-known", "smart-configuration"]) => FhirTarget::Public,
        ("POST", []) => unsupported("A batch or transaction bundle"),
        (_, []) => unsupported("A request to the FHIR base itself"),
        (_, [first, ..]) if first.starts_with('$') || first.starts_with('_') => {
            unsupported("A system-level operation or search")
        }
        (_, [t, ..]) if !is_resource_type(t) => {
            FhirTarget::Unsupported(format!("\"{t}\" is not a FHIR resource type"))
        }
        // Type level
        ("GET" | "HEAD", [t]) => search(t, None, params),
        ("POST", [t, "_search"]) => search(t, None, params),
        ("POST", [t]) => access(Interaction::Create, t, None, None, params),
        ("PUT" | "PATCH", [t]) => access(Interaction::Update, t, None, None, params),
        ("DELETE", [t]) => access(Interaction::Delete, t, None, None, params),
        ("GET" | "HEAD", [t, "_history"]) => search(t, None, params),
        // Instance level
        (_, [_, id, ..]) if id.starts_with('$') => unsupported("An operation"),
        ("GET" | "HEAD", [t, id]) => read(t, id, params),
        ("GET" | "HEAD", [t, id, "_history"]) => read(t, id, params),
        ("GET" | "HEAD", [t, id, "_history", _]) => read(t, id, params),
        ("PUT" | "PATCH", [t, id]) => {
            access(Interaction::Update, t, Some(id), patient_of(t, id), params)
        }
        ("DELETE", [t, id]) => access(Interaction::Delete, t, Some(id), patient_of(t, id), params),
        // Compartment search: Patient/123/Observation
        ("GET" | "HEAD", ["Patient", id, t]) if is_resource_type(t) => {
            access(Interaction::Search, t, None, Some(id.to_string()), params)
        }
        _ => unsupported("This kind of FHIR request"),
    }
}

fn read(t: &str, id: &str, params: Vec<(String, String)>) -> FhirTarget {
    access(Interaction::Read, t, Some(id), patient_of(t, id), params)
}

fn search(t: &str, patient: Option<String>, params: Vec<(String, String)>) -> FhirTarget {
    let patient = patient.or_else(|| patient_param(t, &params));
    access(Interaction::Search, t, None, patient, params)
}

fn access(
    interaction: Interaction,
    t: &str,
    id: Option<&str>,
    patient: Option<String>,
    params: Vec<(String, String)>,
) -> FhirTarget {
    FhirTarget::Access(FhirRequest {
        interaction,
        resource_type: t.to_owned(),
        id: id.map(str::to_owned),
        patient,
        params,
    })
}

/// A `Patient` instance is its own compartment.
fn patient_of(t: &str, id: &str) -> Option<String> {
    (t == "Patient").then(|| id.to_owned())
}

/// The single patient a search is confined to by `patient=`, `subject=Patient/…` or, on
/// Patient, `_id=`. Several values (a comma list, or the parameter twice) confine nothing.
fn patient_param(t: &str, params: &[(String, String)]) -> Option<String> {
    let mut found: Vec<String> = Vec::new();
    for (name, value) in params {
        // Patient has no patient or subject search parameter: a server that ignores unknown
        // parameters would answer `Patient?patient=123` with every patient.
        if t == "Patient" && name != "_id" {
            continue;
        }
        let v = match name.as_str() {
            "patient" => value.strip_prefix("Patient/").unwrap_or(value),
            "subject" | "subject:Patient" => match value.strip_prefix("Patient/") {
                Some(id) => id,
                None if name == "subject:Patient" => value,
                None => continue,
            },
            "_id" if t == "Patient" => value,
            _ => continue,
        };
        if v.is_empty() || v.contains(',') {
            return None;
        }
        found.push(v.to_owned());
    }
    found.dedup();
    match found.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// FHIR resource type names are capitalised ASCII words.
fn is_resource_type(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_(m: &str, p: &str) -> FhirTarget {
        classify("/fhir", &Request::new(m, p, vec![]))
    }

    fn req(m: &str, p: &str) -> FhirRequest {
        match classify_(m, p) {
            FhirTarget::Access(r) => r,
            other => panic!("{m} {p}: {other:?}"),
        }
    }

    #[test]
    fn reads_the_interactions_of_the_issue() {
        let r = req("GET", "/fhir/Patient/123");
        assert_eq!(
            (
                r.interaction,
                r.resource_type.as_str(),
                r.patient.as_deref()
            ),
            (Interaction::Read, "Patient", Some("123"))
        );
        let r = req("GET", "/fhir/Observation?patient=123&category=laboratory");
        assert_eq!(
            (
                r.interaction,
                r.resource_type.as_str(),
                r.patient.as_deref()
            ),
            (Interaction::Search, "Observation", Some("123"))
        );
        assert_eq!(r.params.len(), 2);
        let r = req("POST", "/fhir/Observation");
        assert_eq!((r.interaction, r.patient), (Interaction::Create, None));
        let r = req("GET", "/fhir/Observation/9");
        assert_eq!((r.interaction, r.patient), (Interaction::Read, None));
    }

    #[test]
    fn compartments_and_patient_parameters() {
        assert_eq!(
            req("GET", "/fhir/Patient/7/Observation").patient.as_deref(),
            Some("7")
        );
        assert_eq!(
            req("GET", "/fhir/Observation?subject=Patient/7")
                .patient
                .as_deref(),
            Some("7")
        );
        assert_eq!(
            req("GET", "/fhir/Patient?_id=7").patient.as_deref(),
            Some("7")
        );
        assert_eq!(req("GET", "/fhir/Observation?patient=7,8").patient, None);
        assert_eq!(
            req("GET", "/fhir/Observation?patient=7&patient=8").patient,
            None
        );
        assert_eq!(
            req("GET", "/fhir/Observation?patient=7&subject=Patient/7")
                .patient
                .as_deref(),
            Some("7")
        );
        assert_eq!(
            req("POST", "/fhir/Observation/_search?patient=7").interaction,
            Interaction::Search
        );
        assert_eq!(
            req("PUT", "/fhir/Patient/7").interaction,
            Interaction::Update
        );
        assert_eq!(
            req("DELETE", "/fhir/Observation/1").interaction,
            Interaction::Delete
        );
        assert_eq!(
            req("GET", "/fhir/Observation/1/_history/2").interaction,
            Interaction::Read
        );
    }

    #[test]
    fn what_scopes_cannot_decide() {
        assert_eq!(classify_("GET", "/fhir/metadata"), FhirTarget::Public);
        for (m, p) in [
            ("POST", "/fhir"),
            ("POST", "/fhir/"),
            ("GET", "/fhir/$export"),
            ("GET", "/fhir/Patient/1/$everything"),
            ("GET", "/fhir/patient/1"),
            ("GET", "/fhir/_history"),
            ("GET", "/fhir"),
        ] {
            assert!(
                matches!(classify_(m, p), FhirTarget::Unsupported(_)),
                "{m} {p}"
            );
        }
    }
}
