//! X.509 certificates and CRLs (RFC 5280) read with the project's bounded DER reader: only the
//! fields path validation needs, every length checked, nothing read past its element.

use crate::der::{self, Reader};
use crate::keys::spki;
use crate::keys::KeyMaterial;

const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
const KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
const EXT_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];
const SUBJECT_KEY_ID: &[u8] = &[0x55, 0x1d, 0x0e];
const AUTHORITY_KEY_ID: &[u8] = &[0x55, 0x1d, 0x23];
const CRL_NUMBER: &[u8] = &[0x55, 0x1d, 0x14];

const SHA256_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const SHA384_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
const SHA512_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
const RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const MGF1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];
const ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
const ECDSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
const SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];

/// Key usage bits (RFC 5280 §4.2.1.3), numbered from the most significant bit of the first byte.
pub const KU_DIGITAL_SIGNATURE: u16 = 1 << 0;
pub const KU_KEY_CERT_SIGN: u16 = 1 << 5;
pub const KU_CRL_SIGN: u16 = 1 << 6;

/// A certificate signature algorithm azlens verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigAlg {
    RsaPkcs1(crate::alg::Hash),
    /// RSASSA-PSS with MGF1 over the same hash and a salt as long as the hash.
    RsaPss(crate::alg::Hash),
    Ecdsa(crate::alg::Hash),
    Ed25519,
}

impl SigAlg {
    pub fn name(self) -> &'static str {
        use crate::alg::Hash::*;
        match self {
            SigAlg::RsaPkcs1(Sha256) => "sha256WithRSAEncryption",
            SigAlg::RsaPkcs1(Sha384) => "sha384WithRSAEncryption",
            SigAlg::RsaPkcs1(Sha512) => "sha512WithRSAEncryption",
            SigAlg::RsaPss(Sha256) => "RSASSA-PSS (SHA-256)",
            SigAlg::RsaPss(Sha384) => "RSASSA-PSS (SHA-384)",
            SigAlg::RsaPss(Sha512) => "RSASSA-PSS (SHA-512)",
            SigAlg::Ecdsa(Sha256) => "ecdsa-with-SHA256",
            SigAlg::Ecdsa(Sha384) => "ecdsa-with-SHA384",
            SigAlg::Ecdsa(Sha512) => "ecdsa-with-SHA512",
            SigAlg::Ed25519 => "Ed25519",
        }
    }
}

/// The parts of a certificate path validation uses.
#[derive(Debug, Clone)]
pub struct Certificate {
    /// The whole DER encoding.
    pub der: Vec<u8>,
    /// The signed part (`tbsCertificate`), offsets into `der`.
    tbs: (usize, usize),
    pub version: u8,
    pub serial: Vec<u8>,
    pub sig_alg: Result<SigAlg, String>,
    pub signature: Vec<u8>,
    /// The issuer and subject `Name`s in DER (compared byte for byte).
    pub issuer: Vec<u8>,
    pub subject: Vec<u8>,
    pub not_before: i64,
    pub not_after: i64,
    /// The subject public key as SPKI DER, and parsed (an error says why it is unusable).
    pub spki: Vec<u8>,
    pub key: Result<KeyMaterial, String>,
    /// `Some((ca, path_len))` when basicConstraints is present.
    pub basic_constraints: Option<(bool, Option<u32>)>,
    pub key_usage: Option<u16>,
    pub san_uris: Vec<String>,
    pub san_dns: Vec<String>,
    /// Critical extensions azlens does not understand (dotted OIDs).
    pub unknown_critical: Vec<String>,
}

