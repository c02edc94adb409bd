//! Several key sets for one issuer (its `jwks_uri`, an allow-listed `jku`, CRLs) are offered to
//! a token as one: their union, in the order given (the plan's order), so a `kid` found in any
//! of them verifies, and every source that could not be fetched is still named.

use crate::keys::KeySet;
use std::borrow::Cow;

/// One key set from several (the one itself when there is only one).
pub fn union<'k>(sets: &[&'k KeySet]) -> Cow<'k, KeySet> {
    match sets {
        [] => Cow::Owned(KeySet::new()),
        [one] => Cow::Borrowed(*one),
        many => {
            let mut all = KeySet::new();
            for set in many {
                all.extend((*set).clone());
            }
            Cow::Owned(all)
        }
    }
}

#[cfg(test)]
#[path = "merge_tests.rs"]
mod tests;
