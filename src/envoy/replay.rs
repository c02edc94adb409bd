//! DPoP proofs already used, shared by every VM of the Envoy process (one per worker thread)
//! through proxy-wasm shared data, so a proof replayed to another worker thread is refused too.
//!
//! Shared data keys cannot be deleted, so the memory is a fixed table: `buckets` keys
//! (`azlens.dpop.<n>`), each holding at most [`PER_BUCKET`] entries of 24 bytes (a 16-byte proof
//! id and its 8-byte expiry). A proof id picks its bucket; writing a bucket drops its expired
//! entries and, when it is full, the one closest to expiry. Writes use compare-and-swap and are
//! retried, so two VMs cannot both accept one proof. The bound is `buckets × PER_BUCKET × 24`
//! bytes of values (768 KiB for the default 32768 entries) plus Envoy's per-key overhead.

use super::manager::SharedStore;
use crate::dpop::replay::{ProofId, ReplayStore};

/// Entries per shared-data key.
pub const PER_BUCKET: usize = 16;
const ENTRY: usize = 24;
/// Compare-and-swap attempts before a proof is refused as possibly replayed (fail closed).
const ATTEMPTS: usize = 8;

/// A [`ReplayStore`] on shared data.
pub struct SharedReplay<S> {
    store: S,
    buckets: usize,
}

impl<S: SharedStore> SharedReplay<S> {
    /// A table for about `entries` proofs.
    pub fn new(store: S, entries: usize) -> SharedReplay<S> {
        SharedReplay {
            store,
            buckets: entries.div_ceil(PER_BUCKET).max(1),
        }
    }

    fn key(&self, id: &ProofId) -> String {
        let n = u32::from_be_bytes([id[0], id[1], id[2], id[3]]) as usize % self.buckets;
        format!("azlens.dpop.{n}")
    }
}

fn decode(bytes: &[u8]) -> Vec<(ProofId, i64)> {
    bytes
        .chunks_exact(ENTRY)
        .map(|c| {
            let mut id = [0u8; 16];
            id.copy_from_slice(&c[..16]);
            let mut until = [0u8; 8];
            until.copy_from_slice(&c[16..]);
            (id, i64::from_be_bytes(until))
        })
        .collect()
}

fn encode(entries: &[(ProofId, i64)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * ENTRY);
    for (id, until) in entries {
        out.extend_from_slice(id);
        out.extend_from_slice(&until.to_be_bytes());
    }
    out
}

impl<S: SharedStore + Send> ReplayStore for SharedReplay<S> {
    fn first_use(&mut self, id: ProofId, until: i64, now: i64) -> bool {
        let key = self.key(&id);
        for _ in 0..ATTEMPTS {
            let (bytes, cas) = match self.store.get(&key) {
                Some((b, cas)) => (b, Some(cas)),
                None => (Vec::new(), None),
            };
            let mut entries: Vec<(ProofId, i64)> = decode(&bytes)
                .into_iter()
                .filter(|(_, u)| *u >= now)
                .collect();
            if entries.iter().any(|(e, _)| *e == id) {
                return false;
            }
            if entries.len() >= PER_BUCKET {
                entries.sort_by_key(|(_, u)| *u);
                entries.drain(..=entries.len() - PER_BUCKET);
            }
            entries.push((id, until));
            if self.store.set(&key, &encode(&entries), cas).is_ok() {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dpop::replay::proof_id;
    use crate::envoy::manager::Conflict;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    type Table = HashMap<String, (Vec<u8>, u32)>;

    /// Shared data as Envoy keeps it: a value and a CAS counter per key, shared by all "VMs".
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Table>>);

    impl SharedStore for Shared {
        fn get(&self, key: &str) -> Option<(Vec<u8>, u32)> {
            self.0.lock().unwrap().get(key).cloned()
        }
        fn set(&self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), Conflict> {
            let mut m = self.0.lock().unwrap();
            let current = m.get(key).map(|(_, c)| *c);
            if cas.is_some() && cas != current {
                return Err(Conflict);
            }
            m.insert(key.to_owned(), (value.to_vec(), current.unwrap_or(0) + 1));
            Ok(())
        }
    }

    #[test]
    fn a_proof_used_in_one_vm_is_a_replay_in_another() {
        let shared = Shared::default();
        let mut a = SharedReplay::new(shared.clone(), 64);
        let mut b = SharedReplay::new(shared.clone(), 64);
        let id = proof_id("k", "1");
        assert!(a.first_use(id, 100, 10));
        assert!(!b.first_use(id, 100, 20));
        assert!(b.first_use(id, 300, 101), "expired entries are forgotten");
    }

    #[test]
    fn the_table_is_bounded() {
        let shared = Shared::default();
        let mut r = SharedReplay::new(shared.clone(), 32);
        for i in 0..1000 {
            assert!(r.first_use(proof_id("k", &i.to_string()), 1000 + i, 0));
        }
        let m = shared.0.lock().unwrap();
        assert_eq!(m.len(), 2);
        assert!(m.values().all(|(v, _)| v.len() <= PER_BUCKET * ENTRY));
        drop(m);
        assert!(!r.first_use(proof_id("k", "999"), 5000, 1));
    }

    #[test]
    fn a_lost_compare_and_swap_is_retried() {
        struct Racy(Shared, std::cell::Cell<bool>);
        impl SharedStore for Racy {
            fn get(&self, key: &str) -> Option<(Vec<u8>, u32)> {
                self.0.get(key)
            }
            fn set(&self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), Conflict> {
                if self.1.replace(false) {
                    // Another VM writes first.
                    self.0
                        .set(key, &encode(&[(proof_id("o", "x"), 500)]), None)?;
                    return Err(Conflict);
                }
                self.0.set(key, value, cas)
            }
        }
        let shared = Shared::default();
        let racy = Racy(shared.clone(), std::cell::Cell::new(true));
        let r = SharedReplay::new(racy, 16);
        let mut r = r;
        assert!(r.first_use(proof_id("k", "1"), 100, 0));
        let (bytes, _) = shared.get("azlens.dpop.0").unwrap();
        assert_eq!(decode(&bytes).len(), 2, "the other VM's entry is kept");
    }
}
