//! Thin wrappers over proxy-wasm host calls, shaped for the rest of the filter.

use crate::envoy::exchange::Outcome;
use crate::envoy::manager::{Conflict, SharedStore};
use proxy_wasm::hostcalls;
use proxy_wasm::types::{BufferType, LogLevel, MapType, Status};
use std::time::{Duration, UNIX_EPOCH};

/// Process-wide shared data (per VM id), as the key manager uses it.
pub struct EnvoyStore;

impl SharedStore for EnvoyStore {
    fn get(&self, key: &str) -> Option<(Vec<u8>, u32)> {
        match hostcalls::get_shared_data(key) {
            Ok((Some(value), Some(cas))) => Some((value, cas)),
            _ => None,
        }
    }

    fn set(&self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), Conflict> {
        hostcalls::set_shared_data(key, Some(value), cas).map_err(|_| Conflict)
    }
}

/// Milliseconds since the epoch, from the host's clock.
pub fn now_ms() -> u64 {
    hostcalls::get_current_time()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

pub fn log(level: LogLevel, message: &str) {
    let _ = hostcalls::log(level, message);
}

/// The host's log level now (Envoy's level can change at run time, through its admin
/// interface; None when the host cannot say: then everything is logged).
pub fn log_level() -> Option<LogLevel> {
    hostcalls::get_log_level().ok()
}

/// Whether a host whose level is `current` takes messages at `level`.
pub fn logs_at_level(current: Option<LogLevel>, level: LogLevel) -> bool {
    current.is_none_or(|current| current as u32 <= level as u32)
}

pub fn info(message: &str) {
    log(LogLevel::Info, message);
}

pub fn warn(message: &str) {
    log(LogLevel::Warn, message);
}

/// Header pairs of a map, values as bytes (a non-UTF-8 value must not crash the VM).
pub fn headers(map: MapType) -> Vec<(String, Vec<u8>)> {
    hostcalls::get_map_bytes(map).unwrap_or_default()
}

pub fn header(map: MapType, name: &str) -> Option<String> {
    headers(map)
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| String::from_utf8_lossy(&v).into_owned())
}

pub fn set_tick_period(ms: u64) {
    let _ = hostcalls::set_tick_period(Duration::from_millis(ms));
}

/// Make `context_id` the stream later host calls act on; false when it no longer exists.
pub fn switch_to(context_id: u32) -> bool {
    hostcalls::set_effective_context(context_id).is_ok()
}

/// Send an outbound request through `cluster`; the answer comes to the calling context.
pub fn dispatch(
    cluster: &str,
    headers: &[(String, String)],
    timeout_ms: u64,
) -> Result<u32, Status> {
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    hostcalls::dispatch_http_call(
        cluster,
        headers,
        None,
        Vec::new(),
        Duration::from_millis(timeout_ms),
    )
}

/// POST `body` through `cluster` to `path` (the audit repository); the answer comes to the
/// calling context.
pub fn dispatch_post(
    cluster: &str,
    path: &str,
    body: &[u8],
    timeout_ms: u64,
) -> Result<u32, Status> {
    hostcalls::dispatch_http_call(
        cluster,
        vec![
            (":method", "POST"),
            (":path", path),
            (":authority", cluster),
            ("content-type", "application/fhir+json"),
            ("accept", "application/fhir+json"),
        ],
        Some(body),
        Vec::new(),
        Duration::from_millis(timeout_ms),
    )
}

/// The response of the call being answered: status, a header, the body up to `limit` bytes.
pub fn call_response_body(size: usize) -> Vec<u8> {
    match hostcalls::get_buffer(proxy_wasm::types::BufferType::HttpCallResponseBody, 0, size) {
        Ok(Some(body)) => body,
        _ => Vec::new(),
    }
}

/// Carry out a decision on the current stream. `paused`: the stream waits for us to resume it.
pub fn apply(outcome: &Outcome, paused: bool) {
    match outcome {
        Outcome::Forward(up) => {
            for name in &up.remove {
                let _ = hostcalls::set_map_value(MapType::HttpRequestHeaders, name, None);
            }
            for (name, value) in &up.set {
                let _ = hostcalls::set_map_value(MapType::HttpRequestHeaders, name, Some(value));
            }
            if let Some(path) = &up.path {
                let _ = hostcalls::set_map_value(MapType::HttpRequestHeaders, ":path", Some(path));
            }
            if paused {
                let _ = hostcalls::resume_http_request();
            }
        }
        Outcome::Reply(reply) => {
            let headers: Vec<(&str, &str)> = reply
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let _ = hostcalls::send_http_response(reply.status, headers, Some(&reply.body));
        }
    }
}

/// The first `max` bytes of the request body Envoy has buffered so far.
pub fn request_body(max: usize) -> Vec<u8> {
    hostcalls::get_buffer(BufferType::HttpRequestBody, 0, max)
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Add headers to the response going to the client.
pub fn add_response_headers(headers: &[(String, String)]) {
    for (name, value) in headers {
        let _ = hostcalls::add_map_value(MapType::HttpResponseHeaders, name, value);
    }
}
