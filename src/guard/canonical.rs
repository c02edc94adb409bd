//! One canonical form of the request line, read before anything is matched and sent upstream
//! exactly as decided.
//!
//! A gateway and the server behind it must read a request the same way, or an attacker picks a
//! spelling that the gateway routes one way and the server another (`/health/../fhir/...`,
//! `//fhir/...`, `/%66hir/...`, `/fhir;x/...`). So the core reads the raw target once:
//!
//! - the method is an upper-case token (`get` is refused, not guessed);
//! - in the path, percent-escapes of unreserved characters are decoded (`%66` → `f`), every
//!   other escape is kept with upper-case hex, and `.`/`..` segments are removed (RFC 3986
//!   §5.2.4); a trailing `/` is dropped;
//! - whatever could still be read two ways is refused: an encoded `/`, `\`, `.` or NUL, a
//!   control character, a `;` path parameter, an empty segment (`//`), a `..` above the root,
//!   a malformed escape, a character outside RFC 3986's `pchar`, an over-long target;
//! - the query is split on `&` only (a `;` is refused), each part's escapes are made canonical
//!   the same way, empty parts are dropped.
//!
//! Hosts forward [`Canonical::target`], never the raw line.

use super::request::hex;
use std::fmt;

/// The longest request target (path and query) read by default, in bytes.
pub const DEFAULT_MAX_TARGET_BYTES: usize = 8 * 1024;
/// The most query parameters read by default.
pub const DEFAULT_MAX_QUERY_PARAMS: usize = 100;

/// The canonical method, path and query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical {
    pub method: String,
    /// Starts with `/`; no dot segments, no empty segments, no trailing `/` (except `/` itself).
    pub path: String,
    /// Without the leading `?`; may be empty.
    pub query: String,
}

impl Canonical {
    /// `path?query`, or `path` when the query is empty: what the upstream receives.
    pub fn target(&self) -> String {
        target(&self.path, &self.query)
    }
}

/// `path?query`, or `path` when the query is empty.
pub fn target(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// Why a request line cannot be made unambiguous: a stable rule name and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub rule: &'static str,
    pub message: String,
}

impl Refusal {
    fn new(rule: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            rule,
            message: message.into(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.rule)
    }
}

/// Bounds on the request line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineLimits {
    pub max_target_bytes: usize,
    pub max_query_params: usize,
}

impl Default for LineLimits {
    fn default() -> Self {
        LineLimits {
            max_target_bytes: DEFAULT_MAX_TARGET_BYTES,
            max_query_params: DEFAULT_MAX_QUERY_PARAMS,
        }
    }
}

/// The canonical form of `method path?query`, or why there is none.
pub fn canonical(
    method: &str,
    path: &str,
    query: &str,
    limits: LineLimits,
) -> Result<Canonical, Refusal> {
    if method.is_empty() || method.len() > 32 || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Refusal::new(
            "method.token",
            format!(
                "The method \"{}\" is not an upper-case HTTP method.",
                printable(method)
            ),
        ));
    }
    if path.len() + query.len() > limits.max_target_bytes {
        return Err(Refusal::new(
            "target.too-long",
            format!(
                "The request target is {} bytes; at most {} are read.",
                path.len() + query.len(),
                limits.max_target_bytes
            ),
        ));
    }
    Ok(Canonical {
        method: method.to_owned(),
        path: canonical_path(path)?,
        query: canonical_query(query, limits.max_query_params)?,
    })
}

fn canonical_path(path: &str) -> Result<String, Refusal> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err(Refusal::new(
            "path.not-absolute",
            "The request path must start with \"/\".",
        ));
    };
    let mut out: Vec<String> = Vec::new();
    let mut raw: Vec<&str> = rest.split('/').collect();
    // A trailing "/" names the same resource on every FHIR server: drop it.
    if raw.len() > 1 && raw.last() == Some(&"") {
        raw.pop();
    }
    if raw == [""] {
        return Ok("/".to_owned());
    }
    for segment in raw {
        if segment.is_empty() {
            return Err(Refusal::new(
                "path.empty-segment",
                "The path has an empty segment (\"//\"), which servers read differently.",
            ));
        }
        let segment = canonical_segment(segment)?;
        match segment.as_str() {
            "." => {}
            ".." => {
                if out.pop().is_none() {
                    return Err(Refusal::new(
                        "path.above-root",
                        "The path climbs above the root with \"..\".",
                    ));
                }
            }
            _ => out.push(segment),
        }
    }
    Ok(format!("/{}", out.join("/")))
}

