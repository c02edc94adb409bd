//! Which URLs a host may fetch key sets, CRLs and discovery documents from: `https:` only, and
//! plain `http:` on a loopback address when the policy opts in (`key_cache.allow_loopback_http`,
//! for tests and local development). No user info (a credential has no place in a key-set URL)
//! and no fragment. The policy's own URLs are checked when it loads ([`crate::Policy::validate`]);
//! a URL a discovery document names is checked when it arrives ([`crate::keycache::discovery`]).

use std::fmt;

/// The pieces of an absolute http(s) URL a host needs to call it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    /// `https` or `http`, lower case.
    pub scheme: String,
    /// Host and port as written.
    pub authority: String,
    /// The host alone, lower case (`[::1]` keeps its brackets).
    pub host: String,
    /// Path and query, `/` when empty.
    pub path: String,
}

/// Why a URL may not be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// Not an absolute `scheme://host/path` URL, or one with parts a key-set URL never has.
    Malformed { url: String, why: &'static str },
    /// Neither `https:` nor (loopback) `http:`.
    NotHttps { url: String },
    /// Plain `http:` to a loopback address without `key_cache.allow_loopback_http`.
    PlainHttp { url: String },
}

impl UrlError {
    /// The stable code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            UrlError::Malformed { .. } => "key_set_url_malformed",
            UrlError::NotHttps { .. } => "key_set_url_not_https",
            UrlError::PlainHttp { .. } => "key_set_url_plain_http",
        }
    }
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Malformed { url, why } => {
                write!(f, "\"{url}\" is not a URL a key set can come from: {why}.")
            }
            UrlError::NotHttps { url } => write!(
                f,
                "\"{url}\" is not an https: URL; key sets and metadata are fetched over https only."
            ),
            UrlError::PlainHttp { url } => write!(
                f,
                "\"{url}\" is plain http; it is fetched only with key_cache.allow_loopback_http \
                 (keyCache.allowLoopbackHttp in JS: tests and local development)."
            ),
        }
    }
}

impl std::error::Error for UrlError {}

/// May `url` be fetched, and how is it called?
pub fn check(url: &str, allow_loopback_http: bool) -> Result<UrlParts, UrlError> {
    let parts = split(url).map_err(|why| UrlError::Malformed {
        url: clip(url),
        why,
    })?;
    match parts.scheme.as_str() {
        "https" => Ok(parts),
        "http" if is_loopback(&parts.host) && allow_loopback_http => Ok(parts),
        "http" if is_loopback(&parts.host) => Err(UrlError::PlainHttp { url: clip(url) }),
        _ => Err(UrlError::NotHttps { url: clip(url) }),
    }
}

/// A URL as echoed in an error: never unbounded.
fn clip(url: &str) -> String {
    crate::limits::clip(url, crate::limits::MAX_ECHO_BYTES).into_owned()
}

/// Split `scheme://authority/path?query`.
fn split(url: &str) -> Result<UrlParts, &'static str> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or("it is not absolute (scheme://host/path)")?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return Err("it has no scheme");
    }
    let scheme = scheme.to_ascii_lowercase();
    if url.contains('#') {
        return Err("a key-set URL has no fragment");
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if authority.is_empty() {
        return Err("it has no host");
    }
    if authority.contains('@') {
        return Err("a key-set URL carries no user name or password");
    }
    if url
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err("it contains spaces or control characters");
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, _)) => format!("[{h}]"),
            None => return Err("an IPv6 host lacks its closing bracket"),
        }
    } else {
        authority
            .rsplit_once(':')
            .map_or(authority, |(h, _)| h)
            .to_owned()
    };
    if host.is_empty() {
        return Err("it has no host");
    }
    let path = match path {
        "" => "/".to_owned(),
        p if p.starts_with('?') => format!("/{p}"),
        p => p.to_owned(),
    };
    Ok(UrlParts {
        scheme,
        authority: authority.to_owned(),
        host: host.to_ascii_lowercase(),
        path,
    })
}

/// The discovery documents of `issuer`, in the order they are tried:
/// `{issuer}/.well-known/openid-configuration`, then `…/smart-configuration` (a trailing `/` of
/// the issuer is not doubled).
pub fn discovery_urls(issuer: &str) -> [String; 2] {
    let base = issuer.trim_end_matches('/');
    [
        format!("{base}/.well-known/openid-configuration"),
        format!("{base}/.well-known/smart-configuration"),
    ]
}

/// `localhost`, `127.0.0.0/8` or `[::1]`.
pub fn is_loopback(host: &str) -> bool {
    if host == "localhost" || host == "[::1]" {
        return true;
    }
    let octets: Vec<&str> = host.split('.').collect();
    octets.len() == 4
        && octets[0] == "127"
        && octets
            .iter()
            .all(|o| !o.is_empty() && o.len() <= 3 && o.parse::<u8>().is_ok())
}

#[cfg(test)]
#[path = "fetch_url_tests.rs"]
mod tests;
