//! Finding the token in a request (RFC 6750 §2), from the places the policy names.

use super::request::Request;
use crate::policy::hosts::TokenSources;

/// Where a token was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A header, with the scheme it used.
    Header {
        name: String,
    },
    Cookie {
        name: String,
    },
    Query,
}

/// The outcome of looking for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenLookup {
    Found {
        token: String,
        from: Found,
        /// The legacy IUA `IHE-JWT` scheme was used.
        deprecated_scheme: bool,
    },
    /// No token anywhere the policy looks (RFC 6750 §3.1: answer without an error code).
    Missing,
    /// The request is malformed for bearer use (RFC 6750 §3.1 `invalid_request`, HTTP 400).
    InvalidRequest(String),
    /// A token of a kind azlens does not verify was presented (`IHE-SAML`).
    Unsupported(String),
}

/// Whether `s` holds Unicode white space. Tokens are printable ASCII: their bytes are checked
/// without decoding characters (this runs over every token of every request).
fn holds_white_space(s: &str) -> bool {
    // One branch-free pass (the compiler vectorises it): printable ASCII has no white space.
    let printable = s
        .bytes()
        .fold(true, |ok, b| ok & (b.wrapping_sub(0x21) < 0x5e));
    !printable && s.contains(char::is_whitespace)
}