/// One path segment with canonical escapes; refused when it could be read two ways.
fn canonical_segment(segment: &str) -> Result<String, Refusal> {
    let mut out = String::with_capacity(segment.len());
    let bytes = segment.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'%' => {
                let decoded = escape_at(bytes, i).ok_or_else(|| {
                    Refusal::new(
                        "path.bad-escape",
                        "The path has a malformed percent-escape.",
                    )
                })?;
                match decoded {
                    b'/' | b'\\' | b'.' | 0 => {
                        return Err(Refusal::new(
                            "path.encoded-separator",
                            format!(
                                "The path encodes \"{}\" (%{decoded:02X}), which servers decode differently.",
                                if decoded == 0 { "NUL".to_owned() } else { (decoded as char).to_string() }
                            ),
                        ))
                    }
                    c if c < 0x20 || c == 0x7f => {
                        return Err(Refusal::new(
                            "path.control",
                            "The path encodes a control character.",
                        ))
                    }
                    c if is_unreserved(c) => out.push(c as char),
                    c => out.push_str(&format!("%{c:02X}")),
                }
                i += 3;
            }
            b';' => {
                return Err(Refusal::new(
                    "path.parameter",
                    "The path has a \";\" parameter, which some servers strip and others keep.",
                ))
            }
            b'\\' => {
                return Err(Refusal::new(
                    "path.backslash",
                    "The path has a backslash, which some servers read as \"/\".",
                ))
            }
            b if b < 0x20 || b == 0x7f => {
                return Err(Refusal::new(
                    "path.control",
                    "The path has a control character.",
                ))
            }
            b if is_pchar(b) => {
                out.push(b as char);
                i += 1;
            }
            _ => {
                return Err(Refusal::new(
                    "path.character",
                    "The path has a character that must be percent-encoded.",
                ))
            }
        }
    }
    Ok(out)
}

fn canonical_query(query: &str, max_params: usize) -> Result<String, Refusal> {
    let mut parts: Vec<String> = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        if parts.len() == max_params {
            return Err(Refusal::new(
                "query.too-many",
                format!("The query has more than {max_params} parameters."),
            ));
        }
        if part.starts_with('=') {
            return Err(Refusal::new(
                "query.unnamed",
                "The query has a parameter without a name.",
            ));
        }
        parts.push(canonical_query_part(part)?);
    }
    Ok(parts.join("&"))
}

/// One `name=value` pair with canonical escapes.
pub(crate) fn canonical_query_part(part: &str) -> Result<String, Refusal> {
    let bytes = part.as_bytes();
    let mut out = String::with_capacity(part.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let decoded = escape_at(bytes, i).ok_or_else(|| {
                    Refusal::new(
                        "query.bad-escape",
                        "The query has a malformed percent-escape.",
                    )
                })?;
                if decoded < 0x20 || decoded == 0x7f {
                    return Err(Refusal::new(
                        "query.control",
                        "The query encodes a control character.",
                    ));
                }
                if is_unreserved(decoded) {
                    out.push(decoded as char);
                } else {
                    out.push_str(&format!("%{decoded:02X}"));
                }
                i += 3;
            }
            b';' => {
                return Err(Refusal::new(
                    "query.semicolon",
                    "The query has a \";\", which some servers read as a parameter separator.",
                ))
            }
            b if b < 0x20 || b == 0x7f => {
                return Err(Refusal::new(
                    "query.control",
                    "The query has a control character.",
                ))
            }
            // pchar, "/", "?" and "|" (FHIR token searches send it raw)
            b if is_pchar(b) || b == b'/' || b == b'?' || b == b'|' => {
                out.push(b as char);
                i += 1;
            }
            _ => {
                return Err(Refusal::new(
                    "query.character",
                    "The query has a character that must be percent-encoded.",
                ))
            }
        }
    }
    Ok(out)
}

/// The byte a `%XY` at `at` encodes.
fn escape_at(bytes: &[u8], at: usize) -> Option<u8> {
    let h = hex(*bytes.get(at + 1)?)?;
    let l = hex(*bytes.get(at + 2)?)?;
    Some(h << 4 | l)
}

/// RFC 3986 `unreserved`.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// RFC 3986 `pchar` without `%` (escapes are read apart) and without `;` (refused apart).
fn is_pchar(b: u8) -> bool {
    is_unreserved(b)
        || matches!(
            b,
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b'=' | b':' | b'@'
        )
}

