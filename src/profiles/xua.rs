//! The IHE IUA 2013 trial-implementation claim names (ITI TF Supplement IUA Rev 1.1,
//! Table 3.71.4.1.2.1-2): flat, top-level claims named after the XUA SAML attributes. IUA Rev 2.x
//! moved them into `extensions.ihe_iua` and `extensions.ihe_bppc` with snake_case names and
//! FHIR Codings. Tokens from older Authorization Servers still carry the flat names.

use serde::Serialize;

/// One 2013 claim name and where its content lives today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FlatName {
    /// The 2013 JWT parameter name, exactly as the supplement spells it.
    pub name: &'static str,
    /// The XUA attribute it carried.
    pub xua_attribute: &'static str,
    /// What it means.
    pub meaning: &'static str,
    /// The IUA Rev 2.x claim path that replaces it.
    pub today: &'static str,
    /// How the value's shape changed, if it did.
    pub note: Option<&'static str>,
}

/// Every flat name the 2013 supplement defines, in the supplement's order.
pub const FLAT_NAMES: &[FlatName] = &[
    FlatName {
        name: "SubjectID",
        xua_attribute: "urn:oasis:names:tc:xspa:1.0:subject:subject-id",
        meaning: "the user's name, as plain text",
        today: "extensions.ihe_iua.subject_name",
        note: None,
    },
    FlatName {
        name: "SubjectOrganization",
        xua_attribute: "urn:oasis:names:tc:xspa:1.0:subject:organization",
        meaning: "the user's organization, as plain text",
        today: "extensions.ihe_iua.subject_organization",
        note: None,
    },
    FlatName {
        name: "SubjectOrganizationID",
        xua_attribute: "urn:oasis:names:tc:xspa:1.0:subject:organization-id",
        meaning: "the identifier of the user's organization",
        today: "extensions.ihe_iua.subject_organization_id",
        note: Some("should now be a URI (URL or urn:oid:)"),
    },
    FlatName {
        name: "HomeCommunityID",
        xua_attribute: "urn:ihe:iti:xca:2010:homeCommunityId",
        meaning: "the home community where the request originated",
        today: "extensions.ihe_iua.home_community_id",
        note: Some("should now be an OID in urn:oid: form"),
    },
    FlatName {
        name: "NationalProviderIdentifier",
        xua_attribute: "urn:oasis:names:tc:xspa:1.0:subject:npi",
        meaning: "the provider's national identifier",
        today: "extensions.ihe_iua.national_provider_identifier",
        note: None,
    },
    FlatName {
        name: "SubjectRole",
        xua_attribute: "urn:oasis:names:tc:xacml:2.0:subject:role",
        meaning: "the user's role",
        today: "extensions.ihe_iua.subject_role",
        note: Some("now an array of FHIR Codings ({system, code, display})"),
    },
    FlatName {
        name: "docid",
        xua_attribute: "urn:ihe:iti:bppc:2007:docid",
        meaning: "the patient privacy policy acknowledgement document",
        today: "extensions.ihe_bppc.doc_id",
        note: None,
    },
    FlatName {
        name: "acp",
        xua_attribute: "urn:ihe:iti:xua:2012:acp",
        meaning: "the patient privacy policy identifier",
        today: "extensions.ihe_bppc.acp",
        note: None,
    },
    FlatName {
        name: "PurposeOfUse",
        xua_attribute: "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse",
        meaning: "the purpose of use for the request",
        today: "extensions.ihe_iua.purpose_of_use",
        note: Some("now an array of FHIR Codings ({system, code, display})"),
    },
    FlatName {
        name: "resourceID",
        xua_attribute: "urn:oasis:names:tc:xacml:2.0:resource:resource-id",
        meaning: "the patient the privacy policy applies to",
        today: "extensions.ihe_bppc.patient_id",
        note: Some("a patient identifier in CX syntax or a URL"),
    },
    FlatName {
        name: "personID",
        xua_attribute: "(none)",
        meaning: "a patient, citizen or similar public identifier",
        today: "extensions.ihe_iua.person_id",
        note: None,
    },
];

/// The 2013 entry for a claim name (exact, case-sensitive: `docid` and `DocID` differ).
pub fn flat_name(name: &str) -> Option<&'static FlatName> {
    FLAT_NAMES.iter().find(|f| f.name == name)
}

/// A sentence saying what a 2013 name maps to today.
pub fn explain(f: &FlatName) -> String {
    let note = f.note.map(|n| format!(" ({n})")).unwrap_or_default();
    format!(
        "\"{}\" is the IUA 2013 trial-implementation name for {}; IUA Rev 2.x carries it as \"{}\"{note}.",
        f.name, f.meaning, f.today
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_every_name_of_the_2013_table() {
        let names: Vec<&str> = FLAT_NAMES.iter().map(|f| f.name).collect();
        assert_eq!(
            names,
            [
                "SubjectID",
                "SubjectOrganization",
                "SubjectOrganizationID",
                "HomeCommunityID",
                "NationalProviderIdentifier",
                "SubjectRole",
                "docid",
                "acp",
                "PurposeOfUse",
                "resourceID",
                "personID"
            ]
        );
        for f in FLAT_NAMES {
            assert!(
                f.today.starts_with("extensions.ihe_iua.")
                    || f.today.starts_with("extensions.ihe_bppc."),
                "{}",
                f.name
            );
        }
    }

    #[test]
    fn maps_names_exactly() {
        assert_eq!(
            flat_name("resourceID").map(|f| f.today),
            Some("extensions.ihe_bppc.patient_id")
        );
        assert_eq!(
            flat_name("SubjectID").map(|f| f.today),
            Some("extensions.ihe_iua.subject_name")
        );
        assert!(flat_name("subjectid").is_none());
        let s = explain(flat_name("PurposeOfUse").unwrap());
        assert!(s.contains("extensions.ihe_iua.purpose_of_use") && s.contains("Codings"));
    }
}
