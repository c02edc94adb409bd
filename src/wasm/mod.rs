//! The wasm-bindgen host (feature `web`): a thin translation layer for JavaScript (Node, browsers,
//! workerd). It decides nothing: it hands the core a policy, a token, key bytes and `now`, and
//! returns the core's answers as JSON strings (one `JSON.parse` in JS is cheaper than building
//! JS objects field by field). `js/index.js` is the API people use; this is its engine.
//! [`worker`] is the edge worker's `Gate`.
//!
//! Two builds come from here: with feature `report` (js/pkg/: Node, the page) `inspect.rs` adds
//! the inspection report's exports; without it (js/pkg-gate/: the edge worker) they and all of
//! `crate::report` are left out, for a smaller module and a faster cold start.

#[cfg(feature = "report")]
pub mod inspect;
pub mod keycache;
pub mod worker;

use crate::error::ErrorCode;
use crate::guard;
use crate::plan;
use crate::Limits;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// A policy document made ready to verify (its inline keys parsed once).
#[wasm_bindgen(js_name = Verifier)]
pub struct WebVerifier {
    pub(crate) inner: crate::Verifier,
}

/// What `Verifier.verify` answers: the verdict, and what the key cache must do next.
#[derive(Serialize)]
struct Verified<'a> {
    answer: &'a crate::Verdict,
    keys: crate::gate::KeyAction,
}

