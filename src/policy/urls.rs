//! Every URL the policy makes a host fetch keys from — an issuer's `jwks_uri`, its `jku`
//! allow-list, its discovery documents, CRLs — passes the key cache's URL rules
//! ([`crate::fetch_url`]) when the policy loads, so a bad one is a policy error with a
//! stable code in every host, not a warning at the first request.

use super::{Policy, PolicyError};
use crate::fetch_url::{check as check_url, discovery_urls};

impl Policy {
    pub(super) fn validate_urls(&self) -> Result<(), PolicyError> {
        let loopback = self.key_cache.allow_loopback_http;
        let refuse = |what: String, e: crate::fetch_url::UrlError| PolicyError {
            code: e.code(),
            message: format!("{what}: {e} ({})", e.code()),
        };
        for iss in &self.issuers {
            let name = &iss.issuer;
            if let Some(url) = &iss.jwks_uri {
                check_url(url, loopback)
                    .map_err(|e| refuse(format!("the \"jwks_uri\" of the issuer \"{name}\""), e))?;
            }
            for url in &iss.jku {
                check_url(url, loopback)
                    .map_err(|e| refuse(format!("a \"jku\" of the issuer \"{name}\""), e))?;
            }
            for url in &iss.crl_urls {
                check_url(url, loopback).map_err(|e| {
                    refuse(format!("a \"crl_urls\" entry of the issuer \"{name}\""), e)
                })?;
            }
            if iss.discovery {
                let [first, _] = discovery_urls(name);
                check_url(&first, loopback).map_err(|e| {
                    refuse(
                        format!("the discovery of the issuer \"{name}\" (\"discovery\": true)"),
                        e,
                    )
                })?;
            }
        }
        for url in &self.crl_urls {
            check_url(url, loopback).map_err(|e| refuse("a \"crl_urls\" entry".into(), e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "urls_tests.rs"]
mod tests;
