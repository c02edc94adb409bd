//! The Envoy host (feature `envoy`): a proxy-wasm HTTP filter configured by the policy document.
//!
//! Everything here except `filter` is plain Rust with unit tests that need no Envoy:
//! - [`sources`]: which key-set URLs the filter fetches, through which Envoy cluster;
//! - [`record`]: the per-URL record every VM of the process shares through proxy-wasm shared
//!   data (the core's key-set [`crate::keycache::Slot`], the raw bytes, the fetch lease);
//! - [`manager`]: one VM's view of the shared records: the lease protocol (one fetch per refresh
//!   across the process), parsing once per change; what is due and what a response means are
//!   the core's key-set lifecycle ([`crate::keycache`]);
//! - [`waiting`]: requests paused until keys arrive, with a deadline;
//! - [`audit`]: the bounded queue of AuditEvents POSTed to the audit repository in batches;
//! - [`exchange`]: Envoy's header pairs in, the guard's decision out as header edits or a reply.
//!
//! `filter` (built for wasm32 only, e.g. wasm32-wasip1) is the only part that calls the proxy-wasm
//! host. Every decision about a request is the guard's ([`crate::guard`]).

pub mod audit;
pub mod exchange;
pub mod manager;
pub mod record;
pub mod replay;
pub mod sources;
pub mod waiting;

// Native builds (unit tests) leave out the part that links against the proxy-wasm host.
#[cfg(target_arch = "wasm32")]
mod filter;