#[wasm_bindgen(js_class = Verifier)]
impl WebVerifier {
    /// Read a policy document (JSON text). Throws with the policy error on a bad policy.
    #[wasm_bindgen(constructor)]
    pub fn new(policy_json: &str) -> Result<WebVerifier, JsError> {
        crate::Verifier::from_json(policy_json)
            .map(|inner| WebVerifier { inner })
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// Verify `token` at `now` (seconds since the epoch) with the policy's inline keys plus
    /// `keys`: `{"answer": verdict, "keys": "keep" | {"refetch_unknown_kid": [KeySource]}}`
    /// (what the key cache must do next, as the gate's `finish` says it). Never throws on any
    /// token.
    pub fn verify(&self, token: &str, keys: &WebKeySet, now: f64) -> Result<String, JsError> {
        let verdict = self.inner.verify(token, &keys.inner, epoch_seconds(now));
        let codes: Vec<ErrorCode> = verdict.errors.iter().map(|e| e.code).collect();
        let keys = if codes.contains(&ErrorCode::KeyNotFound) {
            // Rare: the plan is read again only when no key matched.
            let plan = plan::key_plan(token, self.inner.policy());
            crate::gate::KeyAction::after(&plan.sources, &codes)
        } else {
            crate::gate::KeyAction::Keep
        };
        to_json(&Verified {
            answer: &verdict,
            keys,
        })
    }

    /// The verdict on a token of `bytes` bytes (UTF-8) that is over `limits.max_token_bytes`,
    /// as JSON, without the token: the shim checks the size before copying a token into
    /// WebAssembly memory (see `hostSettings().max_token_bytes`). `null` when within the limit.
    #[wasm_bindgen(js_name = verifyOversized)]
    pub fn verify_oversized(&self, bytes: f64) -> Result<Option<String>, JsError> {
        crate::token::oversized(byte_count(bytes), &self.inner.policy().limits)
            .map(|p| to_json(&crate::Verdict::rejected(p)))
            .transpose()
    }

    /// `{"decision": …}` (400 `invalid_request`) for a request whose description (the JSON
    /// `Gate.begin` takes) is `bytes` bytes, over `hostSettings().max_request_bytes`, from its
    /// method and path alone; `null` within the bound.
    #[wasm_bindgen(js_name = decideOversized)]
    pub fn decide_oversized(
        &self,
        method: &str,
        path: &str,
        bytes: f64,
    ) -> Result<Option<String>, JsError> {
        decide_oversized(self.inner.policy(), method, path, bytes)
    }

    /// Which policy-named key sources to fetch for `token`, as JSON ([`crate::KeyPlan`]).
    #[wasm_bindgen(js_name = keyPlan)]
    pub fn key_plan(&self, token: &str) -> Result<String, JsError> {
        to_json(&plan::key_plan(token, self.inner.policy()))
    }

    /// Read a key set (JWKS, JWK, PEM, certificate, DER, OpenSSH) within the policy's limits.
    /// Throws with the core's explanation when the bytes hold no usable key.
    #[wasm_bindgen(js_name = parseKeys)]
    pub fn parse_keys(&self, bytes: &[u8]) -> Result<WebKeySet, JsError> {
        parse_keys_under(self.inner.policy(), bytes)
    }

    /// Read a discovery document fetched from `url` for `issuer`: `{"jwks_uri", "warnings"}` as
    /// JSON ([`crate::discovery::read`]), or throws with the sentence saying why it is unusable.
    #[wasm_bindgen(js_name = readDiscovery)]
    pub fn read_discovery(&self, issuer: &str, url: &str, bytes: &[u8]) -> Result<String, JsError> {
        read_discovery_under(self.inner.policy(), issuer, url, bytes)
    }

    /// The IHE BALP `AuditEvent` (FHIR R4 JSON) for a decision's `audit` facts (as JSON),
    /// recorded at `now` (seconds since the epoch, the host's clock).
    #[wasm_bindgen(js_name = auditEvent)]
    pub fn audit_event(&self, facts_json: &str, now: f64) -> Result<String, JsError> {
        audit_event_under(self.inner.policy(), facts_json, now)
    }

    /// The settings a host needs to fetch keys, defaults filled in: the policy's `key_cache`
    /// section and the key-set size limit, as JSON.
    #[wasm_bindgen(js_name = hostSettings)]
    pub fn host_settings(&self) -> Result<String, JsError> {
        host_settings_json(self.inner.policy())
    }

    /// Seconds a key set (or discovery document) fetched now stays fresh, from the response's
    /// `Cache-Control` and `Age` headers, within the policy's `key_cache` bounds.
    #[wasm_bindgen(js_name = keySetLifetime)]
    pub fn key_set_lifetime(&self, cache_control: Option<String>, age: Option<String>) -> f64 {
        lifetime(self.inner.policy(), cache_control, age)
    }

    /// Milliseconds to wait before fetching a key set again after `failures` failed fetches in
    /// a row: 1 s, 2 s, 4 s … at most the policy's `refetch_cooldown`.
    #[wasm_bindgen(js_name = keySetRetryAfter)]
    pub fn key_set_retry_after(&self, failures: u32) -> f64 {
        self.inner.policy().key_cache.retry_after_ms(failures) as f64
    }
}

/// `auditEvent()` of both exported verifiers.
pub(crate) fn audit_event_under(
    policy: &crate::Policy,
    facts_json: &str,
    now: f64,
) -> Result<String, JsError> {
    let facts: crate::audit::Facts = serde_json::from_str(facts_json)
        .map_err(|e| JsError::new(&format!("the decision's audit facts: {e}")))?;
    to_json(&crate::audit::balp::event(
        &facts,
        &policy.audit,
        epoch_seconds(now),
    ))
}

/// A count from a JS double (milliseconds, a key-set generation): NaN, infinities and negatives
/// become 0.
fn ms(n: f64) -> u64 {
    if n.is_finite() && n > 0.0 {
        n as u64
    } else {
        0
    }
}

/// `hostSettings()` of both exported verifiers.
pub(crate) fn host_settings_json(policy: &crate::Policy) -> Result<String, JsError> {
    #[derive(Serialize)]
    struct HostSettings<'a> {
        key_cache: &'a crate::policy::hosts::KeyCache,
        max_key_set_bytes: usize,
        max_token_bytes: usize,
        max_inspect_bytes: usize,
        max_request_bytes: usize,
        audit: &'a crate::audit::AuditSettings,
        /// False when the policy names no remote source: no key plan is needed to verify.
        fetches_keys: bool,
    }
    to_json(&HostSettings {
        key_cache: &policy.key_cache,
        max_key_set_bytes: policy.limits.max_key_set_bytes,
        max_token_bytes: policy.limits.max_token_bytes,
        max_inspect_bytes: policy.limits.max_inspect_bytes(),
        max_request_bytes: guard::request::max_description_bytes(&policy.limits),
        audit: &policy.audit,
        fetches_keys: !crate::plan::never_fetches(policy),
    })
}

/// A length from JS (a double) as `usize`, saturating.
pub(crate) fn byte_count(bytes: f64) -> usize {
    if bytes >= usize::MAX as f64 {
        usize::MAX
    } else {
        bytes.max(0.0) as usize
    }
}

/// `decideOversized()` of both exported verifiers: `{"decision": …}` for a request whose
/// description (`bytes` long) is over the bound, else `null`.
pub(crate) fn decide_oversized(
    policy: &crate::Policy,
    method: &str,
    path: &str,
    bytes: f64,
) -> Result<Option<String>, JsError> {
    #[derive(Serialize)]
    struct Step<'a> {
        decision: &'a guard::Decision,
    }
    guard::request::oversized(policy, method, path, byte_count(bytes))
        .map(|d| to_json(&Step { decision: &d }))
        .transpose()
}

