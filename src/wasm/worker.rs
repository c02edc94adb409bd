//! The edge worker's engine (feature `web`): the core's one gate protocol ([`crate::gate`]:
//! `begin`, then `finish` with the keys) behind wasm-bindgen, for `js/worker.js`. Like
//! [`crate::wasm`] it decides nothing itself: requests come in as JSON
//! ([`crate::guard::Request`]), answers go out as JSON, tickets stay here by number, key sets
//! are the `KeySet` objects [`crate::wasm`] defines, and `now` comes from the host.
//!
//! One `Gate` lives per isolate, holding the policy and a [`VerdictCache`], so a client that
//! repeats one token pays for its signature once per key-set generation.

use crate::cache::VerdictCache;
use crate::gate;
use crate::guard::Request;
use crate::wasm::{to_json, WebKeySet};
use serde::Serialize;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;

/// The policy's gate for one isolate.
#[wasm_bindgen]
pub struct Gate {
    verifier: crate::Verifier,
    cache: VerdictCache,
    tickets: BTreeMap<u32, gate::Ticket>,
    next_ticket: u32,
}

/// What `begin` tells the host to do next (the core's [`gate::Step`] as JSON).
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Next<'a> {
    /// Answer now: `{"decision": …}` or `{"introspection": …}`.
    Reply(&'a gate::Answer),
    /// Read at most `max_bytes + 1` bytes of the body, then `begin` again with them.
    ReadBody { max_bytes: usize },
    /// Fetch the plan's key sources, then `finish(ticket, …)`; `release(ticket)` after.
    Fetch {
        ticket: u32,
        plan: &'a crate::KeyPlan,
    },
}

/// What `finish` answers (the core's [`gate::Outcome`] as JSON).
#[derive(Serialize)]
struct Finished<'a> {
    answer: &'a gate::Answer,
    keys: &'a gate::KeyAction,
}

/// Tickets a host may hold at once (requests waiting for keys in one isolate); beyond it the
/// oldest is dropped, so a host that never releases cannot grow the table without bound.
const MAX_TICKETS: usize = 4096;

