//! An HTTP request as every host describes it to the core.

use serde::Deserialize;

/// Method, path, query and headers: all the core needs to decide on a request. Hosts build it
/// from whatever their runtime hands them (a `Request` in workerd, pseudo-headers in Envoy).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub method: String,
    /// The path without the query string, as sent (percent-encoded).
    pub path: String,
    /// The raw query string without the leading `?` (may be empty).
    #[serde(default)]
    pub query: String,
    /// Header name/value pairs in arrival order; names compare case-insensitively.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The body, when the guard asked for it ([`super::body_limit`]): a form-encoded `_search`
    /// or a batch/transaction Bundle. Hosts pass at most the limit plus one byte.
    #[serde(default)]
    pub body: Option<String>,
    /// The external `scheme://host[:port]` the client called (for a DPoP proof's `htu`).
    #[serde(default)]
    pub origin: Option<String>,
    /// The SHA-256 thumbprint of the client certificate the connection verified (hex or
    /// base64url), for certificate-bound tokens (RFC 8705).
    #[serde(default)]
    pub client_cert_sha256: Option<String>,
}

impl Request {
    /// Build from a method (as sent: the guard refuses one that is not upper case), a path that
    /// may carry `?query`, and headers.
    pub fn new(method: &str, path_and_query: &str, headers: Vec<(String, String)>) -> Request {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, q),
            None => (path_and_query, ""),
        };
        Request {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            ..Request::default()
        }
    }

    /// Every value of header `name`.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Query parameters, percent-decoded (`+` as space), in order.
    pub fn query_params(&self) -> Vec<(String, String)> {
        parse_form(&self.query)
    }

    /// Cookies from every `Cookie` header, in order.
    pub fn cookies(&self) -> Vec<(String, String)> {
        self.header_values("cookie")
            .flat_map(|h| h.split(';'))
            .filter_map(|pair| {
                let (n, v) = pair.split_once('=')?;
                let v = v.trim();
                let v = v
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(v);
                Some((n.trim().to_owned(), v.to_owned()))
            })
            .collect()
    }
}

/// `application/x-www-form-urlencoded` pairs.
pub fn parse_form(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(n), percent_decode(v))
        })
        .collect()
}

/// Percent-decode; malformed escapes are kept literally, invalid UTF-8 is replaced.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of one hex digit.
pub(super) fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Bytes a request's description (method, path, query and headers, as the host's JSON) may
/// take beyond `limits.max_token_bytes`: about what Envoy accepts in request headers (60 KiB)
/// by default.
pub const MAX_REQUEST_EXTRA_BYTES: usize = 64 * 1024;

/// The longest request description a host copies into the core (WebAssembly memory): a token
/// at `limits.max_token_bytes` plus [`MAX_REQUEST_EXTRA_BYTES`] for everything else.
pub fn max_description_bytes(limits: &crate::Limits) -> usize {
    limits
        .max_token_bytes
        .saturating_add(MAX_REQUEST_EXTRA_BYTES)
}

/// The rule an over-long request description is refused by.
const RULE_TOO_LARGE: &str = "request.too-large";

/// The decision on a request whose description is `bytes` long, over
/// [`max_description_bytes`], made from its method, path and length alone (a host need not
/// copy the rest into the core to get it): 400 `invalid_request`. `None` within the bound.
pub fn oversized(
    policy: &crate::Policy,
    method: &str,
    path: &str,
    bytes: usize,
) -> Option<super::Decision> {
    use super::challenge;
    use crate::limits::{clip, MAX_ECHO_BYTES};
    let max = max_description_bytes(&policy.limits);
    if bytes <= max {
        return None;
    }
    let why = format!(
        "The request's path, query and headers take {bytes} bytes; the limit is {max} bytes (limits.max_token_bytes plus 64 KiB)."
    );
    let error = super::BearerError::InvalidRequest;
    let status = error.status();
    let log = super::LogLine {
        decision: "deny",
        status,
        method: clip(method, 16).into_owned(),
        path: clip(path, MAX_ECHO_BYTES).into_owned(),
        reason: why.clone(),
        rule: Some(RULE_TOO_LARGE),
        codes: vec![crate::error::ErrorCode::RequestRefused],
        ..super::LogLine::default()
    };
    Some(super::Decision {
        allow: false,
        status,
        www_authenticate: Some(challenge::www_authenticate(
            &policy.token.realm,
            error,
            &why,
            None,
        )),
        body: Some(challenge::body(
            error,
            &why,
            &[crate::error::Problem::new(
                crate::error::ErrorCode::RequestRefused,
                why.clone(),
            )],
            None,
            Some(RULE_TOO_LARGE),
        )),
        set_headers: Vec::new(),
        remove_headers: Vec::new(),
        response_headers: Vec::new(),
        upstream_path: None,
        break_glass: false,
        audit: crate::audit::Facts::default().complete(&log, ""),
        log,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_decodes() {
        let r = Request::new(
            "GET",
            "/fhir/Observation?patient=123&category=http%3A%2F%2Fx%7Clab&a+b=c%2",
            vec![("Cookie".into(), "a=1; tok=\"xyz\"".into())],
        );
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, "/fhir/Observation");
        let q = r.query_params();
        assert_eq!(q[1], ("category".into(), "http://x|lab".into()));
        assert_eq!(q[2], ("a b".into(), "c%2".into()));
        assert_eq!(r.cookies()[1], ("tok".into(), "xyz".into()));
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%41"), "A");
    }
}