/// `keySetLifetime()` of both exported verifiers.
pub(crate) fn lifetime(
    policy: &crate::Policy,
    cache_control: Option<String>,
    age: Option<String>,
) -> f64 {
    let seconds = policy
        .key_cache
        .fresh_for(cache_control.as_deref(), age.as_deref());
    // Exact in an f64 up to 2^53 s; beyond that the lifetime is effectively forever anyway.
    seconds as f64
}

/// Parsed trusted keys, kept on the JS side and reused across verifications.
#[wasm_bindgen(js_name = KeySet)]
pub struct WebKeySet {
    pub(crate) inner: crate::KeySet,
}

impl Default for WebKeySet {
    fn default() -> Self {
        WebKeySet::new()
    }
}

#[wasm_bindgen(js_class = KeySet)]
impl WebKeySet {
    /// An empty set (only the policy's inline keys will be used).
    #[wasm_bindgen(constructor)]
    pub fn new() -> WebKeySet {
        WebKeySet {
            inner: crate::KeySet::new(),
        }
    }

    /// An empty set standing for the key source at `url` that could not be fetched (`reason`
    /// in words): a token that finds no key is then told `key_set_unavailable`.
    pub fn unavailable(url: &str, reason: &str) -> WebKeySet {
        WebKeySet {
            inner: crate::KeySet::unavailable(url, reason),
        }
    }

    /// The keys of both sets (for a token whose issuer has several key sources).
    pub fn union(&self, other: &WebKeySet) -> WebKeySet {
        let mut inner = self.inner.clone();
        inner.extend(other.inner.clone());
        WebKeySet { inner }
    }
}

/// Read a key set in any supported format under the default limits (for inspection without a
/// policy). Throws with the core's explanation when the bytes hold no usable key.
#[wasm_bindgen(js_name = parseKeys)]
pub fn parse_keys(bytes: &[u8]) -> Result<WebKeySet, JsError> {
    crate::KeySet::parse(bytes, &Limits::default())
        .map(|inner| WebKeySet { inner })
        .map_err(|p| JsError::new(&p.message))
}

/// Every stable error code, in documentation order, as a JSON array.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Result<String, JsError> {
    to_json(&ErrorCode::ALL)
}

/// The policy's vocabulary (members, types, defaults, bounds, algorithms, profiles) as JSON, so
/// the page and the type checks render from the core instead of restating it.
#[wasm_bindgen(js_name = policySchema)]
pub fn policy_schema() -> String {
    crate::vocabulary::policy_schema().to_string()
}

/// A route's IUA rules (`routes[].iua`, JSON) split into each rule alone, as JSON
/// `[[name, rules], …]` ([`crate::guard::iua_rules::RouteIua::alone`]): the page's request
/// tester decides the request once per rule to show which ones a token meets.
#[wasm_bindgen(js_name = iuaRulesAlone)]
pub fn iua_rules_alone(iua_json: &str) -> Result<String, JsError> {
    let rules: crate::guard::iua_rules::RouteIua =
        serde_json::from_str(iua_json).map_err(|e| JsError::new(&format!("iua rules: {e}")))?;
    to_json(&rules.alone())
}

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// A key set read within `policy`'s limits (both wasm classes read fetched sets this way).
pub(crate) fn parse_keys_under(policy: &crate::Policy, bytes: &[u8]) -> Result<WebKeySet, JsError> {
    crate::KeySet::parse(bytes, &policy.limits)
        .map(|inner| WebKeySet { inner })
        .map_err(|p| JsError::new(&p.message))
}

/// A fetched discovery document read under `policy` ([`crate::discovery::read`]), as JSON.
pub(crate) fn read_discovery_under(
    policy: &crate::Policy,
    issuer: &str,
    url: &str,
    bytes: &[u8],
) -> Result<String, JsError> {
    crate::discovery::read(policy, issuer, url, bytes)
        .map_err(|e| JsError::new(&e))
        .and_then(|d| to_json(&d))
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, JsError> {
    serde_json::to_string(value).map_err(|e| JsError::new(&format!("azlens: {e}")))
}

/// JS numbers are doubles; the core counts whole seconds. `as` saturates (NaN becomes 0), and
/// the shim rejects non-finite values before they get here.
fn epoch_seconds(now: f64) -> i64 {
    now.floor() as i64
}