#[wasm_bindgen]
impl Gate {
    /// Read a policy document (JSON text; `env:` references already replaced by the host).
    /// `cache_capacity` bounds the verified-token cache. Throws with the policy error.
    #[wasm_bindgen(constructor)]
    pub fn new(policy_json: &str, cache_capacity: u32) -> Result<Gate, JsError> {
        let verifier =
            crate::Verifier::from_json(policy_json).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Gate {
            verifier,
            cache: VerdictCache::new(usize::try_from(cache_capacity).unwrap_or(usize::MAX)),
            tickets: BTreeMap::new(),
            next_ticket: 0,
        })
    }

    /// The first step for a request (see [`Next`]): `{"reply": answer}`,
    /// `{"read_body": {"max_bytes": n}}` or `{"fetch": {"ticket": n, "plan": KeyPlan}}`.
    /// `body`: the body a `read_body` asked for.
    pub fn begin(&mut self, request_json: &str, body: Option<String>) -> Result<String, JsError> {
        let req = request(request_json)?;
        match gate::begin(&self.verifier, &self.cache, req, body) {
            gate::Step::Reply(answer) => to_json(&Next::Reply(&answer)),
            gate::Step::ReadBody { max_bytes } => to_json(&Next::ReadBody { max_bytes }),
            gate::Step::Fetch(ticket) => {
                let id = self.next_ticket;
                self.next_ticket = self.next_ticket.wrapping_add(1);
                let json = to_json(&Next::Fetch {
                    ticket: id,
                    plan: ticket.plan(),
                })?;
                if self.tickets.len() >= MAX_TICKETS {
                    self.tickets.pop_first();
                }
                self.tickets.insert(id, ticket);
                Ok(json)
            }
        }
    }

    /// The end of a request, with the keys fetched for the ticket's plan: `{"answer": …,
    /// "keys": "keep" | {"refetch_unknown_kid": [KeySource]}}`. `generation` must change
    /// whenever those key sets change (it keys the verified-token cache). The ticket stays
    /// valid for another `finish` (after a refetch) until `release`.
    pub fn finish(
        &mut self,
        ticket: u32,
        keys: &WebKeySet,
        generation: f64,
        now: f64,
    ) -> Result<String, JsError> {
        let Some(t) = self.tickets.get(&ticket) else {
            return Err(JsError::new("azlens: finish: unknown or released ticket"));
        };
        let outcome = gate::finish(
            &self.verifier,
            &mut self.cache,
            t,
            &[&keys.inner],
            super::ms(generation),
            super::epoch_seconds(now),
        );
        to_json(&Finished {
            answer: &outcome.answer,
            keys: &outcome.keys,
        })
    }

    /// Forget a ticket `begin` gave.
    pub fn release(&mut self, ticket: u32) {
        self.tickets.remove(&ticket);
    }

    /// `{"decision": …}` (400 `invalid_request`) for a request whose description is `bytes`
    /// bytes, over `hostSettings().max_request_bytes`, without copying it; `null` within.
    #[wasm_bindgen(js_name = decideOversized)]
    pub fn decide_oversized(
        &self,
        method: &str,
        path: &str,
        bytes: f64,
    ) -> Result<Option<String>, JsError> {
        crate::wasm::decide_oversized(self.verifier.policy(), method, path, bytes)
    }

    /// The IHE BALP `AuditEvent` (FHIR R4 JSON) for a decision's `audit` facts (as JSON),
    /// recorded at `now` (seconds since the epoch, the host's clock).
    #[wasm_bindgen(js_name = auditEvent)]
    pub fn audit_event(&self, facts_json: &str, now: f64) -> Result<String, JsError> {
        super::audit_event_under(self.verifier.policy(), facts_json, now)
    }

    /// Read a fetched key set within the policy's limits (for the shim's remote key cache).
    #[wasm_bindgen(js_name = parseKeys)]
    pub fn parse_keys(&self, bytes: &[u8]) -> Result<WebKeySet, JsError> {
        super::parse_keys_under(self.verifier.policy(), bytes)
    }

    /// Read a fetched discovery document (for the shim's discovery cache), as
    /// `Verifier.readDiscovery` does.
    #[wasm_bindgen(js_name = readDiscovery)]
    pub fn read_discovery(&self, issuer: &str, url: &str, bytes: &[u8]) -> Result<String, JsError> {
        super::read_discovery_under(self.verifier.policy(), issuer, url, bytes)
    }

    /// What the host needs to fetch keys: the policy's `key_cache` section and the key-set
    /// size limit, as JSON.
    #[wasm_bindgen(js_name = hostSettings)]
    pub fn host_settings(&self) -> Result<String, JsError> {
        crate::wasm::host_settings_json(self.verifier.policy())
    }

    /// Seconds a key set (or discovery document) fetched now stays fresh, from the response's
    /// `Cache-Control` and `Age` headers, within the policy's `key_cache` bounds.
    #[wasm_bindgen(js_name = keySetLifetime)]
    pub fn key_set_lifetime(&self, cache_control: Option<String>, age: Option<String>) -> f64 {
        crate::wasm::lifetime(self.verifier.policy(), cache_control, age)
    }

    /// Milliseconds to wait before fetching a key set again after `failures` failed fetches in
    /// a row: 1 s, 2 s, 4 s … at most the policy's `refetch_cooldown`.
    #[wasm_bindgen(js_name = keySetRetryAfter)]
    pub fn key_set_retry_after(&self, failures: u32) -> f64 {
        self.verifier.policy().key_cache.retry_after_ms(failures) as f64
    }

    /// The verified-token cache's counters, `{"hits", "misses", "len"}`.
    #[wasm_bindgen(js_name = cacheStats)]
    pub fn cache_stats(&self) -> Result<String, JsError> {
        let (hits, misses) = self.cache.stats();
        to_json(&serde_json::json!({"hits": hits, "misses": misses, "len": self.cache.len()}))
    }
}

fn request(json: &str) -> Result<Request, JsError> {
    serde_json::from_str(json).map_err(|e| JsError::new(&format!("azlens: request: {e}")))
}
