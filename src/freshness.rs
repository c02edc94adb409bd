//! How long a fetched key set (or discovery document) stays fresh: one rule for every host, so
//! the edge worker, the JS shim and the Envoy filter refresh on the same schedule.
//!
//! The server's `Cache-Control: max-age`, less the response's `Age`, bounded by the policy's
//! `key_cache.min_max_age` and `max_max_age` (the ceiling wins if they cross). `no-cache` /
//! `no-store` ask for no caching, which a verifier cannot honour without fetching on every
//! request, so they get the shortest lifetime the policy allows. Without a max-age, the policy's
//! `default_max_age`, within the same bounds. Never less than a second, so a zero bound cannot
//! turn into a fetch per request.
//!
//! After failed fetches, the next attempt waits 1 s, 2 s, 4 s … doubling with each failure in a
//! row, and never longer than `key_cache.refetch_cooldown`: a key server that is down briefly is
//! back in use within seconds, and one that stays down is asked at most once per cooldown.

use crate::hosts::KeyCache;

/// What a `Cache-Control` value says about lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheDirective {
    /// `max-age` in seconds (RFC 9111 §5.2.2.1).
    MaxAge(u64),
    /// `no-cache` or `no-store`, whatever else is present.
    DoNotCache,
    /// No usable directive: absent, or a malformed `max-age`.
    Unspecified,
}

impl CacheDirective {
    /// Read a `Cache-Control` header value (directive names case-insensitively).
    pub fn parse(cache_control: &str) -> CacheDirective {
        let mut directive = CacheDirective::Unspecified;
        for part in cache_control.split(',') {
            let part = part.trim();
            let (name, value) = match part.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
                None => (part, None),
            };
            if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store") {
                return CacheDirective::DoNotCache;
            }
            if name.eq_ignore_ascii_case("max-age") {
                let Some(digits) =
                    value.filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                else {
                    return CacheDirective::Unspecified;
                };
                // RFC 9111 §1.2.2: a delta-seconds too large to hold is taken as the largest.
                directive = CacheDirective::MaxAge(digits.parse().unwrap_or(u64::MAX));
            }
        }
        directive
    }
}

impl KeyCache {
    /// Seconds a document fetched now stays fresh, from the response's `Cache-Control` and
    /// `Age` headers (absent: `None`).
    pub fn fresh_for(&self, cache_control: Option<&str>, age: Option<&str>) -> u64 {
        let seconds = match cache_control.map(CacheDirective::parse) {
            Some(CacheDirective::MaxAge(max_age)) => {
                let age = age.and_then(|a| a.trim().parse::<u64>().ok()).unwrap_or(0);
                max_age.saturating_sub(age)
            }
            Some(CacheDirective::DoNotCache) => 0,
            Some(CacheDirective::Unspecified) | None => self.default_max_age,
        };
        // The ceiling is applied last: it bounds how long a rotated-out key can still be
        // trusted, so it wins over the floor when a policy sets them the wrong way round.
        seconds.max(self.min_max_age).min(self.max_max_age).max(1)
    }

    /// Milliseconds to wait before fetching again after `failures` failed fetches in a row
    /// (none: no wait).
    pub fn retry_after_ms(&self, failures: u32) -> u64 {
        let Some(doublings) = failures.checked_sub(1) else {
            return 0;
        };
        (1000u64 << doublings.min(32)).min(self.refetch_cooldown.saturating_mul(1000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cache_control() {
        use CacheDirective::*;
        for (header, want) in [
            ("max-age=300", MaxAge(300)),
            ("public, MAX-AGE=\"120\", must-revalidate", MaxAge(120)),
            ("max-age=0", MaxAge(0)),
            ("max-age=99999999999999999999999", MaxAge(u64::MAX)),
            ("max-age=-1", Unspecified),
            ("max-age=10abc", Unspecified),
            ("max-age=", Unspecified),
            ("max-age", Unspecified),
            ("max-age=10, no-cache", DoNotCache),
            ("No-Store", DoNotCache),
            ("private", Unspecified),
            ("", Unspecified),
        ] {
            assert_eq!(CacheDirective::parse(header), want, "{header}");
        }
    }

    #[test]
    fn failures_back_off_exponentially_to_the_cooldown() {
        let cache = KeyCache::default(); // refetch_cooldown 30 s
        let waits: Vec<u64> = (0..=8).map(|f| cache.retry_after_ms(f)).collect();
        assert_eq!(
            waits,
            [0, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]
        );
        assert_eq!(cache.retry_after_ms(u32::MAX), 30_000);
        let eager = KeyCache {
            refetch_cooldown: 0,
            ..KeyCache::default()
        };
        assert_eq!(eager.retry_after_ms(3), 0, "no cooldown: retry at once");
    }

    #[test]
    fn lifetime_stays_within_the_policy() {
        let cache = KeyCache::default(); // default 600, bounds 30 … 86 400
        assert_eq!(cache.fresh_for(None, None), 600);
        assert_eq!(cache.fresh_for(Some("max-age=3600"), None), 3600);
        assert_eq!(cache.fresh_for(Some("max-age=3600"), Some("600")), 3000);
        assert_eq!(
            cache.fresh_for(Some("max-age=100"), Some("99")),
            30,
            "floor"
        );
        assert_eq!(cache.fresh_for(Some("max-age=100"), Some("junk")), 100);
        assert_eq!(cache.fresh_for(Some("max-age=1"), None), 30, "min_max_age");
        assert_eq!(cache.fresh_for(Some("max-age=9999999"), None), 86_400);
        assert_eq!(
            cache.fresh_for(Some("no-store"), None),
            30,
            "as short as allowed"
        );
        assert_eq!(
            cache.fresh_for(Some("private"), None),
            600,
            "no max-age: default"
        );
        let zero = KeyCache {
            min_max_age: 0,
            ..KeyCache::default()
        };
        assert_eq!(zero.fresh_for(Some("no-cache"), None), 1, "never zero");
        let inverted = KeyCache {
            min_max_age: 100,
            max_max_age: 10,
            ..KeyCache::default()
        };
        assert_eq!(
            inverted.fresh_for(Some("max-age=50"), None),
            10,
            "the ceiling wins"
        );
        assert_eq!(inverted.fresh_for(None, None), 10);
    }
}