impl Certificate {
    /// Parse one DER certificate.
    pub fn parse(bytes: &[u8]) -> Result<Certificate, String> {
        let mut outer = Reader::new(bytes);
        let cert_body = outer.element(der::SEQUENCE, "a Certificate SEQUENCE")?;
        if !outer.is_empty() {
            return Err("there are bytes after the certificate".into());
        }
        let mut cert = Reader::new(cert_body);
        let (tag, tbs_body, tbs_all) = cert.any_with_encoding()?;
        if tag != der::SEQUENCE {
            return Err("expected a TBSCertificate".into());
        }
        let outer_alg = cert.element(der::SEQUENCE, "the signature algorithm")?;
        let signature = cert.bit_string("the certificate signature")?.to_vec();
        if !cert.is_empty() {
            return Err("the certificate has extra fields".into());
        }
        let start = tbs_all.as_ptr() as usize - bytes.as_ptr() as usize;
        let tbs = (start, start + tbs_all.len());

        let mut r = Reader::new(tbs_body);
        let mut version = 1u8;
        if r.peek_tag() == Some(der::CONTEXT_0) {
            let v = Reader::new(r.element(der::CONTEXT_0, "the version")?)
                .unsigned_integer("the version")?
                .to_vec();
            version = match v.as_slice() {
                [] => 1,
                [1] => 2,
                [2] => 3,
                _ => return Err("the certificate version is not 1, 2 or 3".into()),
            };
        }
        let serial = r.element(der::INTEGER, "a serial number")?.to_vec();
        let inner_alg = r.element(der::SEQUENCE, "a signature algorithm")?;
        if inner_alg != outer_alg {
            return Err(
                "the signature algorithm inside the certificate differs from the one outside (RFC 5280 §4.1.1.2)"
                    .into(),
            );
        }
        let (_, _, issuer) = r.any_with_encoding()?;
        let mut validity = Reader::new(r.element(der::SEQUENCE, "a validity period")?);
        let not_before = read_time(&mut validity)?;
        let not_after = read_time(&mut validity)?;
        let (_, _, subject) = r.any_with_encoding()?;
        let (tag, _, spki_der) = r.any_with_encoding()?;
        if tag != der::SEQUENCE {
            return Err("expected the subject public key info".into());
        }
        let mut c = Certificate {
            der: bytes.to_vec(),
            tbs,
            version,
            serial,
            sig_alg: sig_alg(outer_alg),
            signature,
            issuer: issuer.to_vec(),
            subject: subject.to_vec(),
            not_before,
            not_after,
            spki: spki_der.to_vec(),
            key: spki::from_spki(spki_der),
            basic_constraints: None,
            key_usage: None,
            san_uris: Vec::new(),
            san_dns: Vec::new(),
            unknown_critical: Vec::new(),
        };
        while let Some(tag) = r.peek_tag() {
            let body = r.any()?.1;
            if tag == der::CONTEXT_3 {
                if version != 3 {
                    return Err("a version 1 or 2 certificate has extensions".into());
                }
                c.read_extensions(body)?;
            }
        }
        Ok(c)
    }

    pub fn tbs(&self) -> &[u8] {
        &self.der[self.tbs.0..self.tbs.1]
    }

    pub fn is_ca(&self) -> bool {
        matches!(self.basic_constraints, Some((true, _)))
    }

    pub fn self_issued(&self) -> bool {
        self.issuer == self.subject
    }

    fn read_extensions(&mut self, body: &[u8]) -> Result<(), String> {
        let mut list = Reader::new(body);
        let mut exts = Reader::new(list.element(der::SEQUENCE, "the extensions")?);
        let mut seen: Vec<Vec<u8>> = Vec::new();
        while !exts.is_empty() {
            let mut ext = Reader::new(exts.element(der::SEQUENCE, "an extension")?);
            let oid = ext.element(der::OID, "an extension OID")?;
            if seen.iter().any(|o| o == oid) {
                return Err(format!(
                    "the extension {} appears twice (RFC 5280 §4.2)",
                    dotted(oid)
                ));
            }
            seen.push(oid.to_vec());
            let mut critical = false;
            if ext.peek_tag() == Some(der::BOOLEAN) {
                critical = ext.element(der::BOOLEAN, "the critical flag")? == [0xff];
            }
            let value = ext.element(der::OCTET_STRING, "an extension value")?;
            if oid == BASIC_CONSTRAINTS {
                let mut v = Reader::new(value);
                let mut bc = Reader::new(v.element(der::SEQUENCE, "basicConstraints")?);
                let mut ca = false;
                if bc.peek_tag() == Some(der::BOOLEAN) {
                    ca = bc.element(der::BOOLEAN, "cA")? == [0xff];
                }
                let mut path_len = None;
                if bc.peek_tag() == Some(der::INTEGER) {
                    let n = bc.unsigned_integer("pathLenConstraint")?;
                    if n.len() > 3 {
                        return Err("pathLenConstraint is implausibly large".into());
                    }
                    path_len = Some(n.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)));
                }
                self.basic_constraints = Some((ca, path_len));
            } else if oid == KEY_USAGE {
                let (tag, bits) = Reader::new(value).any()?;
                if tag != der::BIT_STRING || bits.len() < 2 || bits.len() > 3 {
                    return Err("keyUsage is not a short BIT STRING".into());
                }
                let mut ku = 0u16;
                for (i, byte) in bits[1..].iter().enumerate() {
                    for bit in 0..8 {
                        if byte & (0x80 >> bit) != 0 {
                            ku |= 1 << (i * 8 + bit);
                        }
                    }
                }
                self.key_usage = Some(ku);
            } else if oid == SUBJECT_ALT_NAME {
                let mut v = Reader::new(value);
                let mut names = Reader::new(v.element(der::SEQUENCE, "subjectAltName")?);
                while !names.is_empty() {
                    let (tag, name) = names.any()?;
                    let text = || String::from_utf8(name.to_vec()).ok();
                    match tag {
                        0x86 => self.san_uris.extend(text()),
                        0x82 => self.san_dns.extend(text()),
                        _ => {}
                    }
                }
            } else if critical
                && oid != EXT_KEY_USAGE
                && oid != SUBJECT_KEY_ID
                && oid != AUTHORITY_KEY_ID
            {
                self.unknown_critical.push(dotted(oid));
            }
        }
        Ok(())
    }
}

