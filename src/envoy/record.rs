//! The record one key-set URL has in proxy-wasm shared data, shared by every VM of the Envoy
//! process: the raw bytes last fetched, when, until when they are fresh, a generation that
//! changes only when the bytes do (so VMs parse once per change), and the fetch lease.
//!
//! Stored as one value so a single compare-and-swap covers everything: a line of JSON metadata,
//! a newline, then the key-set bytes exactly as fetched.

use crate::freshness::KidRefetches;
use serde::{Deserialize, Serialize};

/// Who is fetching, until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The VM holding the lease.
    pub holder: String,
    /// Milliseconds since the epoch; after this another VM may take over.
    pub until: u64,
    /// When the fetch started, if it is a refetch for an unknown `kid` (for the core's
    /// unknown-`kid` schedule, which counts only refetches that get an answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_kid: Option<u64>,
}

/// The shared state of one key-set URL. Times are milliseconds since the epoch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KeyRecord {
    /// 0 until the first good fetch; then bumped whenever the bytes change.
    pub generation: u64,
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
    /// The last failure, for logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
    /// The unknown-`kid` refetches that got an answer (the core's schedule,
    /// [`crate::freshness::KidRefetches`]).
    pub kid_refetches: KidRefetches,
    /// Fetch attempts finished, good or bad: paused requests wait for this to move.
    pub attempts: u64,
    /// Fetches started, process-wide (diagnostics).
    pub fetches: u64,
    /// The key-set bytes as fetched (empty before the first good fetch).
    #[serde(skip)]
    pub body: Vec<u8>,
}

impl KeyRecord {
    /// The shared-data value.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec(self).unwrap_or_default();
        out.push(b'\n');
        out.extend_from_slice(&self.body);
        out
    }

    /// Read a shared-data value written by [`KeyRecord::encode`].
    pub fn decode(value: &[u8]) -> Result<KeyRecord, String> {
        let split = value
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("the shared key record has no metadata line")?;
        let mut record: KeyRecord = serde_json::from_slice(&value[..split])
            .map_err(|e| format!("the shared key record's metadata is unreadable: {e}"))?;
        record.body = value[split + 1..].to_vec();
        Ok(record)
    }

    /// Are there bytes to serve at `now`?
    pub fn usable(&self, now: u64) -> bool {
        self.generation > 0 && now < self.usable_until
    }

    /// Is a fetch under way (a lease not yet expired)?
    pub fn leased(&self, now: u64) -> bool {
        self.lease.as_ref().is_some_and(|l| now < l.until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_any_body() {
        let record = KeyRecord {
            generation: 3,
            fetched_at: 1,
            fresh_until: 2,
            usable_until: 5,
            lease: Some(Lease {
                holder: "vm-a".into(),
                until: 9,
                unknown_kid: Some(4),
            }),
            last_error: Some("line\nbreak".into()),
            body: b"{\"keys\":[]}\n\x00\xff binary too".to_vec(),
            ..KeyRecord::default()
        };
        let value = record.encode();
        assert_eq!(KeyRecord::decode(&value).unwrap(), record);
        assert_eq!(
            KeyRecord::decode(&KeyRecord::default().encode()).unwrap(),
            KeyRecord::default()
        );
    }

    #[test]
    fn refuses_foreign_values() {
        assert!(KeyRecord::decode(b"no newline").is_err());
        assert!(KeyRecord::decode(b"42\nbody").is_err());
        assert!(KeyRecord::decode(b"{\"generation\":\"x\"}\n").is_err());
    }

    #[test]
    fn usable_and_leased_follow_the_clock() {
        let mut r = KeyRecord {
            usable_until: 100,
            ..KeyRecord::default()
        };
        assert!(!r.usable(50), "never fetched");
        r.generation = 1;
        assert!(r.usable(99) && !r.usable(100));
        r.lease = Some(Lease {
            holder: "a".into(),
            until: 10,
            unknown_kid: None,
        });
        assert!(r.leased(9) && !r.leased(10));
    }
}
