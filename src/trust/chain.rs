//! Building and checking one path: leaf → (x5c intermediates) → trust anchor.

use super::cert::{
    display_name, Certificate, Crl, SigAlg, KU_CRL_SIGN, KU_DIGITAL_SIGNATURE, KU_KEY_CERT_SIGN,
};
use super::{Revocation, TrustStore};
use crate::alg::{self, Algorithm, Hash};
use crate::keys::KeyMaterial;
use crate::time;
use serde::Serialize;

/// One certificate as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    /// The serial number in hex.
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub san_uris: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub san_dns: Vec<String>,
    pub ca: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_len: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub key_usage: Vec<&'static str>,
    pub signature_algorithm: String,
    /// `leaf`, `intermediate` or `anchor`.
    pub role: &'static str,
    /// `ok`, `unchecked` (not reached), or the sentence saying what is wrong with it.
    pub status: String,
}

/// What chain validation found: the path (leaf first, the anchor last when one was reached),
/// the revocation outcome, and the first problem.
#[derive(Debug, Clone, Serialize)]
pub struct ChainReport {
    pub valid: bool,
    pub certificates: Vec<CertSummary>,
    /// `checked` (a current CRL for every certificate), `not_checked` (best effort, some had
    /// none) or `unknown`.
    pub revocation: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The leaf's URI subject alternative names (UDAP: one must equal `iss`).
    #[serde(skip)]
    pub leaf_san_uris: Vec<String>,
    /// The leaf's key, when the chain is valid.
    #[serde(skip)]
    pub leaf_key: Option<KeyMaterial>,
}

fn summary(c: &Certificate, role: &'static str) -> CertSummary {
    let mut key_usage = Vec::new();
    if let Some(ku) = c.key_usage {
        for (bit, name) in [
            (KU_DIGITAL_SIGNATURE, "digitalSignature"),
            (1 << 1, "nonRepudiation"),
            (1 << 2, "keyEncipherment"),
            (1 << 3, "dataEncipherment"),
            (1 << 4, "keyAgreement"),
            (KU_KEY_CERT_SIGN, "keyCertSign"),
            (KU_CRL_SIGN, "cRLSign"),
        ] {
            if ku & bit != 0 {
                key_usage.push(name);
            }
        }
    }
    CertSummary {
        subject: display_name(&c.subject),
        issuer: display_name(&c.issuer),
        serial: c.serial.iter().map(|b| format!("{b:02x}")).collect(),
        not_before: time::utc(c.not_before),
        not_after: time::utc(c.not_after),
        san_uris: c.san_uris.clone(),
        san_dns: c.san_dns.clone(),
        ca: c.is_ca(),
        path_len: c.basic_constraints.and_then(|b| b.1),
        key_usage,
        signature_algorithm: match c.sig_alg {
            Ok(a) => a.name().to_string(),
            Err(_) => "unsupported".into(),
        },
        role,
        status: "unchecked".into(),
    }
}

/// Check `signature` by `issuer_key` over `message` under a certificate signature algorithm.
fn check_sig(
    sig_alg: &Result<SigAlg, String>,
    issuer_key: &Result<KeyMaterial, String>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    let sig_alg = sig_alg.as_ref().map_err(Clone::clone)?;
    let key = issuer_key
        .as_ref()
        .map_err(|e| format!("the issuer's key is unusable: {e}"))?;
    let jws = |h: Hash, rs: [Algorithm; 3]| match h {
        Hash::Sha256 => rs[0],
        Hash::Sha384 => rs[1],
        Hash::Sha512 => rs[2],
    };
    let outcome = match *sig_alg {
        SigAlg::RsaPkcs1(h) => alg::verify(
            jws(h, [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512]),
            key,
            message,
            signature,
        ),
        SigAlg::RsaPss(h) => alg::verify(
            jws(h, [Algorithm::PS256, Algorithm::PS384, Algorithm::PS512]),
            key,
            message,
            signature,
        ),
        SigAlg::Ecdsa(h) => alg::verify_ecdsa_der(h, key, message, signature),
        SigAlg::Ed25519 => alg::verify(Algorithm::EdDSA, key, message, signature),
    };
    outcome.map_err(|e| match e {
        alg::SignatureError::KeyMismatch(w) | alg::SignatureError::Invalid(w) => w,
    })
}

