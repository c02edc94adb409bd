//! The key-set URLs the filter fetches, each through the Envoy cluster the policy maps it to.
//!
//! Envoy makes outbound calls only to named clusters, so every URL a token could make the filter
//! fetch (an issuer's `jwks_uri`, an allow-listed `jku`) must be mapped in `envoy.clusters`.
//! A gap is a configuration error, reported when the plugin starts rather than at the first
//! request. OpenID/SMART discovery would make the URL depend on a fetched document, which no
//! cluster can be named for in advance: it is refused here. Which URLs may be fetched at all
//! (https, loopback http when allowed) is the core's rule ([`crate::fetch_url`]), checked
//! when the policy loads.

use crate::keycache::check_url;
use crate::policy::Policy;
use std::fmt;

/// Prefix of the shared-data keys; the version changes if the record format does.
pub const SHARED_KEY_PREFIX: &str = "azlens.keys.v1 ";

/// One key-set URL and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub url: String,
    /// The Envoy cluster `dispatch_http_call` goes through.
    pub cluster: String,
    /// `:authority` of the call (the URL's host and port).
    pub authority: String,
    /// `:path` of the call (path and query).
    pub path: String,
    /// `:scheme` of the call.
    pub scheme: String,
    /// The shared-data key holding this URL's record.
    pub shared_key: String,
}

