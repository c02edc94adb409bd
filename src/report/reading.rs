//! What a verdict means for a person reading it on the inspector page: valid, invalid, or not
//! verified (no trusted key was given, so the signature could not be checked). The page renders
//! this reading; it does not derive it again.

use crate::error::{ErrorCode, Problem};
use crate::verify::Verdict;
use serde::Serialize;

/// The verdict's state as the page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Valid,
    Invalid,
    /// Everything that could be checked passed, but no trusted key was given.
    Unverified,
}

/// A verdict read for people: its state, the errors that count, and why, when not verified.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reading {
    pub state: State,
    /// The verdict's errors, without "no key found" when no key was given at all (that is the
    /// reason the signature went unchecked, not a fault of the token).
    pub errors: Vec<Problem>,
    /// False when no trusted key was given (nor a chain to the anchors), so the signature
    /// could not be checked.
    pub signature_checked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

/// Read `verdict` of a token (`signed`: a JWS) under a policy that holds trusted keys or not
/// (`keys_given`). A chain checked against trust anchors brings its own key.
pub fn read(verdict: &Verdict, keys_given: bool, signed: bool) -> Reading {
    let no_keys = !keys_given && verdict.chain.is_none();
    let errors: Vec<Problem> = verdict
        .errors
        .iter()
        .filter(|e| !(no_keys && e.code == ErrorCode::KeyNotFound))
        .cloned()
        .collect();
    let (state, note) = if !errors.is_empty() {
        let note = (no_keys && signed)
            .then_some("The signature was not checked: no trusted keys are given.");
        (State::Invalid, note)
    } else if no_keys {
        (
            State::Unverified,
            Some("No trusted keys: paste the issuer's key set (or fetch it) to check the signature. Everything else checks out."),
        )
    } else if verdict.valid {
        (State::Valid, None)
    } else {
        (State::Invalid, None)
    };
    Reading {
        state,
        errors,
        signature_checked: !no_keys,
        note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(valid: bool, codes: &[ErrorCode]) -> Verdict {
        Verdict {
            valid,
            errors: codes.iter().map(|c| Problem::new(*c, "why")).collect(),
            ..Verdict::default()
        }
    }

    #[test]
    fn no_keys_makes_a_token_that_passes_everything_else_unverified() {
        let r = read(&verdict(false, &[ErrorCode::KeyNotFound]), false, true);
        assert_eq!(r.state, State::Unverified);
        assert!(r.errors.is_empty());
        assert!(r.note.is_some() && !r.signature_checked);
    }

    #[test]
    fn other_errors_make_it_invalid_and_say_the_signature_went_unchecked() {
        let r = read(
            &verdict(false, &[ErrorCode::KeyNotFound, ErrorCode::Expired]),
            false,
            true,
        );
        assert_eq!(r.state, State::Invalid);
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].code, ErrorCode::Expired);
        assert!(r.note.is_some_and(|n| n.contains("not checked")));
    }

    #[test]
    fn with_keys_the_verdict_stands() {
        assert_eq!(read(&verdict(true, &[]), true, true).state, State::Valid);
        let r = read(&verdict(false, &[ErrorCode::KeyNotFound]), true, true);
        assert_eq!((r.state, r.errors.len(), r.note), (State::Invalid, 1, None));
    }
}
