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
//!
//! A token whose `kid` the held key set lacks may make a refetch (the issuer may have rotated
//! its keys), on this schedule, counted from the last *unknown-`kid` refetch that got an
//! answer* — never from a scheduled refresh, so a key published just after one is picked up
//! on its first use:
//! - the first such refetch goes at once; while they keep coming (each within a cooldown of
//!   the last), the next waits 1 s, 2 s, 4 s … and never more than `refetch_cooldown`. Tokens
//!   that name a `kid` before it is published therefore delay it by seconds, not by a whole
//!   cooldown, and a flood of made-up `kid`s costs at most one fetch per cooldown once the
//!   wait has grown;
//! - a refetch that failed (no answer, an error status, not a key set) does not count: it
//!   only adds to the back-off after failures above, so a key that appears during an outage
//!   is fetched at the first attempt after the server is back, not a cooldown later.

use crate::policy::hosts::KeyCache;

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
        self.bounded(seconds)
    }

    /// A lifetime a response asked for (seconds), within the policy's bounds.
    pub fn bounded(&self, seconds: u64) -> u64 {
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

/// The unknown-`kid` refetches of one key-set URL, as a host keeps them (milliseconds since
/// the epoch): when the last one that got an answer started, and how many came in a row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct KidRefetches {
    /// Start of the last answered unknown-`kid` refetch (0: none yet).
    pub last_ms: u64,
    /// Answered unknown-`kid` refetches in a row (0: none, or the last is a cooldown old).
    pub streak: u32,
}

impl KeyCache {
    /// The earliest time (ms) a token with an unknown `kid` may refetch, by the unknown-`kid`
    /// rule alone (the host also waits for a fetch under way and for the failure back-off).
    pub fn kid_refetch_at(&self, r: KidRefetches) -> u64 {
        if r.streak == 0 {
            return 0;
        }
        r.last_ms.saturating_add(self.retry_after_ms(r.streak))
    }

    /// The record after an unknown-`kid` refetch that started at `started_ms` got an answer
    /// (a key set, changed or not). A refetch that failed is not recorded here.
    pub fn kid_refetch_answered(&self, r: KidRefetches, started_ms: u64) -> KidRefetches {
        let quiet_since = self
            .kid_refetch_at(r)
            .saturating_add(self.refetch_cooldown.saturating_mul(1000));
        let streak = if r.streak == 0 || started_ms >= quiet_since {
            1
        } else {
            r.streak.saturating_add(1)
        };
        KidRefetches {
            last_ms: started_ms,
            streak,
        }
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
    fn unknown_kid_refetches_ramp_up_to_the_cooldown_and_reset_when_quiet() {
        let cache = KeyCache::default(); // refetch_cooldown 30 s
        let mut r = KidRefetches::default();
        assert_eq!(cache.kid_refetch_at(r), 0, "the first goes at once");
        // A scheduled fetch is not an unknown-kid refetch: nothing recorded, nothing waits.
        let mut t = 100_000;
        let mut gaps = Vec::new();
        for _ in 0..8 {
            assert!(cache.kid_refetch_at(r) <= t);
            r = cache.kid_refetch_answered(r, t);
            let next = cache.kid_refetch_at(r);
            gaps.push(next - t);
            t = next;
        }
        assert_eq!(
            gaps,
            [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]
        );
        // A cooldown of quiet after the wait: the next streak starts again at 1 s.
        let later = cache.kid_refetch_at(r) + 30_000;
        r = cache.kid_refetch_answered(r, later);
        assert_eq!(r.streak, 1);
        assert_eq!(cache.kid_refetch_at(r), later + 1000);
        let eager = KeyCache {
            refetch_cooldown: 0,
            ..KeyCache::default()
        };
        let r = eager.kid_refetch_answered(KidRefetches::default(), 5);
        assert_eq!(eager.kid_refetch_at(r), 5, "no cooldown: refetch at once");
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
