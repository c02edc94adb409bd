//! Public keys in DER: SubjectPublicKeyInfo (RFC 5280 §4.1.2.7, the PEM `PUBLIC KEY`), PKCS#1
//! `RSAPublicKey` (RFC 8017 §A.1.1, the PEM `RSA PUBLIC KEY`) and the key inside an X.509
//! certificate (the `.cer` a CDS Hooks EHR may hand out).

use crate::alg::KeyMaterial;
use crate::der::{self, Reader};

const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// A DER SubjectPublicKeyInfo.
pub fn from_spki(bytes: &[u8]) -> Result<KeyMaterial, String> {
    let mut outer = Reader::new(bytes);
    let spki = outer.element(der::SEQUENCE, "a SubjectPublicKeyInfo SEQUENCE")?;
    if !outer.is_empty() {
        return Err("there are bytes after the SubjectPublicKeyInfo".into());
    }
    let mut r = Reader::new(spki);
    let mut alg = Reader::new(r.element(der::SEQUENCE, "an AlgorithmIdentifier")?);
    let oid = alg.element(der::OID, "an algorithm OID")?;
    let key = r.bit_string("the subjectPublicKey")?;
    if oid == RSA_ENCRYPTION {
        from_pkcs1(key)
    } else if oid == RSASSA_PSS {
        // RFC 4055 §1.2: a key so marked is for RSASSA-PSS only (its hash parameters, when
        // present, are not checked: the token's PS* algorithm names the hash).
        match from_pkcs1(key)? {
            KeyMaterial::Rsa(k) => Ok(KeyMaterial::RsaPss(k)),
            other => Ok(other),
        }
    } else if oid == EC_PUBLIC_KEY {
        let curve = alg.element(der::OID, "a named curve")?;
        if curve == P256 {
            KeyMaterial::p256_sec1(key)
        } else if curve == P384 {
            KeyMaterial::p384_sec1(key)
        } else if curve == P521 {
            KeyMaterial::p521_sec1(key)
        } else {
            Err(
                "the EC key is on a curve azlens does not support (P-256, P-384 and P-521 only)"
                    .into(),
            )
        }
    } else if oid == ED25519 {
        KeyMaterial::ed25519(key)
    } else {
        Err("the public key's algorithm is not RSA, EC (P-256/384/521) or Ed25519".into())
    }
}

/// A DER PKCS#1 RSAPublicKey: `SEQUENCE { n INTEGER, e INTEGER }`.
pub fn from_pkcs1(bytes: &[u8]) -> Result<KeyMaterial, String> {
    let mut outer = Reader::new(bytes);
    let mut r = Reader::new(outer.element(der::SEQUENCE, "an RSAPublicKey SEQUENCE")?);
    let n = r.unsigned_integer("the RSA modulus")?;
    let e = r.unsigned_integer("the RSA exponent")?;
    if !r.is_empty() || !outer.is_empty() {
        return Err("the RSAPublicKey has trailing data".into());
    }
    KeyMaterial::rsa(n, e)
}

/// The subject public key of a DER X.509 certificate. The certificate's own signature, chain
/// and validity are not checked: the certificate is only a container for a key exchanged out of
/// band, as CDS Hooks allows.
pub fn from_certificate(bytes: &[u8]) -> Result<KeyMaterial, String> {
    let mut outer = Reader::new(bytes);
    let mut cert = Reader::new(outer.element(der::SEQUENCE, "a Certificate SEQUENCE")?);
    let mut tbs = Reader::new(cert.element(der::SEQUENCE, "a TBSCertificate")?);
    if tbs.peek_tag() == Some(der::CONTEXT_0) {
        tbs.any()?; // version
    }
    tbs.element(der::INTEGER, "a serial number")?;
    tbs.element(der::SEQUENCE, "a signature algorithm")?;
    tbs.element(der::SEQUENCE, "an issuer name")?;
    tbs.element(der::SEQUENCE, "a validity period")?;
    tbs.element(der::SEQUENCE, "a subject name")?;
    let (tag, spki) = tbs.any()?;
    if tag != der::SEQUENCE {
        return Err("expected the subject public key info in the certificate".into());
    }
    // Re-wrap so from_spki sees the SEQUENCE header it expects.
    let mut wrapped = Vec::with_capacity(spki.len() + 6);
    wrapped.push(der::SEQUENCE);
    push_length(&mut wrapped, spki.len());
    wrapped.extend_from_slice(spki);
    from_spki(&wrapped)
}

fn push_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}
