//! The life of a remote key set, sans-IO: one state machine every host drives with the bytes it
//! fetched and the time it read, so the JS shim, the edge worker, the Envoy filter and the page
//! fetch, refresh, serve stale and refetch on the same rules. Nothing here fetches, sleeps or
//! reads a clock.
//!
//! ```text
//! host                                    core (per key-set URL: a Slot)
//!  │ fetch_url::check(url)     at policy load: https only, http on loopback when allowed
//!  │ slot.due(now, want)  ──► None | Missing | Scheduled | UnknownKid   (back-off, kid schedule)
//!  │ fetch the URL (status, headers, bytes)
//!  │ check(completion) ─────► Good { keys, digest, lifetime } | problem
//!  │ slot.record(result) ───► generation moves only when the bytes do; freshness from
//!  │                          Cache-Control / Age / Expires; failures back off
//!  │ slot.serving(now) ─────► Fresh | Stale (within stale_for) | None
//!  │ union(sets), generation::combine(…) for several sets of one issuer
//!  │ Discovery::new(issuer) → the documents to fetch, the jwks_uri under the same URL rules
//! ```
//!
//! Where the state lives is the host's business: a JS object and the Cache API in the shim and
//! the worker; proxy-wasm shared data under a compare-and-swap lease in Envoy.

pub mod complete;
pub mod discovery;
pub mod due;
pub mod freshness;
pub mod generation;
pub mod http_date;
pub mod merge;
pub mod response;
pub mod slot;
#[cfg(test)]
pub(crate) mod test_support;

pub use crate::fetch_url::{check as check_url, UrlError, UrlParts};
pub use complete::{check, Fresh, Good};
pub use discovery::{Discovery, DiscoveryStep, Found};
pub use due::FetchWhy;
pub use freshness::Timing;
pub use merge::union;
pub use response::Completion;
pub use slot::{Serving, Slot};
