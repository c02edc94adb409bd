//! Sender-constrained tokens: DPoP proofs (RFC 9449) and certificate-bound tokens (RFC 8705).
//!
//! A bearer token works for whoever holds it; a bound token names a key (`cnf.jkt`) or a client
//! certificate (`cnf["x5t#S256"]`) and works only for the client that proves it holds it. The
//! gate ([`crate::guard`]) asks [`binding::check`] once the token itself is valid; hosts only pass
//! the request's external origin and the client certificate's thumbprint
//! ([`crate::guard::Request`]).

pub mod binding;
pub mod htu;
pub mod nonce;
pub mod proof;
pub mod replay;
pub mod thumbprint;

use crate::alg::Algorithm;
use crate::error::ErrorCode;
use serde::Deserialize;

/// `token.dpop`: when a DPoP proof is checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The `DPoP` scheme is not accepted and `cnf.jkt` is not checked (another component does).
    Off,
    /// Checked when the token comes with the `DPoP` scheme or is bound (`cnf.jkt`); plain
    /// bearer tokens still pass.
    #[default]
    Allowed,
    /// Every token must come with the `DPoP` scheme and a valid proof.
    Required,
}

/// `token.dpop_max_age` by default: how long after its `iat` a proof is accepted, in seconds.
pub const DEFAULT_MAX_AGE: u64 = 300;
/// `token.dpop_replay_entries` by default: proofs remembered per replay memory. At
/// [`replay::BYTES_PER_ENTRY`] each that is at most 2.5 MiB.
pub const DEFAULT_REPLAY_ENTRIES: usize = 32_768;

/// `token.dpop_algorithms` by default: every asymmetric algorithm azlens verifies.
pub fn default_algorithms() -> Vec<Algorithm> {
    Algorithm::ALL
        .into_iter()
        .filter(|a| !a.is_symmetric())
        .collect()
}

/// The checks of the policy's DPoP settings that serde cannot express.
pub fn validate(sources: &crate::policy::hosts::TokenSources) -> Result<(), String> {
    if let Some(a) = sources.dpop_algorithms.iter().find(|a| a.is_symmetric()) {
        return Err(format!(
            "\"token.dpop_algorithms\" lists {a}: a DPoP proof is signed with the client's private key, never a shared secret"
        ));
    }
    if sources.dpop_algorithms.is_empty() && sources.dpop != Mode::Off {
        return Err("\"token.dpop_algorithms\" is empty: name the algorithms clients sign proofs with, or set \"token.dpop\": \"off\"".into());
    }
    if !(1..=3600).contains(&sources.dpop_max_age) {
        return Err(format!(
            "\"token.dpop_max_age\" is {} s; choose 1 to 3600 (proofs are made per request)",
            sources.dpop_max_age
        ));
    }
    if sources.dpop_replay_entries == 0 || sources.dpop_replay_entries > 1 << 22 {
        return Err("\"token.dpop_replay_entries\" must be 1 to 4194304".into());
    }
    if let Some(secret) = &sources.dpop_nonce_secret {
        if secret.len() < nonce::MIN_SECRET_BYTES {
            return Err(format!(
                "\"token.dpop_nonce_secret\" is {} bytes; use at least {} random bytes",
                secret.len(),
                nonce::MIN_SECRET_BYTES
            ));
        }
    }
    if let Some(o) = &sources.public_origin {
        htu::Origin::parse(o).map_err(|e| format!("\"token.public_origin\": {e}"))?;
    }
    Ok(())
}

/// How a refusal is answered (RFC 9449 §7.1, RFC 8705 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `WWW-Authenticate: DPoP error="invalid_dpop_proof"`: the proof is at fault.
    InvalidProof,
    /// `WWW-Authenticate: DPoP error="use_dpop_nonce"` and a `DPoP-Nonce` header: the proof
    /// must carry the server's current nonce (RFC 9449 §9).
    UseNonce,
    /// `WWW-Authenticate: DPoP error="invalid_token"`: the token and the proof do not belong
    /// together, or a bound token came without its proof.
    DpopInvalidToken,
    /// `WWW-Authenticate: Bearer error="invalid_token"`: the token is bound to another client
    /// certificate.
    BearerInvalidToken,
}

/// Why a sender-constrained request was refused: the rule, its stable code, and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `dpop.htu`, `dpop.replay`, `mtls.x5t`…
    pub rule: &'static str,
    pub code: ErrorCode,
    pub answer: Answer,
    pub message: String,
    /// The nonce to send in a `DPoP-Nonce` header with the refusal.
    pub nonce: Option<String>,
}

impl Refusal {
    pub fn proof(rule: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            rule,
            code: ErrorCode::DpopProofInvalid,
            answer: Answer::InvalidProof,
            message: message.into(),
            nonce: None,
        }
    }

    pub fn binding(rule: &'static str, answer: Answer, message: impl Into<String>) -> Refusal {
        Refusal {
            rule,
            code: ErrorCode::TokenBindingMismatch,
            answer,
            message: message.into(),
            nonce: None,
        }
    }
}