/// A certificate revocation list (RFC 5280 §5).
#[derive(Debug, Clone)]
pub struct Crl {
    der: Vec<u8>,
    tbs: (usize, usize),
    pub sig_alg: Result<SigAlg, String>,
    pub signature: Vec<u8>,
    pub issuer: Vec<u8>,
    pub this_update: i64,
    pub next_update: Option<i64>,
    pub revoked: Vec<(Vec<u8>, i64)>,
    pub unknown_critical: Vec<String>,
}

impl Crl {
    pub fn parse(bytes: &[u8], max_entries: usize) -> Result<Crl, String> {
        let mut outer = Reader::new(bytes);
        let body = outer.element(der::SEQUENCE, "a CertificateList SEQUENCE")?;
        if !outer.is_empty() {
            return Err("there are bytes after the CRL".into());
        }
        let mut list = Reader::new(body);
        let (tag, tbs_body, tbs_all) = list.any_with_encoding()?;
        if tag != der::SEQUENCE {
            return Err("expected a TBSCertList".into());
        }
        let outer_alg = list.element(der::SEQUENCE, "the signature algorithm")?;
        let signature = list.bit_string("the CRL signature")?.to_vec();
        let start = tbs_all.as_ptr() as usize - bytes.as_ptr() as usize;
        let mut r = Reader::new(tbs_body);
        if r.peek_tag() == Some(der::INTEGER) {
            r.any()?; // version
        }
        let inner_alg = r.element(der::SEQUENCE, "a signature algorithm")?;
        if inner_alg != outer_alg {
            return Err("the CRL's two signature algorithms differ".into());
        }
        let (_, _, issuer) = r.any_with_encoding()?;
        let this_update = read_time(&mut r)?;
        let mut next_update = None;
        if matches!(r.peek_tag(), Some(der::UTC_TIME | der::GENERALIZED_TIME)) {
            next_update = Some(read_time(&mut r)?);
        }
        let mut crl = Crl {
            der: bytes.to_vec(),
            tbs: (start, start + tbs_all.len()),
            sig_alg: sig_alg(outer_alg),
            signature,
            issuer: issuer.to_vec(),
            this_update,
            next_update,
            revoked: Vec::new(),
            unknown_critical: Vec::new(),
        };
        if r.peek_tag() == Some(der::SEQUENCE) {
            let mut entries = Reader::new(r.element(der::SEQUENCE, "revokedCertificates")?);
            while !entries.is_empty() {
                if crl.revoked.len() >= max_entries {
                    return Err(format!(
                        "the CRL lists more than {max_entries} certificates"
                    ));
                }
                let mut e = Reader::new(entries.element(der::SEQUENCE, "a revoked entry")?);
                let serial = e.element(der::INTEGER, "a serial number")?.to_vec();
                let when = read_time(&mut e)?;
                if !e.is_empty() {
                    let mut exts = Reader::new(e.element(der::SEQUENCE, "entry extensions")?);
                    crl.unknown_critical.extend(critical_oids(&mut exts)?);
                }
                crl.revoked.push((serial, when));
            }
        }
        if r.peek_tag() == Some(der::CONTEXT_0) {
            let mut wrap = Reader::new(r.element(der::CONTEXT_0, "CRL extensions")?);
            let mut exts = Reader::new(wrap.element(der::SEQUENCE, "CRL extensions")?);
            crl.unknown_critical.extend(critical_oids(&mut exts)?);
        }
        Ok(crl)
    }

