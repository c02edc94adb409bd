//! When a slot is fetched: at once when it has nothing to serve, when its freshness ran out, and
//! for a token whose `kid` it lacks on the core's unknown-`kid` schedule
//! ([`crate::freshness`]: at once, then 1 s, 2 s, 4 s … apart up to `refetch_cooldown`) — but
//! never inside the back-off after failures. A fetch already under way (the host's lease or
//! promise) is the host's to know; it asks only when none is.

use super::freshness::Timing;
use super::slot::Slot;
use serde::Serialize;

/// Why a fetch is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FetchWhy {
    /// No usable key set (never fetched, or stale past `stale_for`).
    Missing,
    /// The key set's freshness ran out.
    Scheduled,
    /// A token named a `kid` the key set lacks.
    UnknownKid,
}

impl FetchWhy {
    pub fn as_str(self) -> &'static str {
        match self {
            FetchWhy::Missing => "no usable key set",
            FetchWhy::Scheduled => "scheduled refresh",
            FetchWhy::UnknownKid => "unknown kid",
        }
    }
}

impl Slot {
    /// Is a fetch due at `now`, and why? `want_refetch`: a token named a `kid` this set lacks.
    pub fn due(&self, now: u64, want_refetch: bool, timing: &Timing) -> Option<FetchWhy> {
        if now < self.next_attempt {
            return None;
        }
        if !self.usable(now) {
            return Some(FetchWhy::Missing);
        }
        if want_refetch && self.kid_refetch_allowed(now, timing) {
            return Some(FetchWhy::UnknownKid);
        }
        (now >= self.fresh_until).then_some(FetchWhy::Scheduled)
    }

    /// May a token with an unknown `kid` make a refetch at `now` (back-off and the unknown-`kid`
    /// schedule both passed)?
    pub fn kid_refetch_allowed(&self, now: u64, timing: &Timing) -> bool {
        now >= self.next_attempt && now >= timing.cache.kid_refetch_at(self.kid_refetches)
    }
}

#[cfg(test)]
#[path = "due_tests.rs"]
mod tests;
