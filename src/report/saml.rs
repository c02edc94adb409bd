//! The few facts of a SAML 2.0 assertion a report shows: issuer, subject, validity, signature
//! presence. A string scan, not an XML parser: azlens never trusts or verifies SAML, it only
//! tells a person what the assertion says.

use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SamlInfo {
    /// The assertion's `ID`.
    pub id: Option<String>,
    /// `<Issuer>`: the asserting party's entity id.
    pub issuer: Option<String>,
    /// `<Subject><NameID>`: the user.
    pub subject: Option<String>,
    /// The NameID's `SPProvidedID` attribute: the ATNA alias.
    pub sp_provided_id: Option<String>,
    /// `<Conditions NotBefore>`.
    pub not_before: Option<String>,
    /// `<Conditions NotOnOrAfter>`.
    pub not_on_or_after: Option<String>,
    /// Is there a `<Signature>` element?
    pub signed: bool,
}

pub fn read(xml: &str) -> SamlInfo {
    let assertion = element(xml, "Assertion");
    let conditions = element(xml, "Conditions");
    let name_id = element(xml, "NameID");
    SamlInfo {
        id: assertion.as_ref().and_then(|(tag, _)| attribute(tag, "ID")),
        issuer: element(xml, "Issuer").map(|(_, text)| text),
        subject: name_id.as_ref().map(|(_, text)| text.clone()),
        sp_provided_id: name_id
            .as_ref()
            .and_then(|(tag, _)| attribute(tag, "SPProvidedID")),
        not_before: conditions
            .as_ref()
            .and_then(|(tag, _)| attribute(tag, "NotBefore")),
        not_on_or_after: conditions
            .as_ref()
            .and_then(|(tag, _)| attribute(tag, "NotOnOrAfter")),
        signed: element(xml, "Signature").is_some(),
    }
}

/// The ATNA UserName for a SAML-authenticated request (IUA ITI-72): `alias<user@issuer>`.
pub fn atna_user(info: &SamlInfo) -> Option<String> {
    Some(format!(
        "{}<{}@{}>",
        info.sp_provided_id.as_deref().unwrap_or(""),
        info.subject.as_deref()?,
        info.issuer.as_deref()?
    ))
}

/// Seconds since the epoch for an `xs:dateTime` in UTC as SAML writes it
/// (`2026-11-18T11:06:40Z`, fractions allowed). Other forms: `None`.
pub fn parse_utc(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z')?;
    let (date, clock) = s.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let clock = clock.split('.').next()?;
    let mut c = clock.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (hh, mm, ss) = (c.next()??, c.next()??, c.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    if !(0..=9999).contains(&y) {
        return None;
    }
    // Howard Hinnant's days-from-civil
    let yy = if m <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// The first element with this local name (any namespace prefix): its start tag's inside and
/// its leading text.
fn element(xml: &str, local: &str) -> Option<(String, String)> {
    let mut from = 0;
    while let Some(pos) = xml.get(from..)?.find('<') {
        let start = from + pos + 1;
        let rest = xml.get(start..)?;
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        if name.rsplit(':').next() == Some(local) {
            let tag_end = rest.find('>')?;
            let tag = &rest[..tag_end];
            let after = &rest[tag_end + 1..];
            let text_end = after.find('<').unwrap_or(after.len());
            return Some((tag.to_owned(), after[..text_end].trim().to_owned()));
        }
        from = start;
    }
    None
}

/// An attribute's value inside a start tag (double or single quotes).
fn attribute(tag: &str, name: &str) -> Option<String> {
    for quote in ['"', '\''] {
        let needle = format!(" {name}={quote}");
        if let Some(at) = tag.find(&needle) {
            let rest = &tag[at + needle.len()..];
            let end = rest.find(quote)?;
            return Some(rest[..end].to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" IssueInstant="2026-11-18T10:00:00Z" Version="2.0">
  <saml2:Issuer>https://idp.example/saml</saml2:Issuer>
  <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"></ds:Signature>
  <saml2:Subject><saml2:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" SPProvidedID="ehr-alias">dr.smith</saml2:NameID></saml2:Subject>
  <saml2:Conditions NotBefore="2026-11-18T10:00:00Z" NotOnOrAfter="2026-11-18T10:05:00Z"/>
</saml2:Assertion>"#;

    #[test]
    fn reads_the_facts() {
        let i = read(XML);
        assert_eq!(i.id.as_deref(), Some("_a1"));
        assert_eq!(i.issuer.as_deref(), Some("https://idp.example/saml"));
        assert_eq!(i.subject.as_deref(), Some("dr.smith"));
        assert_eq!(i.sp_provided_id.as_deref(), Some("ehr-alias"));
        assert_eq!(i.not_on_or_after.as_deref(), Some("2026-11-18T10:05:00Z"));
        assert!(i.signed);
        assert_eq!(
            atna_user(&i).as_deref(),
            Some("ehr-alias<dr.smith@https://idp.example/saml>")
        );
    }

    #[test]
    fn parses_saml_times() {
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_utc("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(parse_utc("2026-11-18T11:06:40.123Z"), Some(1_795_000_000));
        for bad in [
            "2026-11-18T11:06:40",
            "2026-13-18T11:06:40Z",
            "x",
            "",
            "2026-11-18T25:00:00Z",
            "-1-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }

    #[test]
    fn never_panics() {
        for s in [
            "",
            "<",
            "<<",
            "<Issuer",
            "<Issuer>",
            "<a:Issuer x='1'>é</a:Issuer>",
            "é<é",
            "<NameID SPProvidedID=\"x>",
        ] {
            let _ = read(s);
        }
        assert_eq!(
            read("<a:Issuer x='1'>é</a:Issuer>").issuer.as_deref(),
            Some("é")
        );
    }
}
