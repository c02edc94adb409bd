//! The state of one key-set URL, as a host keeps it (a JS object, a record in Envoy's shared
//! data): what was last fetched, until when it is fresh and then servable, the failures since,
//! and the unknown-`kid` refetch schedule. Times are milliseconds since the epoch, as the host
//! read them.
//!
//! The last good set is served while fresh, then for `stale_for` more while refreshes fail
//! ([`Serving::Stale`]), then not at all: requests fail closed rather than trust keys the
//! issuer may have rotated out long ago.

use super::complete::Fresh;
use super::freshness::Timing;
use crate::freshness::KidRefetches;
use serde::{Deserialize, Serialize};

/// One key-set URL's state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Slot {
    /// 0 until the first good fetch; then moved whenever the bytes change.
    pub generation: u64,
    /// SHA-256 of the bytes of this generation (hex): whether new bytes are a new generation.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub digest: String,
    /// The last good fetch.
    pub fetched_at: u64,
    /// A refresh is due from here on.
    pub fresh_until: u64,
    /// The bytes are served until here (fresh, then `stale_for` while refreshes fail).
    pub usable_until: u64,
    /// No attempt before this (back-off after failures).
    pub next_attempt: u64,
    /// Failed fetches in a row.
    pub failures: u32,
    /// The last failure, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The unknown-`kid` refetches that got an answer ([`KidRefetches`]).
    pub kid_refetches: KidRefetches,
    /// Fetch attempts finished, good or bad: requests waiting for a fetch wait for this to move.
    pub attempts: u64,
}

/// What a slot can serve at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Serving {
    /// The last good set, within its freshness.
    Fresh,
    /// The last good set, past its freshness but within `stale_for`.
    Stale,
    /// Nothing (never fetched, or stale for too long).
    None,
}

impl Slot {
    /// Are there bytes to serve at `now`?
    pub fn usable(&self, now: u64) -> bool {
        self.generation > 0 && now < self.usable_until
    }

    /// What the slot serves at `now`.
    pub fn serving(&self, now: u64) -> Serving {
        if !self.usable(now) {
            Serving::None
        } else if now < self.fresh_until {
            Serving::Fresh
        } else {
            Serving::Stale
        }
    }

    /// Take a fetch's result that finished at `now`. `unknown_kid`: the fetch was an
    /// unknown-`kid` refetch started then (it counts for that schedule only with an answer).
    /// A good set replaces the last one (a new generation only if the bytes differ); a problem
    /// keeps it and backs off. Returns whether the generation moved.
    pub fn record(
        &mut self,
        result: Result<&Fresh, &str>,
        unknown_kid: Option<u64>,
        now: u64,
        timing: &Timing,
    ) -> bool {
        self.attempts = self.attempts.saturating_add(1);
        match result {
            Ok(fresh) => {
                if let Some(started) = unknown_kid {
                    self.kid_refetches = timing
                        .cache
                        .kid_refetch_answered(self.kid_refetches, started);
                }
                let changed = self.generation == 0 || self.digest != fresh.digest;
                if changed {
                    self.generation = self.generation.saturating_add(1);
                    self.digest = fresh.digest.clone();
                }
                self.fetched_at = now;
                self.fresh_until = now.saturating_add(fresh.fresh_for);
                self.usable_until = self.fresh_until.saturating_add(timing.stale_for);
                self.failures = 0;
                self.last_error = None;
                self.next_attempt = 0;
                changed
            }
            Err(why) => {
                self.failures = self.failures.saturating_add(1);
                self.last_error = Some((*why).to_owned());
                self.next_attempt = now.saturating_add(timing.cache.retry_after_ms(self.failures));
                false
            }
        }
    }

    /// A copy of this slot's good state taken up from another holder (another isolate's copy in
    /// a shared store): newer bytes replace older ones, never the other way round. Returns
    /// whether anything was taken.
    pub fn adopt(&mut self, other: &Slot) -> bool {
        if other.generation == 0 || other.fetched_at <= self.fetched_at {
            return false;
        }
        let changed = other.digest != self.digest;
        let generation = if changed {
            self.generation.max(other.generation).saturating_add(1)
        } else {
            self.generation
        };
        *self = Slot {
            generation,
            kid_refetches: self.kid_refetches.max_by_last(other.kid_refetches),
            attempts: self.attempts.max(other.attempts),
            ..other.clone()
        };
        true
    }
}

impl KidRefetches {
    /// Of two records, the one with the latest answered refetch.
    fn max_by_last(self, other: KidRefetches) -> KidRefetches {
        if other.last_ms > self.last_ms {
            other
        } else {
            self
        }
    }
}

#[cfg(test)]
#[path = "slot_tests.rs"]
mod tests;
