//! The memory of proofs already used: a DPoP proof (RFC 9449 §11.1) is good for one request.
//!
//! A proof is remembered by a 16-byte digest of its key's thumbprint and its `jti`, until the
//! last second its `iat` would still be accepted; after that the `iat` check refuses it anyway.
//! Hosts choose where the memory lives: [`MemoryReplay`] in the process (one per worker
//! isolate, one per JS verifier), Envoy's shared data across its worker VMs.

use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};

/// The key a used proof is remembered by.
pub type ProofId = [u8; 16];

/// The id of the proof with this key thumbprint and `jti`.
pub fn proof_id(jkt: &str, jti: &str) -> ProofId {
    let mut h = Sha256::new();
    h.update(jkt.as_bytes());
    h.update([0u8]);
    h.update(jti.as_bytes());
    let digest = h.finalize();
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    id
}

/// Where used proofs are remembered.
pub trait ReplayStore: Send {
    /// Record `id` as used until `until` (unix seconds). `false` when it was already recorded
    /// and has not expired at `now`: the proof is a replay.
    fn first_use(&mut self, id: ProofId, until: i64, now: i64) -> bool;
}

/// Bytes one remembered proof costs in [`MemoryReplay`] at most: the 16-byte id and 8-byte
/// expiry twice (index and queue), with the hash table's control bytes and the slack of both
/// tables growing by doubling.
pub const BYTES_PER_ENTRY: usize = 80;

/// An in-process memory of at most `capacity` proofs. Entries leave when they expire; when it is
/// full of live entries the oldest leaves first (its `iat` is the closest to being refused).
#[derive(Debug, Default)]
pub struct MemoryReplay {
    capacity: usize,
    seen: HashMap<ProofId, i64>,
    order: VecDeque<(ProofId, i64)>,
}

impl MemoryReplay {
    pub fn new(capacity: usize) -> MemoryReplay {
        MemoryReplay {
            capacity: capacity.max(1),
            seen: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    fn forget_front(&mut self) {
        if let Some((id, until)) = self.order.pop_front() {
            // A re-recorded id has a newer entry further back: remove only this one's.
            if self.seen.get(&id) == Some(&until) {
                self.seen.remove(&id);
            }
        }
    }
}

impl ReplayStore for MemoryReplay {
    fn first_use(&mut self, id: ProofId, until: i64, now: i64) -> bool {
        while self.order.front().is_some_and(|(_, u)| *u < now) {
            self.forget_front();
        }
        if self.seen.get(&id).is_some_and(|u| *u >= now) {
            return false;
        }
        while self.seen.len() >= self.capacity && !self.order.is_empty() {
            self.forget_front();
        }
        self.seen.insert(id, until);
        self.order.push_back((id, until));
        true
    }
}

/// The replay memory a [`crate::Verifier`] holds: shared by its clones, replaceable by a host
/// that keeps it elsewhere.
#[derive(Clone)]
pub struct Ledger(Arc<Mutex<Box<dyn ReplayStore>>>);

impl Ledger {
    pub fn new(store: Box<dyn ReplayStore>) -> Ledger {
        Ledger(Arc::new(Mutex::new(store)))
    }

    /// Record a proof; `false` for a replay.
    pub fn first_use(&self, id: ProofId, until: i64, now: i64) -> bool {
        // A poisoned lock only means another thread panicked mid-call; the map is still sound.
        let mut store = self.0.lock().unwrap_or_else(|e| e.into_inner());
        store.first_use(id, until, now)
    }
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ledger")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_is_used_once_until_it_expires() {
        let mut m = MemoryReplay::new(4);
        let a = proof_id("k", "1");
        assert!(m.first_use(a, 100, 10));
        assert!(!m.first_use(a, 100, 50));
        assert!(!m.first_use(a, 100, 100));
        // Expired: the iat check refuses it by then; the memory forgets it.
        assert!(m.first_use(a, 300, 101));
        assert_ne!(proof_id("k", "1"), proof_id("k1", ""));
    }

    #[test]
    fn the_memory_is_bounded() {
        let mut m = MemoryReplay::new(3);
        for i in 0..10 {
            assert!(m.first_use(proof_id("k", &i.to_string()), 1000, 0));
            assert!(m.len() <= 3);
        }
        // The newest are remembered.
        assert!(!m.first_use(proof_id("k", "9"), 1000, 1));
    }
}
