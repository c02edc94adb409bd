//! What the core knows of FHIR R4 itself: resource types, their search parameters and how
//! each links to the Patient compartment. TEMPORARY hand-written subset, replaced by the table
//! generated from HL7's definitions.

/// One resource type.
#[derive(Debug)]
pub struct TypeDef {
    pub name: &'static str,
    pub params: &'static [&'static str],
    pub compartment: &'static [&'static str],
    pub links: &'static [Link],
}

/// A search parameter that confines a search to one patient.
#[derive(Debug)]
pub struct Link {
    pub param: &'static str,
    pub single: bool,
    /// The element the parameter reads: links with the same element name the same patient.
    pub element: &'static str,
}

const COMMON: [&str; 0] = [];

pub static TYPES: &[TypeDef] = &[
    TypeDef { name: "Condition", params: &["_id", "_lastUpdated", "_tag", "_profile", "_security", "_source", "code", "category", "clinical-status", "encounter", "patient", "subject", "onset-date", "asserter"], compartment: &["patient", "asserter"], links: &[Link { param: "patient", single: true, element: "Condition.subject" }, Link { param: "subject", single: true, element: "Condition.subject" }, Link { param: "asserter", single: true, element: "Condition.asserter" }] },
    TypeDef { name: "Encounter", params: &["_id", "_lastUpdated", "_tag", "_profile", "_security", "_source", "date", "status", "class", "type", "patient", "subject", "participant", "practitioner"], compartment: &["patient"], links: &[Link { param: "patient", single: true, element: "Encounter.subject" }, Link { param: "subject", single: true, element: "Encounter.subject" }] },
    TypeDef { name: "Group", params: &["_id", "_lastUpdated", "_tag", "_profile", "_security", "_source", "member", "type", "code"], compartment: &["member"], links: &[Link { param: "member", single: false, element: "Group.member.entity" }] },
    TypeDef { name: "Observation", params: &["_id", "_lastUpdated", "_tag", "_profile", "_security", "_source", "category", "code", "date", "encounter", "focus", "patient", "performer", "status", "subject", "value-quantity"], compartment: &["subject", "performer"], links: &[Link { param: "patient", single: true, element: "Observation.subject" }, Link { param: "subject", single: true, element: "Observation.subject" }, Link { param: "performer", single: false, element: "Observation.performer" }] },
    TypeDef { name: "Patient", params: &["_id", "_lastUpdated", "_tag", "_profile", "_security", "_source", "birthdate", "family", "gender", "given", "identifier", "link", "name", "general-practitioner", "organization"], compartment: &["link"], links: &[Link { param: "_id", single: true, element: "Patient.id" }, Link { param: "link", single: false, element: "Patient.link.other" }] },
    TypeDef { name: "Practitioner", params: &["_id", "_lastUpdated", "_tag", "_profile", "_security", "_source", "name", "identifier"], compartment: &[], links: &[] },
    TypeDef { name: "Provenance", params: &["_id", "_lastUpdated", "_tag", "_profile", "_security", "_source", "agent", "patient", "target", "recorded"], compartment: &["patient"], links: &[Link { param: "patient", single: false, element: "Provenance.target" }] },
];

/// The definition of resource type `name`.
pub fn type_def(name: &str) -> Option<&'static TypeDef> {
    let _ = COMMON;
    TYPES
        .binary_search_by(|t| t.name.cmp(name))
        .ok()
        .and_then(|i| TYPES.get(i))
}

/// Whether `name` is an R4 resource type.
pub fn is_resource_type(name: &str) -> bool {
    type_def(name).is_some()
}
