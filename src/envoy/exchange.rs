//! Envoy's view of a request in, the guard's decision out: the only translation the filter
//! does. What the decision *is* belongs to [`crate::guard`].

use crate::gate::Answer;
use crate::guard::{Decision, Request};

/// The guard's request from Envoy's header pairs (`:method` and `:path` pseudo-headers, then
/// the rest). Header values that are not UTF-8 are read lossily: they can carry no token.
pub fn request_from_headers(headers: Vec<(String, Vec<u8>)>) -> Request {
    let mut method = String::new();
    let mut path = String::new();
    let (mut scheme, mut authority) = (None, None);
    let mut rest = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let value = match String::from_utf8(value) {
            Ok(v) => v,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        match name.as_str() {
            ":method" => method = value,
            ":path" => path = value,
            // The first of each, as a host lookup by name would give.
            ":scheme" => {
                scheme.get_or_insert(value);
            }
            ":authority" => {
                authority.get_or_insert(value);
            }
            n if n.starts_with(':') => {}
            _ => rest.push((name, value)),
        }
    }
    if path.is_empty() {
        path.push('/');
    }
    let mut req = Request::new(&method, &path, rest);
    // The external origin, for a DPoP proof's `htu` (crate::dpop); read from the map already
    // fetched rather than with two more host calls per request.
    if let (Some(scheme), Some(authority)) = (scheme, authority) {
        req.origin = Some(format!("{scheme}://{authority}"));
    }
    req
}

/// What the filter does with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Send it upstream, edited.
    Forward(Upstream),
    /// Answer it here.
    Reply(Reply),
}

/// Edits to the upstream request, applied in this order: remove, set, rewrite `:path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub remove: Vec<String>,
    pub set: Vec<(String, String)>,
    /// The `:path` the decision was made on (its canonical form), when it differs from the
    /// one Envoy holds.
    pub path: Option<String>,
    /// Added to the response the client gets.
    pub response_headers: Vec<(String, String)>,
}

/// A local reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u32,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Turn the gate's answer to `req` into Envoy operations.
pub fn outcome(answer: &Answer, req: &Request) -> Outcome {
    match answer {
        Answer::Decision(decision) => decided(decision, req),
        Answer::Introspection(reply) => Outcome::Reply(Reply {
            status: u32::from(reply.status),
            headers: reply.headers.clone(),
            body: reply.body.clone().into_bytes(),
        }),
    }
}

