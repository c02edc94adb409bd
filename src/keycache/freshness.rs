//! How long a fetched document stays fresh, in milliseconds as hosts count time, read from the
//! response's headers: `Cache-Control: max-age` less `Age` (the core's rule,
//! [`KeyCache::fresh_for`]); without a max-age, `Expires` less `Date` (RFC 9111 §4.2.1; an
//! unreadable `Expires` is in the past); without either, the policy's default. Always within the
//! policy's bounds, and never longer than Envoy's `refresh_interval` when it sets one.

use super::response::Completion;
use crate::freshness::CacheDirective;
use crate::policy::hosts::{EnvoySettings, KeyCache};

/// The key-cache settings of the policy, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// The policy's `key_cache` section, for the lifetime and back-off rules.
    pub cache: KeyCache,
    /// `envoy.refresh_interval`: refresh at least this often, whatever the server says.
    pub refresh_interval: Option<u64>,
    pub refetch_cooldown: u64,
    pub stale_for: u64,
    pub fetch_timeout: u64,
    pub max_wait: u64,
}

impl Timing {
    pub fn new(cache: &KeyCache, envoy: &EnvoySettings) -> Timing {
        let ms = |s: u64| s.saturating_mul(1000);
        Timing {
            cache: *cache,
            refresh_interval: envoy.refresh_interval.map(ms),
            refetch_cooldown: ms(cache.refetch_cooldown),
            stale_for: ms(cache.stale_for),
            fetch_timeout: cache.fetch_timeout_ms.max(1),
            max_wait: cache.max_wait_ms,
        }
    }

    /// The settings of hosts without a refresh interval of their own (the JS shim, the worker).
    pub fn of(cache: &KeyCache) -> Timing {
        Timing::new(cache, &EnvoySettings::default())
    }

    /// Milliseconds a response received at `now` (ms) stays fresh.
    pub fn fresh_for_response(&self, response: &Completion, now: u64) -> u64 {
        let cache_control = response.header("cache-control");
        let max_age = cache_control.map(CacheDirective::parse);
        match (max_age, response.header("expires")) {
            (None | Some(CacheDirective::Unspecified), Some(expires)) => {
                let date = response
                    .header("date")
                    .and_then(super::http_date::parse)
                    .unwrap_or_else(|| i64::try_from(now / 1000).unwrap_or(i64::MAX));
                let seconds = super::http_date::parse(expires)
                    .map_or(0, |at| u64::try_from(at.saturating_sub(date)).unwrap_or(0));
                self.capped(self.cache.bounded(seconds))
            }
            _ => self.fresh_for(cache_control, response.header("age")),
        }
    }

    /// Milliseconds a document fetched now stays fresh, from its `Cache-Control` and `Age`.
    pub fn fresh_for(&self, cache_control: Option<&str>, age: Option<&str>) -> u64 {
        self.capped(self.cache.fresh_for(cache_control, age))
    }

    /// A lifetime in seconds as milliseconds, no longer than the refresh interval, at least 1 s.
    fn capped(&self, seconds: u64) -> u64 {
        let lifetime = seconds.saturating_mul(1000);
        match self.refresh_interval {
            Some(cap) => lifetime.min(cap),
            None => lifetime,
        }
        .max(1000)
    }

    /// The lease on a fetch: the call's own timeout plus slack, after which another fetcher
    /// may take over (the one holding it may have gone away mid-fetch).
    pub fn lease_for(&self) -> u64 {
        self.fetch_timeout.saturating_add(2000)
    }
}

#[cfg(test)]
#[path = "freshness_tests.rs"]
mod tests;