    pub fn tbs(&self) -> &[u8] {
        &self.der[self.tbs.0..self.tbs.1]
    }
}

fn critical_oids(exts: &mut Reader<'_>) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    while !exts.is_empty() {
        let mut ext = Reader::new(exts.element(der::SEQUENCE, "an extension")?);
        let oid = ext.element(der::OID, "an extension OID")?;
        if ext.peek_tag() == Some(der::BOOLEAN)
            && ext.element(der::BOOLEAN, "the critical flag")? == [0xff]
            && oid != CRL_NUMBER
            && oid != AUTHORITY_KEY_ID
        {
            out.push(dotted(oid));
        }
    }
    Ok(out)
}

fn sig_alg(alg_id: &[u8]) -> Result<SigAlg, String> {
    use crate::alg::Hash;
    let mut r = Reader::new(alg_id);
    let oid = r.element(der::OID, "a signature algorithm OID")?;
    let alg = match oid {
        o if o == SHA256_RSA => SigAlg::RsaPkcs1(Hash::Sha256),
        o if o == SHA384_RSA => SigAlg::RsaPkcs1(Hash::Sha384),
        o if o == SHA512_RSA => SigAlg::RsaPkcs1(Hash::Sha512),
        o if o == ECDSA_SHA256 => SigAlg::Ecdsa(Hash::Sha256),
        o if o == ECDSA_SHA384 => SigAlg::Ecdsa(Hash::Sha384),
        o if o == ECDSA_SHA512 => SigAlg::Ecdsa(Hash::Sha512),
        o if o == ED25519 => SigAlg::Ed25519,
        o if o == RSASSA_PSS => return pss_params(&mut r),
        o => {
            return Err(format!(
                "the signature algorithm {} is not one azlens verifies (RSA PKCS#1 or PSS with SHA-2, ECDSA with SHA-2, Ed25519)",
                dotted(o)
            ))
        }
    };
    Ok(alg)
}

/// RSASSA-PSS-params (RFC 4055 §3.1): the hash, MGF1 with the same hash, and a salt as long as
/// the hash; anything else (SHA-1 defaults included) is refused.
fn pss_params(r: &mut Reader<'_>) -> Result<SigAlg, String> {
    use crate::alg::Hash;
    let unsupported = || {
        "RSASSA-PSS parameters other than SHA-2 with MGF1 over the same hash and a salt of the hash's length are not supported".to_string()
    };
    let mut params = Reader::new(r.element(der::SEQUENCE, "RSASSA-PSS parameters")?);
    let hash_of = |oid: &[u8]| match oid {
        o if o == SHA256 => Some(Hash::Sha256),
        o if o == SHA384 => Some(Hash::Sha384),
        o if o == SHA512 => Some(Hash::Sha512),
        _ => None,
    };
    let mut hash = None;
    let mut mgf_hash = None;
    let mut salt = None;
    while !params.is_empty() {
        let (tag, body) = params.any()?;
        let mut inner = Reader::new(body);
        match tag {
            0xa0 => {
                let mut a = Reader::new(inner.element(der::SEQUENCE, "the PSS hash")?);
                hash = hash_of(a.element(der::OID, "the PSS hash OID")?);
            }
            0xa1 => {
                let mut a = Reader::new(inner.element(der::SEQUENCE, "the PSS MGF")?);
                if a.element(der::OID, "the MGF OID")? != MGF1 {
                    return Err(unsupported());
                }
                let mut h = Reader::new(a.element(der::SEQUENCE, "the MGF1 hash")?);
                mgf_hash = hash_of(h.element(der::OID, "the MGF1 hash OID")?);
            }
            0xa2 => {
                let n = inner.unsigned_integer("the PSS salt length")?;
                salt = (n.len() == 1).then(|| usize::from(n[0]));
            }
            0xa3 => {}
            _ => return Err(unsupported()),
        }
    }
    match (hash, mgf_hash, salt) {
        (Some(h), Some(m), Some(s)) if h == m && s == h.output_len() => Ok(SigAlg::RsaPss(h)),
        _ => Err(unsupported()),
    }
}

