// TEMPORARY compile shim (not committed): replaced by the profiles branch.
pub mod smart {
    use serde_json::{Map, Value};
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Interaction {
        Create,
        Read,
        Update,
        Delete,
        Search,
    }
    pub struct FhirAccess<'a> {
        pub interaction: Interaction,
        pub resource_type: &'a str,
        pub patient: Option<&'a str>,
        pub params: &'a [(String, String)],
    }
    pub struct Authorization {
        pub allowed: bool,
        pub reason: String,
        pub required_scope: String,
        pub granted_by: Option<String>,
    }
    pub fn authorize(_c: &Map<String, Value>, a: &FhirAccess) -> Authorization {
        Authorization {
            allowed: false,
            reason: "shim".into(),
            required_scope: a.resource_type.into(),
            granted_by: None,
        }
    }
}
