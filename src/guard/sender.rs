//! The gate's part in sender-constrained tokens: ask [`crate::dpop::binding`] about a valid
//! token, and answer a refusal as RFC 9449 §7.1 and RFC 8705 §3 say.

use super::{challenge, BearerError, Decision, Gate};
use crate::dpop::binding::{self, Presented};
use crate::dpop::{proof::names, Answer, Mode};
use crate::error::Problem;
use crate::guard::Request;
use crate::verify::Verifier;
use serde_json::{Map, Value};

impl Gate<'_> {
    /// The refusal of a valid token whose binding the request does not prove; `None` when it
    /// does (or the token is not bound and no proof is due).
    pub(super) fn sender_refusal(
        &mut self,
        token: &str,
        claims: &Map<String, Value>,
        now: i64,
    ) -> Option<Decision> {
        let policy = self.verifier.policy();
        let presented = Presented {
            request: self.req,
            token,
            claims,
            now,
            leeway: policy.leeway,
        };
        let refusal = match binding::check(&policy.token, self.verifier.replay(), presented) {
            Ok(accepted) => {
                if accepted.proof && !policy.forward.keep_token {
                    self.drop_headers.push("dpop".into());
                }
                if let Some(n) = accepted.nonce {
                    self.response_headers.push(("dpop-nonce".into(), n));
                }
                return None;
            }
            Err(r) => r,
        };
        self.log.rule = Some(refusal.rule);
        if let Some(n) = &refusal.nonce {
            self.response_headers.push(("dpop-nonce".into(), n.clone()));
        }
        let problem = Problem::new(refusal.code, refusal.message.clone());
        let mut d = self.take().deny(
            BearerError::InvalidToken,
            &refusal.message,
            std::slice::from_ref(&problem),
            None,
        );
        let realm = &policy.token.realm;
        let algs = names(&policy.token.dpop_algorithms);
        let error = match refusal.answer {
            Answer::InvalidProof => "invalid_dpop_proof",
            Answer::UseNonce => "use_dpop_nonce",
            Answer::DpopInvalidToken | Answer::BearerInvalidToken => "invalid_token",
        };
        if refusal.answer != Answer::BearerInvalidToken {
            d.www_authenticate = Some(challenge::dpop(realm, error, &refusal.message, &algs));
        }
        d.body = Some(challenge::body_named(
            error,
            &refusal.message,
            &[problem],
            None,
            Some(refusal.rule),
        ));
        Some(d)
    }
}

/// The challenge of any refusal (RFC 9449 §7.1): `bearer` as it is, except for a request that
/// sent its token with the DPoP scheme, or that has no token where DPoP is required, which gets
/// the same attributes under the DPoP scheme with the algorithms proofs may use.
pub(super) fn challenge(
    verifier: &Verifier,
    req: &Request,
    error: BearerError,
    bearer: String,
) -> String {
    let token = &verifier.policy().token;
    let due = token.dpop != Mode::Off
        && (binding::uses_dpop_scheme(req)
            || (error == BearerError::None && token.dpop == Mode::Required));
    match bearer.strip_prefix("Bearer ") {
        Some(rest) if due => format!("DPoP {rest}, algs=\"{}\"", names(&token.dpop_algorithms)),
        _ => bearer,
    }
}