/// The guard's decision on `req`: forwarded, edited, or refused here.
fn decided(decision: &Decision, req: &Request) -> Outcome {
    if decision.allow {
        return Outcome::Forward(Upstream {
            remove: decision.remove_headers.clone(),
            set: decision.set_headers.clone(),
            path: decision
                .upstream_path
                .as_ref()
                .filter(|p| **p != crate::guard::canonical::target(&req.path, &req.query))
                .cloned(),
            response_headers: decision.response_headers.clone(),
        });
    }
    let mut headers = Vec::new();
    if let Some(challenge) = &decision.www_authenticate {
        headers.push(("www-authenticate".to_owned(), challenge.clone()));
    }
    let body = decision.body.clone().unwrap_or_default().into_bytes();
    if !body.is_empty() {
        headers.push(("content-type".to_owned(), "application/json".to_owned()));
    }
    headers.push(("cache-control".to_owned(), "no-store".to_owned()));
    headers.extend(decision.response_headers.iter().cloned());
    Outcome::Reply(Reply {
        status: u32::from(decision.status),
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::VerdictCache;
    use crate::gate::{self, Step};
    use crate::keys::KeySet;
    use crate::verify::Verifier;
    use serde_json::json;

    fn h(n: &str, v: &str) -> (String, Vec<u8>) {
        (n.to_owned(), v.as_bytes().to_vec())
    }

    fn verifier(extra: serde_json::Value) -> Verifier {
        let mut doc = json!({
            "algorithms": ["HS256"],
            "token": {"realm": "api", "allow_query": true},
            "routes": [{"path_prefix": "/health", "open": true}],
            "forward": {"headers": {"x-sub": "sub"}}
        });
        if let (Some(d), Some(e)) = (doc.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                d.insert(k.clone(), v.clone());
            }
        }
        Verifier::from_json(&doc.to_string()).unwrap()
    }

    #[test]
    fn reads_envoy_headers() {
        let req = request_from_headers(vec![
            h(":authority", "api.example"),
            h(":method", "post"),
            h(":path", "/fhir/Patient?name=x"),
            h("authorization", "Bearer abc"),
            ("x-latin1".into(), vec![b'a', 0xe9]),
        ]);
        // Methods are case-sensitive (RFC 9110 §9.1): passed on as sent; the guard refuses `post`.
        assert_eq!(req.method, "post");
        assert_eq!(
            (req.path.as_str(), req.query.as_str()),
            ("/fhir/Patient", "name=x")
        );
        assert_eq!(req.headers.len(), 2, "pseudo-headers stay out");
        assert_eq!(req.headers[1].1, "a\u{fffd}");
        assert_eq!(request_from_headers(Vec::new()).path, "/");
        assert_eq!(req.origin, None, "no :scheme, no origin");
    }

    #[test]
    fn the_origin_comes_from_scheme_and_authority() {
        let req = request_from_headers(vec![
            h(":scheme", "https"),
            h(":authority", "api.example:8443"),
            h(":method", "GET"),
            h(":path", "/"),
        ]);
        assert_eq!(req.origin.as_deref(), Some("https://api.example:8443"));
    }

    #[test]
    fn a_refusal_becomes_a_local_reply() {
        let v = verifier(json!({}));
        let req = request_from_headers(vec![h(":method", "GET"), h(":path", "/api")]);
        let Step::Reply(d) = gate::begin(&v, &VerdictCache::new(1), req.clone(), None) else {
            panic!("no token: decided without keys")
        };
        let Outcome::Reply(reply) = outcome(&d, &req) else {
            panic!("denied")
        };
        assert_eq!(reply.status, 401);
        assert!(reply
            .headers
            .contains(&("www-authenticate".into(), "Bearer realm=\"api\"".into())));
        assert!(reply
            .headers
            .contains(&("content-type".into(), "application/json".into())));
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert!(body.is_object());
    }

    #[test]
    fn an_open_route_forwards_without_spoofable_headers() {
        let v = verifier(json!({}));
        let req = request_from_headers(vec![
            h(":method", "GET"),
            h(":path", "/health"),
            h("x-sub", "spoofed"),
        ]);
        let d = gate::decide(&v, req.clone(), &KeySet::new(), 0);
        let Outcome::Forward(up) = outcome(&d, &req) else {
            panic!("open route")
        };
        assert_eq!(up.remove, ["x-sub"]);
        assert!(up.set.is_empty() && up.path.is_none());
    }

    #[test]
    fn the_decided_canonical_path_is_the_one_forwarded() {
        let v = verifier(json!({}));
        let raw = request_from_headers(vec![
            h(":method", "GET"),
            h(":path", "/%68ealth/./x/..?a=%7e&&b=1"),
        ]);
        let d = gate::decide(&v, raw.clone(), &KeySet::new(), 0);
        let Outcome::Forward(up) = outcome(&d, &raw) else {
            panic!("open route: {d:?}")
        };
        assert_eq!(up.path.as_deref(), Some("/health?a=~&b=1"));
        let plain = request_from_headers(vec![h(":method", "GET"), h(":path", "/health?a=1")]);
        let d = gate::decide(&v, plain.clone(), &KeySet::new(), 0);
        let Outcome::Forward(up) = outcome(&d, &plain) else {
            panic!()
        };
        assert_eq!(up.path, None, "a canonical path is left as it is");
        let token_in_query = request_from_headers(vec![
            h(":method", "GET"),
            h(":path", "/health?access_token=x&b=1"),
        ]);
        let d = gate::decide(&v, token_in_query.clone(), &KeySet::new(), 0);
        let Outcome::Forward(up) = outcome(&d, &token_in_query) else {
            panic!()
        };
        assert_eq!(up.path, None, "an open route forwards the query it got");
    }
}