/// Look for the token. More than one token, in one place or several, is an invalid request
/// (RFC 6750 §2: a client uses one method per request).
pub fn extract(sources: &TokenSources, req: &Request) -> TokenLookup {
    let mut found: Vec<(String, Found, bool)> = Vec::new();
    for src in &sources.from_headers {
        // Hosts hand over repeated header lines joined by commas (RFC 9110 §5.3; the Fetch
        // API's Headers, Envoy's header map), and a token never holds a comma or white space
        // (RFC 6750 §2.1 b64token): each comma-separated part is one credential, so two
        // Authorization headers are two tokens, refused below.
        for value in req.header_values(&src.name).flat_map(|v| v.split(',')) {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match &src.scheme {
                None => {
                    if holds_white_space(value) {
                        return TokenLookup::InvalidRequest(format!(
                            "The {} header holds white space; a token never does.",
                            src.name
                        ));
                    }
                    found.push((
                        value.to_owned(),
                        Found::Header {
                            name: src.name.clone(),
                        },
                        false,
                    ));
                }
                Some(scheme) => {
                    let Some((word, rest)) = value.split_once(char::is_whitespace) else {
                        continue;
                    };
                    let rest = rest.trim();
                    let ihe_jwt = src.name.eq_ignore_ascii_case("authorization")
                        && sources.allow_ihe_jwt
                        && word.eq_ignore_ascii_case("IHE-JWT");
                    // RFC 9449 §7.1: a DPoP-bound token comes with the DPoP scheme; the
                    // proof is checked once the token is valid (crate::dpop).
                    let dpop = src.name.eq_ignore_ascii_case("authorization")
                        && sources.dpop != crate::dpop::Mode::Off
                        && word.eq_ignore_ascii_case("DPoP");
                    if word.eq_ignore_ascii_case(scheme) || ihe_jwt || dpop {
                        if holds_white_space(rest) {
                            return TokenLookup::InvalidRequest(format!(
                                "The {} header's {word} credential holds white space; a token never does (two tokens in one header?).",
                                src.name
                            ));
                        }
                        found.push((
                            rest.to_owned(),
                            Found::Header {
                                name: src.name.clone(),
                            },
                            ihe_jwt && !word.eq_ignore_ascii_case(scheme),
                        ));
                    } else if src.name.eq_ignore_ascii_case("authorization")
                        && word.eq_ignore_ascii_case("IHE-SAML")
                    {
                        return TokenLookup::Unsupported(
                            "The request carries a SAML assertion (IHE-SAML scheme, IUA 2013); azlens verifies JWTs only.".into(),
                        );
                    }
                }
            }
        }
    }
    let cookies = if sources.from_cookies.is_empty() {
        Vec::new()
    } else {
        req.cookies()
    };
    for name in &sources.from_cookies {
        for (n, v) in &cookies {
            if n == name && !v.is_empty() {
                found.push((v.clone(), Found::Cookie { name: name.clone() }, false));
            }
        }
    }
    let query_tokens: Vec<String> = req
        .query_params()
        .into_iter()
        .filter(|(n, _)| n == "access_token")
        .map(|(_, v)| v)
        .collect();
    if !query_tokens.is_empty() {
        if !sources.allow_query {
            return TokenLookup::InvalidRequest(
                "Tokens in the query string (access_token) are not accepted here; send them in the Authorization header.".into(),
            );
        }
        for t in query_tokens {
            found.push((t, Found::Query, false));
        }
    }
    match found.len() {
        0 => TokenLookup::Missing,
        1 => {
            let (token, from, deprecated_scheme) = found.remove(0);
            if token.is_empty() {
                return TokenLookup::InvalidRequest(
                    "The Authorization header names a scheme but no token.".into(),
                );
            }
            TokenLookup::Found {
                token,
                from,
                deprecated_scheme,
            }
        }
        _ => TokenLookup::InvalidRequest(
            "The request carries more than one token; send exactly one (RFC 6750 §2).".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::hosts::HeaderSource;

    fn req(headers: &[(&str, &str)], query: &str) -> Request {
        Request {
            method: "GET".into(),
            path: "/x".into(),
            query: query.into(),
            headers: headers
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            ..Request::default()
        }
    }

    fn found(l: TokenLookup) -> (String, bool) {
        match l {
            TokenLookup::Found {
                token,
                deprecated_scheme,
                ..
            } => (token, deprecated_scheme),
            other => panic!("expected a token, got {other:?}"),
        }
    }

    #[test]
    fn bearer_is_case_insensitive_and_ihe_jwt_is_flagged() {
        let s = TokenSources::default();
        assert_eq!(
            found(extract(&s, &req(&[("Authorization", "bearer abc")], ""))),
            ("abc".into(), false)
        );
        assert_eq!(
            found(extract(&s, &req(&[("AUTHORIZATION", "BEARER  abc ")], ""))),
            ("abc".into(), false)
        );
        assert_eq!(
            found(extract(&s, &req(&[("authorization", "IHE-JWT abc")], ""))),
            ("abc".into(), true)
        );
        let strict = TokenSources {
            allow_ihe_jwt: false,
            ..TokenSources::default()
        };
        assert_eq!(
            extract(&strict, &req(&[("authorization", "IHE-JWT abc")], "")),
            TokenLookup::Missing
        );
        assert!(matches!(
            extract(&s, &req(&[("authorization", "IHE-SAML PHNhbWw+")], "")),
            TokenLookup::Unsupported(_)
        ));
        assert_eq!(
            extract(&s, &req(&[("authorization", "Basic dXNlcjpwdw==")], "")),
            TokenLookup::Missing
        );
        assert_eq!(extract(&s, &req(&[], "")), TokenLookup::Missing);
    }

    #[test]
    fn query_tokens_are_refused_unless_allowed_and_duplicates_always() {
        let s = TokenSources::default();
        assert!(matches!(
            extract(&s, &req(&[], "access_token=abc")),
            TokenLookup::InvalidRequest(_)
        ));
        let q = TokenSources {
            allow_query: true,
            ..TokenSources::default()
        };
        assert_eq!(
            found(extract(&q, &req(&[], "a=1&access_token=abc"))),
            ("abc".into(), false)
        );
        assert!(matches!(
            extract(
                &q,
                &req(&[("authorization", "Bearer x")], "access_token=abc")
            ),
            TokenLookup::InvalidRequest(_)
        ));
        assert!(matches!(
            extract(
                &s,
                &req(
                    &[("authorization", "Bearer x"), ("Authorization", "Bearer y")],
                    ""
                )
            ),
            TokenLookup::InvalidRequest(_)
        ));
    }

    #[test]
    fn other_headers_and_cookies() {
        let s = TokenSources {
            from_headers: vec![HeaderSource {
                name: "x-jwt".into(),
                scheme: None,
            }],
            from_cookies: vec!["session".into()],
            ..TokenSources::default()
        };
        assert_eq!(
            found(extract(&s, &req(&[("X-JWT", "abc")], ""))),
            ("abc".into(), false)
        );
        assert_eq!(
            found(extract(&s, &req(&[("cookie", "a=b; session=tok")], ""))),
            ("tok".into(), false)
        );
    }

    #[test]
    fn white_space_is_found_in_ascii_and_unicode_alike() {
        for s in [
            "a b",
            "a\tb",
            "a\x0bb",
            "a\x0cb",
            "a\rb",
            "a\u{a0}b",
            "é\u{2003}",
            "\u{3000}",
        ] {
            assert!(holds_white_space(s), "{s:?}");
            assert_eq!(holds_white_space(s), s.contains(char::is_whitespace));
        }
        for s in ["eyJhbGciOi.x-_~+/=", "é", "a\x1cb", ""] {
            assert_eq!(
                holds_white_space(s),
                s.contains(char::is_whitespace),
                "{s:?}"
            );
        }
    }
}
