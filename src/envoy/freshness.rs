//! How long a fetched key set stays fresh, and how long to wait after a failed fetch.
//! All times are milliseconds since the epoch, as the proxy-wasm clock gives them.

use crate::hosts::{EnvoySettings, KeyCache};

/// The key-cache settings of the policy, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub default_max_age: u64,
    pub min_max_age: u64,
    pub max_max_age: u64,
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
            default_max_age: ms(cache.default_max_age),
            min_max_age: ms(cache.min_max_age),
            max_max_age: ms(cache.max_max_age),
            refresh_interval: envoy.refresh_interval.map(ms),
            refetch_cooldown: ms(cache.refetch_cooldown),
            stale_for: ms(cache.stale_for),
            fetch_timeout: cache.fetch_timeout_ms.max(1),
            max_wait: cache.max_wait_ms,
        }
    }

    /// How long a key set fetched now stays fresh, from the response's `Cache-Control` and
    /// `Age`: the server's max-age less the age, within the policy's bounds, and no longer than
    /// the refresh interval. Without a usable max-age (absent, `no-cache`, `no-store`), the
    /// default.
    pub fn fresh_for(&self, cache_control: Option<&str>, age: Option<&str>) -> u64 {
        let lifetime = match cache_control.and_then(max_age_seconds) {
            Some(secs) => {
                let age = age.and_then(|a| a.trim().parse::<u64>().ok()).unwrap_or(0);
                secs.saturating_sub(age)
                    .saturating_mul(1000)
                    .clamp(self.min_max_age, self.max_max_age.max(self.min_max_age))
            }
            None => self.default_max_age,
        };
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

/// Wait after the `failures`-th failure in a row: 1 s, 2 s, 4 s … at most 30 s.
pub fn backoff(failures: u32) -> u64 {
    let doublings = failures.saturating_sub(1).min(5);
    (1000u64 << doublings).min(30_000)
}

/// The `max-age` directive of a `Cache-Control` value; `None` when absent, malformed, or
/// overridden by `no-cache` / `no-store`.
pub fn max_age_seconds(cache_control: &str) -> Option<u64> {
    let mut max_age = None;
    for directive in cache_control.split(',') {
        let directive = directive.trim();
        let (name, value) = match directive.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
            None => (directive, None),
        };
        if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store") {
            return None;
        }
        if name.eq_ignore_ascii_case("max-age") {
            let digits = value?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // RFC 9111 §1.2.2: a delta-seconds too large to hold is taken as the largest value.
            max_age = Some(digits.parse::<u64>().unwrap_or(u64::MAX / 1000));
        }
    }
    max_age
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
    fn reads_max_age() {
        for (header, want) in [
            ("max-age=300", Some(300)),
            ("public, MAX-AGE=\"120\", must-revalidate", Some(120)),
            ("max-age=0", Some(0)),
            ("max-age=99999999999999999999999", Some(u64::MAX / 1000)),
            ("max-age=-1", None),
            ("max-age=", None),
            ("max-age", None),
            ("max-age=10, no-cache", None),
            ("no-store", None),
            ("private", None),
            ("", None),
        ] {
            assert_eq!(max_age_seconds(header), want, "{header}");
        }
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
        assert_eq!(t.fresh_for(Some("no-store"), None), 600_000);
        let capped = timing(Some(60));
        assert_eq!(capped.fresh_for(Some("max-age=3600"), None), 60_000);
        assert_eq!(capped.fresh_for(None, None), 60_000);
    }

    #[test]
    fn backs_off_exponentially_to_a_cap() {
        let waits: Vec<u64> = (1..=8).map(backoff).collect();
        assert_eq!(
            waits,
            [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]
        );
        assert_eq!(backoff(u32::MAX), 30_000);
    }
}
