//! The key-set lifecycle ([`crate::keycache`]) for the JS hosts: js/keys.js keeps each URL's
//! [`Slot`] as a plain object and asks here what it means (fresh, stale, due, may an unknown
//! `kid` refetch) and what a finished fetch makes of it. The JS side only fetches, stores and
//! waits.

use crate::keycache::{self, Discovery, Fresh, Slot, Timing};
use crate::policy::hosts::KeyCache;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// The key-cache rules of one policy.
#[wasm_bindgen(js_name = KeySlots)]
pub struct WebKeySlots {
    timing: Timing,
}

fn slot_from(json: &str) -> Result<Slot, JsError> {
    if json.is_empty() {
        return Ok(Slot::default());
    }
    serde_json::from_str(json).map_err(|e| JsError::new(&format!("azlens: a key slot: {e}")))
}

fn headers_from(json: &str) -> Vec<(String, String)> {
    serde_json::from_str(json).unwrap_or_default()
}

#[wasm_bindgen(js_class = KeySlots)]
impl WebKeySlots {
    /// The rules of a policy's `key_cache` section (JSON, snake_case, as `hostSettings()`
    /// returns it).
    #[wasm_bindgen(constructor)]
    pub fn new(key_cache_json: &str) -> Result<WebKeySlots, JsError> {
        let cache: KeyCache = serde_json::from_str(key_cache_json)
            .map_err(|e| JsError::new(&format!("azlens: key_cache: {e}")))?;
        Ok(WebKeySlots {
            timing: Timing::of(&cache),
        })
    }

    /// What a slot (JSON; empty: never fetched) is at `now` (ms):
    /// `{"serving": "fresh"|"stale"|"none", "due": null|"missing"|"scheduled"|"unknown_kid",
    /// "kid_refetch": bool}`; `want_refetch`: a token named a `kid` the set lacks.
    pub fn look(&self, slot: &str, now: f64, want_refetch: bool) -> Result<String, JsError> {
        #[derive(Serialize)]
        struct Look {
            serving: keycache::Serving,
            due: Option<keycache::FetchWhy>,
            kid_refetch: bool,
        }
        let s = slot_from(slot)?;
        let now = super::ms(now);
        super::to_json(&Look {
            serving: s.serving(now),
            due: s.due(now, want_refetch, &self.timing),
            kid_refetch: s.kid_refetch_allowed(now, &self.timing),
        })
    }

    /// The slot after a usable document arrived at `now` (ms): its bytes, its response headers
    /// (JSON `[[name, value], …]`), and when the unknown-`kid` refetch it answered started
    /// (negative: it was none). `{"slot": …, "changed": bool}` (changed: a new generation).
    #[wasm_bindgen(js_name = recordGood)]
    pub fn record_good(
        &self,
        slot: &str,
        body: &[u8],
        headers: &str,
        now: f64,
        unknown_kid_started: f64,
    ) -> Result<String, JsError> {
        let mut s = slot_from(slot)?;
        let now = super::ms(now);
        let response = keycache::Completion::Response {
            status: 200,
            headers: headers_from(headers),
            body: Vec::new(),
        };
        let fresh = Fresh {
            digest: keycache::complete::digest(body),
            fresh_for: self.timing.fresh_for_response(&response, now),
        };
        let started = (unknown_kid_started >= 0.0).then(|| super::ms(unknown_kid_started));
        let changed = s.record(Ok(&fresh), started, now, &self.timing);
        recorded(&s, changed)
    }

    /// The slot after a fetch at `now` (ms) failed (`problem`, in words): it backs off.
    #[wasm_bindgen(js_name = recordFailure)]
    pub fn record_failure(&self, slot: &str, problem: &str, now: f64) -> Result<String, JsError> {
        let mut s = slot_from(slot)?;
        s.record(Err(problem), None, super::ms(now), &self.timing);
        recorded(&s, false)
    }

    /// `slot` after taking up `other` (another holder's copy, from a shared store): the new
    /// slot as JSON, or `null` when `other` is not newer.
    pub fn adopt(&self, slot: &str, other: &str) -> Result<String, JsError> {
        let mut s = slot_from(slot)?;
        let Ok(other) = serde_json::from_str::<Slot>(other) else {
            return Ok("null".into());
        };
        if s.adopt(&other) {
            super::to_json(&s)
        } else {
            Ok("null".into())
        }
    }

    /// Throws, with the sentence saying why, when `url` may not be fetched (https only; plain
    /// http on loopback with `allow_loopback_http`).
    #[wasm_bindgen(js_name = checkUrl)]
    pub fn check_url(url: &str, allow_loopback_http: bool) -> Result<(), JsError> {
        keycache::check_url(url, allow_loopback_http)
            .map(|_| ())
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// One generation for the key sets a decision uses, for the verdict cache: `parts` is JSON
    /// `[[url, generation], …]` (generation 0: not served) ([`keycache::generation::combine`]).
    pub fn generation(parts: &str) -> f64 {
        let parts: Vec<(String, u64)> = serde_json::from_str(parts).unwrap_or_default();
        // Below 2^53: exact as a JS number.
        keycache::generation::combine(parts.iter().map(|(u, g)| (u.as_str(), *g))) as f64
    }

    /// The discovery documents of `issuer`, in the order they are tried (JSON array).
    #[wasm_bindgen(js_name = discoveryUrls)]
    pub fn discovery_urls(issuer: &str) -> Result<String, JsError> {
        super::to_json(&crate::fetch_url::discovery_urls(issuer))
    }
}

fn recorded(s: &Slot, changed: bool) -> Result<String, JsError> {
    #[derive(Serialize)]
    struct Recorded<'a> {
        slot: &'a Slot,
        changed: bool,
    }
    super::to_json(&Recorded { slot: s, changed })
}

/// OpenID / SMART discovery of one issuer, one document at a time ([`Discovery`]): for a host
/// that has no policy of its own (the inspector page's key fetcher).
#[wasm_bindgen(js_name = KeyDiscovery)]
pub struct WebDiscovery {
    inner: Discovery,
    policy: crate::Policy,
}

#[wasm_bindgen(js_class = KeyDiscovery)]
impl WebDiscovery {
    #[wasm_bindgen(constructor)]
    pub fn new(issuer: &str, allow_loopback_http: bool) -> WebDiscovery {
        let mut policy = crate::Policy::with_algorithms(&[]);
        policy.key_cache.allow_loopback_http = allow_loopback_http;
        WebDiscovery {
            inner: Discovery::new(issuer),
            policy,
        }
    }

    /// The first step, as JSON: `{"step": "fetch", "url"}` or `{"step": "failed", "problem"}`.
    pub fn start(&self) -> Result<String, JsError> {
        super::to_json(&self.inner.start(&self.policy))
    }

    /// The document asked for came back (`headers`: JSON `[[name, value], …]`): the next step,
    /// `{"step": "fetch" | "found" | "failed", …}` (found: `jwks_uri`, `document`, `warnings`).
    pub fn complete(&mut self, status: u16, headers: &str, body: &[u8]) -> Result<String, JsError> {
        let response = keycache::Completion::Response {
            status,
            headers: headers_from(headers),
            body: body.to_vec(),
        };
        super::to_json(&self.inner.complete(&self.policy, &response))
    }

    /// The document asked for got no response (`problem`, in words): the next step.
    pub fn failed(&mut self, problem: &str) -> Result<String, JsError> {
        let none = keycache::Completion::Failed(problem.to_owned());
        super::to_json(&self.inner.complete(&self.policy, &none))
    }
}