/// Why the policy cannot run in Envoy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError(pub String);

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Every URL the filter may fetch for `policy`, in `envoy.clusters` order.
pub fn sources(policy: &Policy) -> Result<Vec<Source>, SourceError> {
    let clusters = &policy.envoy.clusters;
    let mut named: Vec<&str> = Vec::new();
    for issuer in &policy.issuers {
        if issuer.discovery {
            return Err(SourceError(format!(
                "the issuer \"{}\" uses \"discovery\", which the Envoy filter does not support: \
                 set its \"jwks_uri\" and map that URL to a cluster in \"envoy.clusters\"",
                issuer.issuer
            )));
        }
        let urls = issuer.jwks_uri.iter().chain(issuer.jku.iter());
        for url in urls.chain(issuer.crl_urls.iter()) {
            if !clusters.contains_key(url) {
                return Err(SourceError(format!(
                    "the key-set URL \"{url}\" of the issuer \"{}\" has no cluster: add \
                     \"{url}\": \"<cluster name>\" to \"envoy.clusters\"",
                    issuer.issuer
                )));
            }
            named.push(url);
        }
    }
    // CRLs for x5c chains are fetched like key sets.
    for url in &policy.crl_urls {
        if !clusters.contains_key(url) {
            return Err(SourceError(format!(
                "the CRL URL \"{url}\" has no cluster: add \"{url}\": \"<cluster name>\" to \
                 \"envoy.clusters\""
            )));
        }
        named.push(url);
    }
    let mut out = Vec::new();
    for (url, cluster) in clusters {
        if !named.contains(&url.as_str()) {
            return Err(SourceError(format!(
                "\"envoy.clusters\" maps \"{url}\", which no issuer names as its \"jwks_uri\" \
                 or in its \"jku\" list, and no \"crl_urls\" names"
            )));
        }
        if cluster.trim().is_empty() {
            return Err(SourceError(format!(
                "\"envoy.clusters\" maps \"{url}\" to an empty cluster name"
            )));
        }
        let parts = check_url(url, policy.key_cache.allow_loopback_http)
            .map_err(|e| SourceError(e.to_string()))?;
        out.push(Source {
            url: url.clone(),
            cluster: cluster.clone(),
            authority: parts.authority,
            path: parts.path,
            scheme: parts.scheme,
            shared_key: format!("{SHARED_KEY_PREFIX}{url}"),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(extra: serde_json::Value) -> Result<Vec<Source>, SourceError> {
        let mut doc = json!({
            "algorithms": ["RS256"],
            "issuers": [{"issuer": "https://as.example", "jwks_uri": "https://as.example/jwks?v=2",
                         "jku": ["https://as.example/other"]}],
            "envoy": {"clusters": {"https://as.example/jwks?v=2": "as_keys",
                                   "https://as.example/other": "as_keys"}}
        });
        if let (Some(d), Some(e)) = (doc.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                d.insert(k.clone(), v.clone());
            }
        }
        // The policy's URL rules refuse some documents before the Envoy rules are asked.
        let policy = Policy::from_json(&doc.to_string()).map_err(|e| SourceError(e.to_string()))?;
        sources(&policy)
    }

    #[test]
    fn maps_every_named_url_to_its_cluster() {
        let s = policy(json!({})).unwrap();
        assert_eq!(s.len(), 2);
        let jwks = s.iter().find(|s| s.url.ends_with("v=2")).unwrap();
        assert_eq!(jwks.cluster, "as_keys");
        assert_eq!(jwks.authority, "as.example");
        assert_eq!(jwks.path, "/jwks?v=2");
        assert_eq!(jwks.scheme, "https");
        assert_eq!(
            jwks.shared_key,
            "azlens.keys.v1 https://as.example/jwks?v=2"
        );
    }

    #[test]
    fn crl_urls_are_sources_too() {
        let clusters = json!({"https://as.example/jwks?v=2": "as_keys",
            "https://as.example/other": "as_keys", "https://ca.example/int.crl": "ca"});
        let with = policy(json!({"crl_urls": ["https://ca.example/int.crl"],
                                 "envoy": {"clusters": clusters}}))
        .unwrap();
        let crl = with.iter().find(|s| s.url.ends_with(".crl")).unwrap();
        assert_eq!(
            (crl.cluster.as_str(), crl.path.as_str()),
            ("ca", "/int.crl")
        );
        let gap = policy(json!({"crl_urls": ["https://ca.example/root.crl"]}));
        assert!(gap
            .unwrap_err()
            .0
            .contains("the CRL URL \"https://ca.example/root.crl\""));
    }

    #[test]
    fn refuses_gaps_strays_discovery_and_plain_http() {
        let no_cluster =
            policy(json!({"envoy": {"clusters": {"https://as.example/jwks?v=2": "c"}}}));
        assert!(no_cluster
            .unwrap_err()
            .0
            .contains("https://as.example/other"));
        let stray = policy(json!({"envoy": {"clusters": {
            "https://as.example/jwks?v=2": "c", "https://as.example/other": "c",
            "https://evil.example/jwks": "c"}}}));
        assert!(stray.unwrap_err().0.contains("no issuer names"));
        let discovery = policy(
            json!({"issuers": [{"issuer": "https://as.example", "discovery": true}],
                                      "envoy": {}}),
        );
        assert!(discovery.unwrap_err().0.contains("discovery"));
        let http = json!({"issuers": [{"issuer": "x", "jwks_uri": "http://127.0.0.1:9/k"}],
                          "envoy": {"clusters": {"http://127.0.0.1:9/k": "c"}}});
        assert!(policy(http.clone()).unwrap_err().0.contains("plain http"));
        let mut allowed = http;
        allowed["key_cache"] = json!({"allow_loopback_http": true});
        assert_eq!(policy(allowed).unwrap()[0].authority, "127.0.0.1:9");
        let remote_http = json!({"issuers": [{"issuer": "x", "jwks_uri": "http://10.0.0.1/k"}],
                          "key_cache": {"allow_loopback_http": true},
                          "envoy": {"clusters": {"http://10.0.0.1/k": "c"}}});
        assert!(policy(remote_http).is_err());
        let empty = json!({"issuers": [{"issuer": "x", "jwks_uri": "https://a/k"}],
                          "envoy": {"clusters": {"https://a/k": " "}}});
        assert!(policy(empty).unwrap_err().0.contains("empty cluster"));
    }
}
