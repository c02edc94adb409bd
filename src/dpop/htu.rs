//! The `htu` of a proof against the request's external URL (RFC 9449 §4.3 check 9): both read
//! as scheme, host and port (lower case, default port dropped) and path, the path in the
//! gateway's canonical form, so that `/fhir/./Patient` signed by a client and `/fhir/Patient`
//! decided by the guard are one URL. Query and fragment are ignored, as the RFC says.

use crate::guard::canonical::{self, LineLimits};

/// `scheme://host[:port]`, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    /// Read an origin (`https://fhir.example`, `http://127.0.0.1:8080`); a path other than `/`,
    /// user info, a query or a fragment is an error.
    pub fn parse(text: &str) -> Result<Origin, String> {
        let (origin, path) = split(text)?;
        if path != "/" && !path.is_empty() {
            return Err(format!(
                "\"{text}\" has a path; an origin is scheme://host[:port]"
            ));
        }
        if text.contains(['?', '#']) {
            return Err(format!(
                "\"{text}\" has a query or fragment; an origin is scheme://host[:port]"
            ));
        }
        Ok(origin)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The origin and canonical path of an absolute http(s) URL, query and fragment dropped.
pub fn read(url: &str) -> Result<(Origin, String), String> {
    let (origin, path) = split(url)?;
    let path = if path.is_empty() { "/" } else { path };
    let limits = LineLimits {
        max_target_bytes: canonical::DEFAULT_MAX_TARGET_BYTES,
        max_query_params: canonical::DEFAULT_MAX_QUERY_PARAMS,
    };
    let canon = canonical::canonical("GET", path, "", limits).map_err(|r| r.message)?;
    Ok((origin, canon.path))
}

/// Scheme and authority normalised, and the raw path (query and fragment cut off).
fn split(url: &str) -> Result<(Origin, &str), String> {
    let url = url.split(['#', '?']).next().unwrap_or("");
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("\"{url}\" is not an absolute URL"))?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => "443",
        "http" => "80",
        _ => return Err(format!("\"{url}\" is not an http or https URL")),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.is_empty() || authority.contains(['@', ' ', '\\']) {
        return Err(format!("\"{url}\" has no plain host"));
    }
    let authority = authority.to_ascii_lowercase();
    // `host:port`, minding IPv6 literals (`[::1]:8443`).
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority.as_str(), None),
    };
    let origin = match port {
        None | Some("") => format!("{scheme}://{host}"),
        Some(p) if p == default_port => format!("{scheme}://{host}"),
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => format!("{scheme}://{host}:{p}"),
        Some(_) => return Err(format!("\"{url}\" has a port that is not a number")),
    };
    Ok((Origin(origin), path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_compared_in_one_form() {
        let (o, p) = read("HTTPS://FHIR.example:443/fhir/./Patient/%7e1?x=1#f").unwrap();
        assert_eq!(o.as_str(), "https://fhir.example");
        assert_eq!(p, "/fhir/Patient/~1");
        let (o, p) = read("http://127.0.0.1:8080").unwrap();
        assert_eq!((o.as_str(), p.as_str()), ("http://127.0.0.1:8080", "/"));
        let (o, _) = read("https://[::1]:8443/x").unwrap();
        assert_eq!(o.as_str(), "https://[::1]:8443");
        for bad in [
            "/fhir",
            "ftp://h/x",
            "https://u@h/x",
            "https://h:x/",
            "https:///x",
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Origin::parse("https://H:443/").unwrap().as_str(),
            "https://h"
        );
        assert!(Origin::parse("https://h/api").is_err());
    }
}
