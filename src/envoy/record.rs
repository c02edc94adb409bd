//! The record one key-set URL has in proxy-wasm shared data, shared by every VM of the Envoy
//! process: the core's key-set state ([`Slot`]: freshness, failures, a generation that changes
//! only when the bytes do, so VMs parse once per change), the raw bytes, and the fetch lease.
//!
//! Stored as one value so a single compare-and-swap covers everything: a line of JSON metadata,
//! a newline, then the key-set bytes exactly as fetched.

use crate::keycache::Slot;
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
    /// The core's state of the URL.
    #[serde(flatten)]
    pub slot: Slot,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
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
            slot: Slot {
                generation: 3,
                fetched_at: 1,
                fresh_until: 2,
                usable_until: 5,
                last_error: Some("line\nbreak".into()),
                ..Slot::default()
            },
            lease: Some(Lease {
                holder: "vm-a".into(),
                until: 9,
                unknown_kid: Some(4),
            }),
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
    fn leased_follows_the_clock() {
        let r = KeyRecord {
            lease: Some(Lease {
                holder: "a".into(),
                until: 10,
                unknown_kid: None,
            }),
            ..KeyRecord::default()
        };
        assert!(r.leased(9) && !r.leased(10));
    }
}
