//! The binding rules: which requests need a proof, and whether the token belongs to the proof's
//! key or the connection's client certificate.

use super::htu::Origin;
use super::proof::{self, Expected};
use super::replay::{proof_id, Ledger};
use super::{Answer, Mode, Refusal};
use crate::guard::Request;
use crate::policy::hosts::TokenSources;
use crate::token::base64url;
use serde_json::{Map, Value};

/// A request whose token passed verification, with what the binding check needs.
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    /// The request in canonical form.
    pub request: &'a Request,
    pub token: &'a str,
    /// The token's verified claims.
    pub claims: &'a Map<String, Value>,
    pub now: i64,
    pub leeway: u64,
}

/// What the check accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accepted {
    /// A DPoP proof was checked (the `DPoP` header is the gate's, not the upstream's).
    pub proof: bool,
    /// The nonce to send the client for its next proof (`DPoP-Nonce`), when nonces are on.
    pub nonce: Option<String>,
}

/// Does the request send its token with the `DPoP` authorization scheme?
pub fn uses_dpop_scheme(req: &Request) -> bool {
    req.header_values("authorization").any(|v| {
        v.trim_start()
            .split(char::is_whitespace)
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case("DPoP"))
    })
}

/// Check the token's binding (`cnf`) and, when one is due, its DPoP proof.
pub fn check(settings: &TokenSources, ledger: &Ledger, p: Presented) -> Result<Accepted, Refusal> {
    let cnf = match p.claims.get("cnf") {
        None => None,
        Some(Value::Object(c)) => Some(c),
        Some(_) => {
            return Err(Refusal::binding(
                "cnf.malformed",
                Answer::DpopInvalidToken,
                "The token's \"cnf\" claim is not a JSON object, so what it is bound to cannot be read.",
            ))
        }
    };
    let member = |name: &str| -> Result<Option<&str>, Refusal> {
        match cnf.and_then(|c| c.get(name)) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Refusal::binding(
                "cnf.malformed",
                Answer::DpopInvalidToken,
                format!("The token's \"cnf.{name}\" is not a string."),
            )),
        }
    };
    if let Some(x5t) = member("x5t#S256")? {
        certificate(x5t, p.request.client_cert_sha256.as_deref())?;
    }
    if settings.dpop == Mode::Off {
        return Ok(Accepted::default());
    }
    let jkt = member("jkt")?;
    if !uses_dpop_scheme(p.request) {
        if jkt.is_some() {
            return Err(Refusal::binding(
                "dpop.bearer-downgrade",
                Answer::DpopInvalidToken,
                "The token is bound to a DPoP key (\"cnf.jkt\") but was sent as a bearer token: send it with the DPoP scheme and a proof.",
            ));
        }
        if settings.dpop == Mode::Required {
            return Err(Refusal::proof(
                "dpop.required",
                "This API takes DPoP-bound tokens only: send the token with the DPoP scheme and a DPoP proof header.",
            ));
        }
        return Ok(Accepted::default());
    }
    let proofs: Vec<&str> = p.request.header_values("dpop").collect();
    let text = match proofs.as_slice() {
        [] => {
            return Err(Refusal::proof(
                "dpop.missing",
                "The token is sent with the DPoP scheme but the request has no DPoP proof header.",
            ))
        }
        // Hosts join repeated header lines with commas; a JWS never holds one.
        [one] if !one.contains(',') => one.trim(),
        _ => {
            return Err(Refusal::proof(
                "dpop.header-count",
                "The request carries more than one DPoP proof; send exactly one DPoP header (RFC 9449 §4.3).",
            ))
        }
    };
    let origin_text = settings
        .public_origin
        .as_deref()
        .or(p.request.origin.as_deref())
        .ok_or_else(|| {
            Refusal::proof(
                "dpop.origin-unknown",
                "The gateway does not know this request's external URL, so it cannot check the proof's \"htu\": set \"token.public_origin\" in the policy.",
            )
        })?;
    let origin = Origin::parse(origin_text).map_err(|e| {
        Refusal::proof(
            "dpop.origin-unknown",
            format!("The request's external origin cannot be read ({e}): set \"token.public_origin\" in the policy."),
        )
    })?;
    let expected = Expected {
        method: &p.request.method,
        origin: &origin,
        path: &p.request.path,
        access_token: p.token,
        algorithms: &settings.dpop_algorithms,
        now: p.now,
        max_age: settings.dpop_max_age,
        leeway: p.leeway,
    };
    let proof = proof::check(text, &expected)?;
    match jkt {
        None => {
            return Err(Refusal::binding(
                "dpop.unbound-token",
                Answer::DpopInvalidToken,
                "The token is sent with the DPoP scheme but is not bound to a key (no \"cnf.jkt\"): ask the authorization server for a DPoP-bound token.",
            ))
        }
        Some(j) if j != proof.jkt => {
            return Err(Refusal::binding(
                "dpop.jkt",
                Answer::DpopInvalidToken,
                "The token is bound to another key than the one that signed the DPoP proof (\"cnf.jkt\" is not the proof key's thumbprint).",
            ))
        }
        Some(_) => {}
    }
    let mut fresh = None;
    if let Some(secret) = &settings.dpop_nonce_secret {
        let (now, window) = (p.now, settings.dpop_max_age);
        let current = super::nonce::current(secret, now, window);
        let good = proof
            .nonce
            .as_deref()
            .is_some_and(|n| super::nonce::accepts(secret, n, now, window));
        if !good {
            let mut r = Refusal::proof(
                "dpop.nonce",
                "This server requires a DPoP nonce: make a new proof with the nonce in the DPoP-Nonce response header.",
            );
            r.answer = Answer::UseNonce;
            r.nonce = Some(current);
            return Err(r);
        }
        fresh = Some(current);
    }
    // Last, so a proof refused for another reason is not remembered as used.
    let until = proof
        .iat
        .saturating_add(settings.dpop_max_age as i64)
        .saturating_add(p.leeway as i64);
    if !ledger.first_use(proof_id(&proof.jkt, &proof.jti), until, p.now) {
        return Err(Refusal::proof(
            "dpop.replay",
            "This DPoP proof was used before (same \"jti\"): make a fresh proof for each request.",
        ));
    }
    Ok(Accepted {
        proof: true,
        nonce: fresh,
    })
}

/// RFC 8705 §3: the token is good only over a connection with the certificate it names.
fn certificate(x5t: &str, presented: Option<&str>) -> Result<(), Refusal> {
    let Some(presented) = presented else {
        return Err(Refusal::binding(
            "mtls.no-certificate",
            Answer::BearerInvalidToken,
            "The token is bound to a client certificate (\"cnf.x5t#S256\") but the connection presented none (or none the gateway verified).",
        ));
    };
    if certificate_thumbprint(presented).as_deref() != Some(x5t) {
        return Err(Refusal::binding(
            "mtls.x5t",
            Answer::BearerInvalidToken,
            "The token is bound to another client certificate than the one on this connection (\"cnf.x5t#S256\").",
        ));
    }
    Ok(())
}

/// A certificate's SHA-256 thumbprint as hosts give it (64 hex digits, with or without colons,
/// or base64url) in the `x5t#S256` form: base64url of the 32 bytes. `None` when unreadable.
pub fn certificate_thumbprint(text: &str) -> Option<String> {
    let hex: String = text.chars().filter(|c| *c != ':').collect();
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        let bytes: Option<Vec<u8>> = (0..32)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
            .collect();
        return bytes.map(|b| base64url::encode(&b));
    }
    match base64url::decode(text) {
        Ok(b) if b.len() == 32 => Some(text.to_owned()),
        _ => None,
    }
}