/// At most 40 characters of `s`, control characters shown as `?`, for messages.
fn printable(s: &str) -> String {
    s.chars()
        .take(40)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Result<String, &'static str> {
        canonical("GET", p, "", LineLimits::default())
            .map(|c| c.path)
            .map_err(|r| r.rule)
    }

    fn query(q: &str) -> Result<String, &'static str> {
        canonical("GET", "/", q, LineLimits::default())
            .map(|c| c.query)
            .map_err(|r| r.rule)
    }

    #[test]
    fn dot_segments_are_removed_and_unreserved_escapes_decoded() {
        assert_eq!(
            path("/health/../fhir/Patient/456"),
            Ok("/fhir/Patient/456".into())
        );
        assert_eq!(path("/./fhir/Patient"), Ok("/fhir/Patient".into()));
        assert_eq!(
            path("/.well-known/../fhir/Patient/B"),
            Ok("/fhir/Patient/B".into())
        );
        assert_eq!(path("/%66hir/Patient/%42"), Ok("/fhir/Patient/B".into()));
        assert_eq!(path("/fhir/Patient/"), Ok("/fhir/Patient".into()));
        assert_eq!(path("/"), Ok("/".into()));
        assert_eq!(path("/a/b/.."), Ok("/a".into()));
        assert_eq!(path("/a/%3a%c3%a9"), Ok("/a/%3A%C3%A9".into()));
        assert_eq!(
            path("/fhir/Patient/a-b.c_d~e"),
            Ok("/fhir/Patient/a-b.c_d~e".into())
        );
    }

    #[test]
    fn what_servers_read_two_ways_is_refused() {
        for (p, rule) in [
            ("//fhir/Patient/456", "path.empty-segment"),
            ("/fhir//Patient", "path.empty-segment"),
            ("/fhir;x/Patient/456", "path.parameter"),
            ("/health/..;/fhir/Patient/456", "path.parameter"),
            ("/health/%2e%2e/fhir/Patient/456", "path.encoded-separator"),
            ("/health/%2E./fhir", "path.encoded-separator"),
            ("/fhir/Patient%2F456", "path.encoded-separator"),
            ("/fhir/Patient%5c456", "path.encoded-separator"),
            ("/fhir/Patient/%00", "path.encoded-separator"),
            ("/fhir\\Patient", "path.backslash"),
            ("/fhir/%0aPatient", "path.control"),
            ("/fhir/Pat\tient", "path.control"),
            ("/..", "path.above-root"),
            ("/a/../../fhir", "path.above-root"),
            ("/fhir/%zz", "path.bad-escape"),
            ("/fhir/%4", "path.bad-escape"),
            ("/fhir/Pa tient", "path.character"),
            ("/fhir/Patient/é", "path.character"),
            ("/fhir/Patient#x", "path.character"),
            ("fhir/Patient", "path.not-absolute"),
            ("*", "path.not-absolute"),
            ("http://x/fhir", "path.not-absolute"),
        ] {
            assert_eq!(path(p), Err(rule), "{p}");
        }
    }

    #[test]
    fn queries_keep_their_structure_with_canonical_escapes() {
        assert_eq!(query("a=1&&b=%7c&c=x%2Cy"), Ok("a=1&b=%7C&c=x%2Cy".into()));
        assert_eq!(
            query("code=http://loinc.org|1234-5"),
            Ok("code=http://loinc.org|1234-5".into())
        );
        assert_eq!(query("name=%41b+c"), Ok("name=Ab+c".into()));
        assert_eq!(query(""), Ok(String::new()));
        for (q, rule) in [
            ("a=1;b=2", "query.semicolon"),
            ("=x", "query.unnamed"),
            ("a=%zz", "query.bad-escape"),
            ("a=%0d%0a", "query.control"),
            ("a=<b>", "query.character"),
            ("a=\"", "query.character"),
        ] {
            assert_eq!(query(q), Err(rule), "{q}");
        }
        let many = vec!["a=1"; 101].join("&");
        assert_eq!(query(&many), Err("query.too-many"));
    }

    #[test]
    fn methods_and_lengths() {
        let l = LineLimits::default();
        assert!(canonical("get", "/", "", l).is_err());
        assert!(canonical("", "/", "", l).is_err());
        assert!(canonical("GE T", "/", "", l).is_err());
        assert!(canonical("PROPFIND", "/", "", l).is_ok());
        let long = format!("/{}", "a".repeat(DEFAULT_MAX_TARGET_BYTES));
        assert_eq!(
            canonical("GET", &long, "", l).map_err(|r| r.rule),
            Err("target.too-long")
        );
        assert_eq!(
            canonical("GET", "/fhir/Patient", "a=1", l).map(|c| c.target()),
            Ok("/fhir/Patient?a=1".to_owned())
        );
    }
}
