//! Certificate chains to trust anchors (RFC 5280 §6, simplified to what signed tokens need):
//! a token whose header carries `x5c` is verified with its first certificate's key only if the
//! certificates build a path to one of the policy's `trust_anchors`, with every signature
//! checked, every certificate valid at `now`, CA constraints, path lengths and key usage
//! respected, no loops, and revocation known (CRLs given in the policy) unless the policy says
//! revocation is not checked. Pure: no fetching, no clock.

pub mod cert;
mod chain;

pub use cert::{Certificate, Crl};
pub use chain::{validate, CertSummary, ChainReport};

use crate::keys::pem;
use crate::limits::Limits;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether a chain's revocation status must be known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Revocation {
    /// Every certificate below the anchor needs a current CRL from its issuer in the policy's
    /// `crls`; without one the chain is refused (the default).
    #[default]
    Required,
    /// CRLs that are given are used; a certificate without one is accepted with the warning
    /// `certificate_revocation_not_checked` on every verdict.
    BestEffort,
}

/// Anchors and CRLs parsed once from the policy.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    pub anchors: Vec<Certificate>,
    pub crls: Vec<Crl>,
    pub revocation: Revocation,
}

impl TrustStore {
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// Read `trust_anchors` (a PEM string holding certificates, or an array of them) and
    /// `crls` (PEM `X509 CRL` blocks or base64 DER). Errors name what to fix.
    pub fn from_policy(
        anchors: Option<&Value>,
        crls: &[String],
        revocation: Revocation,
        limits: &Limits,
    ) -> Result<TrustStore, String> {
        let mut store = TrustStore {
            revocation,
            ..TrustStore::default()
        };
        let Some(anchors) = anchors else {
            return Ok(store);
        };
        let texts: Vec<&str> = match anchors {
            Value::String(s) => vec![s.as_str()],
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().ok_or("each trust anchor must be a PEM string"))
                .collect::<Result<_, _>>()?,
            _ => return Err("trust_anchors must be a PEM string or an array of them".into()),
        };
        for text in texts {
            for der in der_blocks(text, &["CERTIFICATE", "TRUSTED CERTIFICATE"])? {
                if der.len() > limits.max_certificate_bytes {
                    return Err(format!(
                        "a trust anchor is {} bytes, over limits.max_certificate_bytes ({})",
                        der.len(),
                        limits.max_certificate_bytes
                    ));
                }
                let cert = Certificate::parse(&der)
                    .map_err(|e| format!("a trust anchor cannot be read: {e}"))?;
                if let Err(e) = &cert.key {
                    return Err(format!(
                        "the trust anchor {} has an unusable key: {e}",
                        cert::display_name(&cert.subject)
                    ));
                }
                store.anchors.push(cert);
            }
        }
        if store.anchors.is_empty() {
            return Err("trust_anchors holds no certificate".into());
        }
        for text in crls {
            for der in der_blocks(text, &["X509 CRL"])? {
                if der.len() > limits.max_crl_bytes {
                    return Err(format!(
                        "a CRL is {} bytes, over limits.max_crl_bytes ({})",
                        der.len(),
                        limits.max_crl_bytes
                    ));
                }
                store.crls.push(
                    Crl::parse(&der, limits.max_crl_bytes / 16)
                        .map_err(|e| format!("a CRL cannot be read: {e}"))?,
                );
            }
        }
        Ok(store)
    }
}

/// DER bodies of the PEM blocks with one of `labels` in `text`, or `text` itself as base64.
fn der_blocks(text: &str, labels: &[&str]) -> Result<Vec<Vec<u8>>, String> {
    if !text.contains("-----BEGIN ") {
        let compact: String = text.split_whitespace().collect();
        return base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map(|d| vec![d])
            .map_err(|_| "expected PEM or base64 DER".to_string());
    }
    let mut out = Vec::new();
    for block in pem::blocks(text)? {
        if !labels.contains(&block.label.as_str()) {
            return Err(format!(
                "a PEM \"{}\" block where {} was expected",
                block.label,
                labels.join(" or ")
            ));
        }
        out.push(block.der);
    }
    Ok(out)
}

/// The `x5c` header as DER certificates (standard base64, RFC 7515 §4.1.6), bounded.
pub fn x5c_certificates(x5c: &Value, limits: &Limits) -> Result<Vec<Certificate>, (usize, String)> {
    let Value::Array(items) = x5c else {
        return Err((0, "x5c is not an array".into()));
    };
    if items.is_empty() {
        return Err((0, "x5c is empty".into()));
    }
    if items.len() > limits.max_chain_length {
        return Err((
            0,
            format!(
                "x5c holds {} certificates, over limits.max_chain_length ({})",
                items.len(),
                limits.max_chain_length
            ),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let text = item.as_str().unwrap_or_default();
        if text.len() > limits.max_certificate_bytes.saturating_mul(4) / 3 + 4 {
            return Err((
                i,
                format!(
                    "certificate {i} is over limits.max_certificate_bytes ({})",
                    limits.max_certificate_bytes
                ),
            ));
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(|_| (i, format!("certificate {i} is not standard base64 DER")))?;
        let cert = Certificate::parse(&der).map_err(|e| (i, format!("certificate {i}: {e}")))?;
        out.push(cert);
    }
    Ok(out)
}
