//! How long the filter keeps a fetched key set, and how long it waits after a failed fetch.
//! The lifetime rule itself is the core's ([`KeyCache::fresh_for`], shared with the JS shim);
//! this adds Envoy's own `refresh_interval` cap and works in milliseconds, as the proxy-wasm
//! clock does.

use crate::policy::hosts::{EnvoySettings, KeyCache};

/// The key-cache settings of the policy, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// The policy's `key_cache` section, for the lifetime rule.
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

    /// Milliseconds a key set fetched now stays fresh: the core's lifetime from the response's
    /// `Cache-Control` and `Age`, no longer than the refresh interval, and at least a second.
    pub fn fresh_for(&self, cache_control: Option<&str>, age: Option<&str>) -> u64 {
        let lifetime = self
            .cache
            .fresh_for(cache_control, age)
            .saturating_mul(1000);
        match self.refresh_interval {
            Some(cap) => lifetime.min(cap),
            None => lifetime,
        }
        .max(1000)
    }

    /// The lease on a fetch: the call's own timeout plus slack, after which another VM may
    /// take over (the holder VM may have been torn down mid-fetch).
    pub fn lease_for(&self) -> u64 {
        self.fetch_timeout.saturating_add(2000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(refresh_interval: Option<u64>) -> Timing {
        Timing::new(
            &KeyCache::default(),
            &EnvoySettings {
                refresh_interval,
                ..EnvoySettings::default()
            },
        )
    }

    #[test]
    fn freshness_stays_within_the_policy() {
        let t = timing(None);
        assert_eq!(t.fresh_for(None, None), 600_000);
        assert_eq!(t.fresh_for(Some("max-age=3600"), None), 3_600_000);
        assert_eq!(t.fresh_for(Some("max-age=3600"), Some("600")), 3_000_000);
        assert_eq!(t.fresh_for(Some("max-age=1"), None), 30_000, "min_max_age");
        assert_eq!(
            t.fresh_for(Some("max-age=9999999"), None),
            86_400_000,
            "max_max_age"
        );
        assert_eq!(
            t.fresh_for(Some("no-store"), None),
            30_000,
            "as short as allowed"
        );
        let capped = timing(Some(60));
        assert_eq!(capped.fresh_for(Some("max-age=3600"), None), 60_000);
        assert_eq!(capped.fresh_for(None, None), 60_000);
    }
}