/// UTCTime (YYMMDDHHMMSSZ, RFC 5280 §4.1.2.5.1) or GeneralizedTime (YYYYMMDDHHMMSSZ).
fn read_time(r: &mut Reader<'_>) -> Result<i64, String> {
    let (tag, body) = r.any()?;
    let digits = |s: &[u8]| -> Option<i64> {
        s.iter().try_fold(0i64, |a, &b| {
            b.is_ascii_digit().then(|| a * 10 + i64::from(b - b'0'))
        })
    };
    let (year, rest) = match (tag, body.len()) {
        (der::UTC_TIME, 13) => {
            let yy = digits(&body[..2]).ok_or("a UTCTime is not digits")?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &body[2..])
        }
        (der::GENERALIZED_TIME, 15) => (
            digits(&body[..4]).ok_or("a GeneralizedTime is not digits")?,
            &body[4..],
        ),
        _ => return Err(
            "a certificate time is not UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ"
                .into(),
        ),
    };
    if rest.last() != Some(&b'Z') {
        return Err("a certificate time is not in UTC (Z)".into());
    }
    let field = |i: usize| digits(&rest[i..i + 2]).ok_or("a certificate time is not digits");
    let (mo, d, h, mi, s) = (field(0)?, field(2)?, field(4)?, field(6)?, field(8)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
        return Err("a certificate time is not a valid date".into());
    }
    Ok(days_from_civil(year, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

/// Howard Hinnant's civil-to-days algorithm (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An OID in dotted form, for messages.
pub fn dotted(oid: &[u8]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut value: u64 = 0;
    for (i, &b) in oid.iter().enumerate() {
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if parts.is_empty() {
                let first = (value / 40).min(2);
                parts.push(first.to_string());
                parts.push((value - first * 40).to_string());
            } else {
                parts.push(value.to_string());
            }
            value = 0;
        }
        if i > 32 {
            parts.push("…".into());
            break;
        }
    }
    parts.join(".")
}

/// A Name for people: `CN=Example CA, O=Example, C=US` (attribute types azlens knows by their
/// short names, others by OID).
pub fn display_name(name: &[u8]) -> String {
    let mut out: Vec<String> = Vec::new();
    let Ok(seq) = Reader::new(name).element(der::SEQUENCE, "a Name") else {
        return "(unreadable name)".into();
    };
    let mut rdns = Reader::new(seq);
    while let Ok(set) = rdns.any().map(|(_, b)| b) {
        let mut atvs = Reader::new(set);
        while let Ok(atv) = atvs.element(der::SEQUENCE, "an attribute") {
            let mut a = Reader::new(atv);
            let (Ok(oid), Ok((_, value))) = (a.element(der::OID, "a type"), a.any()) else {
                continue;
            };
            let label = match oid {
                [0x55, 0x04, 0x03] => "CN".to_string(),
                [0x55, 0x04, 0x06] => "C".to_string(),
                [0x55, 0x04, 0x07] => "L".to_string(),
                [0x55, 0x04, 0x08] => "ST".to_string(),
                [0x55, 0x04, 0x0a] => "O".to_string(),
                [0x55, 0x04, 0x0b] => "OU".to_string(),
                o => dotted(o),
            };
            out.push(format!("{label}={}", String::from_utf8_lossy(value)));
        }
    }
    if out.is_empty() {
        "(empty name)".into()
    } else {
        out.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_utc_seconds() {
        let utc = [&[0x17, 13][..], b"250101000000Z"].concat();
        assert_eq!(read_time(&mut Reader::new(&utc)).unwrap(), 1_735_689_600);
        let gen = [&[0x18, 15][..], b"20500101000000Z"].concat();
        assert_eq!(read_time(&mut Reader::new(&gen)).unwrap(), 2_524_608_000);
        let local = [&[0x17, 13][..], b"2501010000001"].concat();
        assert!(read_time(&mut Reader::new(&local)).is_err());
    }

    #[test]
    fn oids_print_dotted() {
        assert_eq!(dotted(SUBJECT_ALT_NAME), "2.5.29.17");
        assert_eq!(dotted(SHA256_RSA), "1.2.840.113549.1.1.11");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [
            &[][..],
            &[0x30, 0x00],
            &[0x30, 0x03, 0x30, 0x01, 0x00],
            &[0xff; 40],
        ] {
            assert!(Certificate::parse(bytes).is_err());
            assert!(Crl::parse(bytes, 10).is_err());
        }
    }
}