/// Build the path from `chain[0]` (the leaf) through the other `chain` certificates to an
/// anchor of `store`, and check it at `now` (± `leeway`).
pub fn validate(
    chain: &[Certificate],
    store: &TrustStore,
    fetched_crls: &[Crl],
    now: i64,
    leeway: i64,
    max_chain_length: usize,
) -> ChainReport {
    let mut report = ChainReport {
        valid: false,
        certificates: Vec::new(),
        revocation: "unknown",
        error: None,
        leaf_san_uris: chain
            .first()
            .map(|c| c.san_uris.clone())
            .unwrap_or_default(),
        leaf_key: None,
    };
    let Some(leaf) = chain.first() else {
        report.error = Some("x5c holds no certificate".into());
        return report;
    };
    // Path building: indices into `chain`, then the anchor that signed the last one.
    let mut path: Vec<usize> = vec![0];
    let mut anchor: Option<&Certificate> = None;
    let mut failure: Option<String> = None;
    loop {
        let current = &chain[path[path.len() - 1]];
        // The certificate is itself an anchor (x5c may end with the root).
        if let Some(a) = store.anchors.iter().find(|a| a.der == current.der) {
            anchor = Some(a);
            path.pop();
            break;
        }
        let mut signer_problem = None;
        if let Some(a) = store.anchors.iter().find(|a| {
            a.subject == current.issuer
                && check_sig(&current.sig_alg, &a.key, current.tbs(), &current.signature).is_ok()
        }) {
            anchor = Some(a);
            break;
        }
        if store.anchors.iter().any(|a| a.subject == current.issuer) {
            signer_problem = Some(format!(
                "the signature on {} does not verify with the trust anchor of that name",
                display_name(&current.subject)
            ));
        }
        let named: Vec<usize> = (0..chain.len())
            .filter(|&i| chain[i].subject == current.issuer && !path.contains(&i))
            .collect();
        let mut next = None;
        for &i in &named {
            match check_sig(
                &current.sig_alg,
                &chain[i].key,
                current.tbs(),
                &current.signature,
            ) {
                Ok(()) => {
                    next = Some(i);
                    break;
                }
                Err(e) => {
                    signer_problem = Some(format!(
                        "the signature on {} by {} does not verify: {e}",
                        display_name(&current.subject),
                        display_name(&chain[i].subject)
                    ))
                }
            }
        }
        match next {
            Some(i) => {
                if path.len() >= max_chain_length {
                    failure = Some(format!(
                        "the chain is longer than limits.max_chain_length ({max_chain_length})"
                    ));
                    break;
                }
                path.push(i);
            }
            None => {
                let looped = (0..chain.len())
                    .any(|i| chain[i].subject == current.issuer && path.contains(&i))
                    && !current.self_issued();
                failure = Some(if let Some(p) = signer_problem {
                    p
                } else if looped {
                    format!(
                        "the chain loops: {} is issued by {}, which is already in the path",
                        display_name(&current.subject),
                        display_name(&current.issuer)
                    )
                } else if current.self_issued() {
                    format!(
                        "the chain ends at the self-signed {}, which is not one of the policy's trust anchors",
                        display_name(&current.subject)
                    )
                } else {
                    format!(
                        "no trust anchor or x5c certificate is named {}, the issuer of {} (a missing intermediate, or a chain to another anchor)",
                        display_name(&current.issuer),
                        display_name(&current.subject)
                    )
                });
                break;
            }
        }
    }
    for (n, &i) in path.iter().enumerate() {
        report.certificates.push(summary(
            &chain[i],
            if n == 0 { "leaf" } else { "intermediate" },
        ));
    }
    if let Some(a) = anchor {
        report.certificates.push(summary(a, "anchor"));
    }
    if path.is_empty() {
        // The leaf itself is an anchor: trusted as configured.
        report.certificates[0].role = "leaf";
    }
    if let Some(f) = failure {
        if let Some(last) = report.certificates.last_mut() {
            last.status = f.clone();
        }
        report.error = Some(f);
        return report;
    }
    let Some(anchor) = anchor else {
        report.error = Some("no trust anchor was reached".into());
        return report;
    };
    // Checks on each certificate of the path, leaf first; the anchor's constraints too.
    let certs: Vec<&Certificate> = path.iter().map(|&i| &chain[i]).chain([anchor]).collect();
    let below = certs.len().saturating_sub(1);
    for (n, c) in certs.iter().enumerate() {
        let is_anchor = n == below;
        let problem = cert_problem(c, n, is_anchor, now, leeway);
        let slot = &mut report.certificates[n];
        match problem {
            Some(p) => {
                slot.status = p.clone();
                report.error.get_or_insert(p);
            }
            None => slot.status = "ok".into(),
        }
    }
    if report.error.is_some() {
        return report;
    }
    // Revocation: each certificate below the anchor, against its issuer's CRL.
    let mut all_checked = true;
    let crls: Vec<&Crl> = store.crls.iter().chain(fetched_crls).collect();
    for n in 0..below {
        match revocation_status(certs[n], certs[n + 1], &crls, now, leeway) {
            Status::Good => {}
            Status::Revoked(at) => {
                let p = format!(
                    "{} was revoked at {}",
                    display_name(&certs[n].subject),
                    time::utc(at)
                );
                report.certificates[n].status = p.clone();
                report.error = Some(p);
                return report;
            }
            Status::Unknown(why) => {
                all_checked = false;
                if store.revocation == Revocation::Required {
                    let p = format!(
                        "the revocation status of {} is unknown ({why}), and the policy requires it",
                        display_name(&certs[n].subject)
                    );
                    report.certificates[n].status = p.clone();
                    report.error = Some(p);
                    return report;
                }
            }
        }
    }
    report.revocation = if all_checked {
        "checked"
    } else {
        "not_checked"
    };
    match &leaf.key {
        Ok(k) => {
            report.leaf_key = Some(k.clone());
            report.valid = true;
        }
        Err(e) => report.error = Some(format!("the leaf certificate's key is unusable: {e}")),
    }
    report
}

