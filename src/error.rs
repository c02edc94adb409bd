//! Stable error and warning codes: the contract every host (JS, worker, Envoy, CLI) exposes.
//!
//! A code never changes meaning once published; the message is for people and may be reworded.

use serde::Serialize;
use std::fmt;

/// Why a token was rejected. Serialised in snake_case (`signature_invalid`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not a well-formed compact JWS/JWT (segments, base64url, JSON, limits).
    Malformed,
    /// A recognised token kind azlens does not verify (JWE, SAML, unsecured JWS payload forms).
    UnsupportedToken,
    /// The header's `alg` is not in the policy's allow-list (or is `none`).
    AlgNotAllowed,
    /// The header's `crit` list is invalid or names an extension azlens does not understand.
    CritUnsupported,
    /// No trusted key matches the token's `kid` and algorithm.
    KeyNotFound,
    /// A key exists but cannot be used: wrong type, too short, weak, or restricted by `use`/`key_ops`.
    KeyInvalid,
    /// The signature does not verify with the selected key.
    SignatureInvalid,
    /// `exp` is in the past (beyond the leeway).
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    IssuedInFuture,
    /// `iat` is older than the policy's maximum token age.
    TokenTooOld,
    /// `iss` is not one of the trusted issuers.
    IssuerMismatch,
    /// `aud` does not contain an expected audience.
    AudienceMismatch,
    /// The header's `typ` is not the one the policy requires.
    TypMismatch,
    /// A required claim is absent.
    MissingClaim,
    /// A claim is present but has the wrong type or an unacceptable value.
    ClaimInvalid,
    /// The token names a key source (`jku`, `x5u`, embedded `jwk`) the policy does not allow.
    KeySourceNotAllowed,
    /// A healthcare profile rule (IUA, SMART, CDS Hooks, OIDC) is not met.
    ProfileViolation,
    /// The token is valid but its scopes do not grant the requested access.
    InsufficientScope,
    /// The token's `x5c` certificate chain does not build to a trust anchor, or a certificate
    /// in it is expired, revoked, misused or its revocation status is unknown.
    ChainInvalid,
    /// The request itself cannot be read one way (its path, query, method, headers or body),
    /// so the gateway refuses it before asking what the token grants.
    RequestRefused,
    /// A key set the policy names could not be fetched (unreachable, an error status, a body
    /// over the limit), so no key could be tried.
    KeySetUnavailable,
    /// The request's DPoP proof (RFC 9449) is missing, malformed, for another request, stale,
    /// replayed or not signed by the key in its header.
    DpopProofInvalid,
    /// The token is bound (`cnf`, RFC 9449 / RFC 8705) to another key or client certificate
    /// than the request proves, or a bound token came without its proof.
    TokenBindingMismatch,
}

impl ErrorCode {
    /// Every code, in documentation order.
    pub const ALL: [ErrorCode; 24] = [
        ErrorCode::Malformed,
        ErrorCode::UnsupportedToken,
        ErrorCode::AlgNotAllowed,
        ErrorCode::CritUnsupported,
        ErrorCode::KeyNotFound,
        ErrorCode::KeyInvalid,
        ErrorCode::SignatureInvalid,
        ErrorCode::Expired,
        ErrorCode::NotYetValid,
        ErrorCode::IssuedInFuture,
        ErrorCode::TokenTooOld,
        ErrorCode::IssuerMismatch,
        ErrorCode::AudienceMismatch,
        ErrorCode::TypMismatch,
        ErrorCode::MissingClaim,
        ErrorCode::ClaimInvalid,
        ErrorCode::KeySourceNotAllowed,
        ErrorCode::ProfileViolation,
        ErrorCode::InsufficientScope,
        ErrorCode::ChainInvalid,
        ErrorCode::RequestRefused,
        ErrorCode::KeySetUnavailable,
        ErrorCode::DpopProofInvalid,
        ErrorCode::TokenBindingMismatch,
    ];

    /// The stable snake_case spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Malformed => "malformed",
            ErrorCode::UnsupportedToken => "unsupported_token",
            ErrorCode::AlgNotAllowed => "alg_not_allowed",
            ErrorCode::CritUnsupported => "crit_unsupported",
            ErrorCode::KeyNotFound => "key_not_found",
            ErrorCode::KeyInvalid => "key_invalid",
            ErrorCode::SignatureInvalid => "signature_invalid",
            ErrorCode::Expired => "expired",
            ErrorCode::NotYetValid => "not_yet_valid",
            ErrorCode::IssuedInFuture => "issued_in_future",
            ErrorCode::TokenTooOld => "token_too_old",
            ErrorCode::IssuerMismatch => "issuer_mismatch",
            ErrorCode::AudienceMismatch => "audience_mismatch",
            ErrorCode::TypMismatch => "typ_mismatch",
            ErrorCode::MissingClaim => "missing_claim",
            ErrorCode::ClaimInvalid => "claim_invalid",
            ErrorCode::KeySourceNotAllowed => "key_source_not_allowed",
            ErrorCode::ProfileViolation => "profile_violation",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::ChainInvalid => "chain_invalid",
            ErrorCode::RequestRefused => "request_refused",
            ErrorCode::KeySetUnavailable => "key_set_unavailable",
            ErrorCode::DpopProofInvalid => "dpop_proof_invalid",
            ErrorCode::TokenBindingMismatch => "token_binding_mismatch",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reason a token was rejected: a stable code, a sentence a person can act on, and the
/// claim or header parameter it concerns (`exp`, `header.alg`, `extensions.ihe_iua.subject_role`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim: Option<String>,
}

impl Problem {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Problem {
            code,
            message: message.into(),
            claim: None,
        }
    }

    pub fn at(code: ErrorCode, claim: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            code,
            message: message.into(),
            claim: Some(claim.into()),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// Something worth knowing that does not by itself reject the token. The code is a stable
/// snake_case word (`x5c_ignored`, `iua_time_in_milliseconds`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim: Option<String>,
}

impl Warning {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Warning {
            code,
            message: message.into(),
            claim: None,
        }
    }

    pub fn at(code: &'static str, claim: impl Into<String>, message: impl Into<String>) -> Self {
        Warning {
            code,
            message: message.into(),
            claim: Some(claim.into()),
        }
    }
}
