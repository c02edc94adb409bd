//! Which route rule covers a request: the longest matching path prefix whose methods fit.

use super::request::Request;
use crate::policy::hosts::Route;

/// The route for `req`, if any covers it. Paths no route covers need a valid token and
/// nothing more.
pub fn route_for<'a>(routes: &'a [Route], req: &Request) -> Option<&'a Route> {
    routes
        .iter()
        .filter(|r| prefix_matches(&r.path_prefix, &req.path))
        .filter(|r| {
            r.methods
                .as_ref()
                .is_none_or(|ms| ms.iter().any(|m| m.eq_ignore_ascii_case(&req.method)))
        })
        .max_by_key(|r| r.path_prefix.len())
}

/// `/fhir` covers `/fhir` and `/fhir/...` but not `/fhirx`.
fn prefix_matches(prefix: &str, path: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || prefix.ends_with('/') || rest.starts_with('/'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(prefix: &str, methods: Option<&[&str]>) -> Route {
        Route {
            path_prefix: prefix.into(),
            methods: methods.map(|m| m.iter().map(|s| s.to_string()).collect()),
            open: false,
            issuers: vec![],
            any_scope: vec![],
            fhir: false,
            operations: vec![],
            iua: None,
        }
    }

    #[test]
    fn longest_prefix_with_matching_method_wins() {
        let routes = [
            route("/", None),
            route("/fhir", None),
            route("/fhir/metadata", Some(&["GET"])),
        ];
        let r = |m: &str, p: &str| {
            route_for(&routes, &Request::new(m, p, vec![])).map(|r| r.path_prefix.as_str())
        };
        assert_eq!(r("GET", "/fhir/metadata"), Some("/fhir/metadata"));
        assert_eq!(r("POST", "/fhir/metadata"), Some("/fhir"));
        assert_eq!(r("GET", "/fhirx"), Some("/"));
        assert_eq!(r("GET", "/fhir"), Some("/fhir"));
        assert_eq!(
            route_for(&routes[1..], &Request::new("GET", "/other", vec![])),
            None
        );
    }
}