/// What is wrong with the `n`th certificate of a path (0 = leaf), if anything.
fn cert_problem(
    c: &Certificate,
    n: usize,
    is_anchor: bool,
    now: i64,
    leeway: i64,
) -> Option<String> {
    let name = display_name(&c.subject);
    if let Some(oid) = c.unknown_critical.first() {
        return Some(format!(
            "{name} has the critical extension {oid}, which azlens does not understand"
        ));
    }
    if !is_anchor {
        if now + leeway < c.not_before {
            return Some(format!(
                "{name} is not valid until {}",
                time::utc(c.not_before)
            ));
        }
        if now - leeway > c.not_after {
            return Some(format!("{name} expired at {}", time::utc(c.not_after)));
        }
    }
    if n == 0 {
        if let Some(ku) = c.key_usage {
            if ku & KU_DIGITAL_SIGNATURE == 0 {
                return Some(format!(
                    "{name} signed the token, but its key usage lacks digitalSignature"
                ));
            }
        }
        return None;
    }
    // An issuer of certificates: a v3 CA certificate with keyCertSign.
    match c.basic_constraints {
        Some((true, path_len)) => {
            // Intermediate CAs between this one and the leaf.
            let intermediates = (n - 1) as u32;
            if let Some(max) = path_len {
                if intermediates > max {
                    return Some(format!(
                        "{name} allows {max} intermediate CA certificate(s) below it (pathLenConstraint), and this path has {intermediates}"
                    ));
                }
            }
        }
        _ if is_anchor && c.version < 3 => {}
        _ => {
            return Some(format!(
                "{name} issued a certificate but is not a CA (basicConstraints cA is not true)"
            ))
        }
    }
    match c.key_usage {
        Some(ku) if ku & KU_KEY_CERT_SIGN == 0 => Some(format!(
            "{name} issued a certificate but its key usage lacks keyCertSign"
        )),
        None if !is_anchor => Some(format!(
            "{name} is a CA certificate without key usage (RFC 5280 §4.2.1.3 requires keyCertSign)"
        )),
        _ => None,
    }
}

enum Status {
    Good,
    Revoked(i64),
    Unknown(String),
}

fn revocation_status(
    c: &Certificate,
    issuer: &Certificate,
    crls: &[&Crl],
    now: i64,
    leeway: i64,
) -> Status {
    let mut why = "no CRL from its issuer was given".to_string();
    for crl in crls.iter().filter(|l| l.issuer == c.issuer) {
        if let Err(e) = check_sig(&crl.sig_alg, &issuer.key, crl.tbs(), &crl.signature) {
            why = format!("the CRL's signature does not verify: {e}");
            continue;
        }
        if issuer.key_usage.is_some_and(|ku| ku & KU_CRL_SIGN == 0) {
            why = "the CRL's issuer lacks the cRLSign key usage".into();
            continue;
        }
        if let Some(oid) = crl.unknown_critical.first() {
            why = format!(
                "the CRL has the critical extension {oid}, which azlens does not understand"
            );
            continue;
        }
        if crl.this_update > now + leeway {
            why = "the CRL is not yet in effect".into();
            continue;
        }
        match crl.next_update {
            Some(next) if next + leeway >= now => {}
            Some(next) => {
                why = format!(
                    "the CRL is out of date (next update was due {})",
                    time::utc(next)
                );
                continue;
            }
            None => {
                why = "the CRL has no nextUpdate".into();
                continue;
            }
        }
        if let Some((_, at)) = crl.revoked.iter().find(|(s, _)| s == &c.serial) {
            return Status::Revoked(*at);
        }
        return Status::Good;
    }
    Status::Unknown(why)
}
