//! The FHIR REST interactions SMART v2 permissions grant (`c`, `r`, `u`, `d`, `s`): the word
//! both scopes (what a token grants) and authorize (what a request needs) speak, so it sits
//! below both of them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A FHIR REST interaction, as SMART v2 permissions name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interaction {
    /// `c`: type-level create.
    Create,
    /// `r`: read, vread, instance history.
    Read,
    /// `u`: update (including update-as-create) and patch.
    Update,
    /// `d`: delete.
    Delete,
    /// `s`: type- and system-level search and history.
    Search,
}

impl Interaction {
    pub const ALL: [Interaction; 5] = [
        Interaction::Create,
        Interaction::Read,
        Interaction::Update,
        Interaction::Delete,
        Interaction::Search,
    ];

    /// The SMART v2 permission letter.
    pub fn letter(self) -> char {
        match self {
            Interaction::Create => 'c',
            Interaction::Read => 'r',
            Interaction::Update => 'u',
            Interaction::Delete => 'd',
            Interaction::Search => 's',
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Interaction::Create => "create",
            Interaction::Read => "read",
            Interaction::Update => "update",
            Interaction::Delete => "delete",
            Interaction::Search => "search",
        }
    }

    /// The SMART v1 permission word that includes it.
    pub(crate) fn v1(self) -> &'static str {
        match self {
            Interaction::Read | Interaction::Search => "read",
            _ => "write",
        }
    }
}

impl fmt::Display for Interaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
