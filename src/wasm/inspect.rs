//! The inspection report's exports (feature `report`): the page and the Node shim's `inspect()`
//! call them; the edge worker's build (`--features web` alone, js/pkg-gate/) leaves them out,
//! and with them all of `crate::report`.

use super::{byte_count, epoch_seconds, WebKeySet, WebVerifier};
use crate::report::{self, InspectOptions};
use crate::Limits;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(js_class = Verifier)]
impl WebVerifier {
    /// The report on an input of `bytes` bytes (UTF-8) over `hostSettings().max_inspect_bytes`,
    /// as JSON, without the input (checked before copying it into WebAssembly memory); `null`
    /// within the bound.
    #[wasm_bindgen(js_name = inspectOversized)]
    pub fn inspect_oversized(&self, bytes: f64) -> Option<String> {
        report::oversized_input(byte_count(bytes), &self.inner.policy().limits)
            .map(|r| report::to_json(&r))
    }

    /// Inspect `token` at `now`, verifying it under this policy with its inline keys plus
    /// `keys` (nested signed statements are verified with `keys` alone). The report as JSON.
    pub fn inspect(&self, token: &str, keys: &WebKeySet, now: f64) -> String {
        let opts = InspectOptions {
            limits: self.inner.policy().limits.clone(),
            keys: Some(&keys.inner),
            verifier: Some(&self.inner),
        };
        report::to_json(&report::inspect(token, epoch_seconds(now), &opts))
    }
}

/// Inspect any string someone believes is a token, at `now`: the report as JSON. Never throws.
#[wasm_bindgen]
pub fn inspect(token: &str, now: f64) -> String {
    report::inspect_json(token, epoch_seconds(now))
}

/// The report on an input of `bytes` bytes over the default limits' inspection bound (the
/// number `inspectBound()` gives), without the input; `null` within the bound.
#[wasm_bindgen(js_name = inspectOversized)]
pub fn inspect_oversized(bytes: f64) -> Option<String> {
    report::oversized_input(byte_count(bytes), &Limits::default()).map(|r| report::to_json(&r))
}

/// The longest input `inspect` and `inspectWithKeys` read under the default limits, in bytes.
#[wasm_bindgen(js_name = inspectBound)]
pub fn inspect_bound() -> f64 {
    Limits::default().max_inspect_bytes() as f64
}

/// Inspect and check the signature and times with `keys` (no policy: any algorithm the keys fit).
#[wasm_bindgen(js_name = inspectWithKeys)]
pub fn inspect_with_keys(token: &str, keys: &WebKeySet, now: f64) -> String {
    let opts = InspectOptions {
        keys: Some(&keys.inner),
        ..InspectOptions::default()
    };
    report::to_json(&report::inspect(token, epoch_seconds(now), &opts))
}
