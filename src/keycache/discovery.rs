//! OpenID Connect / SMART discovery as steps a host drives: fetch
//! `{issuer}/.well-known/openid-configuration`; when that gets no document (no answer, an error
//! status), `{issuer}/.well-known/smart-configuration`. The first document that arrives decides:
//! its `issuer` must be exactly the issuer asked about ([`crate::discovery::read`], which also
//! lists the document's other problems as warnings), and its `jwks_uri` must pass the same URL
//! rules as a configured one ([`crate::fetch_url`]). A document that fails either is refused — the
//! other document is not tried, since a server that answers with the wrong issuer is the wrong
//! server.

use super::response::Completion;
use crate::error::Warning;
use crate::fetch_url as url;
use crate::policy::Policy;
use serde::Serialize;

/// Discovery of one issuer, one document at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    issuer: String,
    urls: [String; 2],
    at: usize,
    problems: Vec<String>,
}

/// What the host does next.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum DiscoveryStep {
    /// Fetch this document, then [`Discovery::complete`] with what came back.
    Fetch { url: String },
    /// The key set is at `jwks_uri`.
    Found(Found),
    /// Discovery failed, for the reasons given in one sentence.
    Failed { problem: String },
}

/// A usable discovery document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Found {
    /// The document that answered.
    pub document: String,
    pub jwks_uri: String,
    /// The document's problems that do not stop its use.
    pub warnings: Vec<Warning>,
}

impl Discovery {
    /// Discovery of `issuer` ([`url::discovery_urls`]).
    pub fn new(issuer: &str) -> Discovery {
        Discovery {
            issuer: issuer.to_owned(),
            urls: url::discovery_urls(issuer),
            at: 0,
            problems: Vec::new(),
        }
    }

    /// The documents tried, in order.
    pub fn urls(&self) -> &[String; 2] {
        &self.urls
    }

    /// The first step: the first document to fetch, unless the issuer's own address may not be
    /// fetched under `policy`.
    pub fn start(&self, policy: &Policy) -> DiscoveryStep {
        match url::check(&self.urls[0], policy.key_cache.allow_loopback_http) {
            Ok(_) => DiscoveryStep::Fetch {
                url: self.urls[0].clone(),
            },
            Err(e) => self.failed(e.to_string()),
        }
    }

    /// The document asked for last came back as `completion`.
    pub fn complete(&mut self, policy: &Policy, completion: &Completion) -> DiscoveryStep {
        let Some(asked) = self.urls.get(self.at).cloned() else {
            return self.failed("discovery already ended".into());
        };
        let body = match completion.ok_body(&asked) {
            Ok(body) => body,
            Err(why) => {
                self.problems.push(why);
                self.at += 1;
                return match self.urls.get(self.at) {
                    Some(next) => DiscoveryStep::Fetch { url: next.clone() },
                    None => self.failed(String::new()),
                };
            }
        };
        self.at = self.urls.len();
        let read = match crate::discovery::read(policy, &self.issuer, &asked, body) {
            Ok(read) => read,
            Err(why) => return self.failed(why),
        };
        if let Err(e) = url::check(&read.jwks_uri, policy.key_cache.allow_loopback_http) {
            return self.failed(format!(
                "the discovery document of {} names an unusable jwks_uri: {e}",
                self.issuer
            ));
        }
        DiscoveryStep::Found(Found {
            document: asked,
            jwks_uri: read.jwks_uri,
            warnings: read.warnings,
        })
    }

    /// Discovery ended without a key set: every problem met on the way, then `last`.
    fn failed(&self, last: String) -> DiscoveryStep {
        let mut all = self.problems.clone();
        if !last.is_empty() {
            all.push(last);
        }
        DiscoveryStep::Failed {
            problem: all.join(" "),
        }
    }
}

#[cfg(test)]
#[path = "discovery_tests.rs"]
mod tests;
