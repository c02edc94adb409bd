//! Requests paused until their key sets arrive (or a refetch finishes), each with a deadline.
//! When the deadline passes the request is decided with whatever keys there are, which for a
//! missing key set means a 401: the filter fails closed.

use super::manager::KeyManager;

/// Most requests one VM keeps paused; past it, requests are decided at once.
pub const MAX_WAITING: usize = 4096;

/// What a paused request waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitFor {
    /// Usable keys from every source (the first fetch, or a recovery).
    Keys,
    /// The refetch asked for an unknown `kid` to finish, well or not.
    Refetch,
}

/// One paused request.
#[derive(Debug, Clone)]
pub struct Waiter<T> {
    /// The proxy-wasm context of the stream.
    pub context_id: u32,
    /// Milliseconds since the epoch.
    pub deadline: u64,
    pub wait_for: WaitFor,
    /// Key sources (manager indexes) with their epoch when the request paused.
    pub sources: Vec<(usize, u64)>,
    /// What the host needs to decide it later.
    pub request: T,
}

impl<T> Waiter<T> {
    /// Can the request be decided now?
    pub fn settled(&self, keys: &KeyManager, now: u64) -> bool {
        now >= self.deadline
            || match self.wait_for {
                WaitFor::Keys => self.sources.iter().all(|&(i, _)| keys.usable(i, now)),
                WaitFor::Refetch => self.sources.iter().all(|&(i, e)| keys.epoch(i) > e),
            }
    }
}

/// The paused requests of one VM.
#[derive(Debug)]
pub struct Waiting<T> {
    list: Vec<Waiter<T>>,
}

impl<T> Default for Waiting<T> {
    fn default() -> Self {
        Waiting { list: Vec::new() }
    }
}

impl<T> Waiting<T> {
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Pause a request; gives it back when too many are paused already.
    pub fn push(&mut self, waiter: Waiter<T>) -> Result<(), Waiter<T>> {
        if self.list.len() >= MAX_WAITING {
            return Err(waiter);
        }
        self.list.push(waiter);
        Ok(())
    }

    /// Forget a stream that ended while paused (the client went away).
    pub fn remove(&mut self, context_id: u32) {
        self.list.retain(|w| w.context_id != context_id);
    }

    pub fn contains(&self, context_id: u32) -> bool {
        self.list.iter().any(|w| w.context_id == context_id)
    }

    /// Take out the requests that can be decided now, oldest first.
    pub fn take_settled(&mut self, keys: &KeyManager, now: u64) -> Vec<Waiter<T>> {
        let (done, waiting) = std::mem::take(&mut self.list)
            .into_iter()
            .partition(|w| w.settled(keys, now));
        self.list = waiting;
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envoy::manager::{Conflict, SharedStore};
    use crate::envoy::sources::Source;
    use crate::keycache::{Completion, Timing};
    use crate::limits::Limits;
    use crate::policy::hosts::{EnvoySettings, KeyCache};
    use std::cell::RefCell;
    use std::collections::HashMap;

    #[derive(Default)]
    struct Store(RefCell<HashMap<String, (Vec<u8>, u32)>>);

    impl SharedStore for Store {
        fn get(&self, key: &str) -> Option<(Vec<u8>, u32)> {
            self.0.borrow().get(key).cloned()
        }
        fn set(&self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), Conflict> {
            let mut map = self.0.borrow_mut();
            let current = map.get(key).map_or(0, |v| v.1);
            if cas.is_some_and(|c| c != current) {
                return Err(Conflict);
            }
            map.insert(key.into(), (value.to_vec(), current + 1));
            Ok(())
        }
    }

    fn manager(store: &Store) -> KeyManager {
        let url = "https://as.example/jwks";
        let mut m = KeyManager::new(
            vec![Source {
                url: url.into(),
                cluster: "c".into(),
                authority: "as.example".into(),
                path: "/jwks".into(),
                scheme: "https".into(),
                shared_key: url.into(),
            }],
            Timing::new(&KeyCache::default(), &EnvoySettings::default()),
            Limits::default(),
            "vm".into(),
        );
        m.init(store);
        m
    }

    fn waiter(id: u32, wait_for: WaitFor, epoch: u64) -> Waiter<&'static str> {
        Waiter {
            context_id: id,
            deadline: 1000,
            wait_for,
            sources: vec![(0, epoch)],
            request: "req",
        }
    }

    #[test]
    fn waiters_settle_on_keys_on_refetch_or_on_their_deadline() {
        let store = Store::default();
        let mut keys = manager(&store);
        let mut w = Waiting::default();
        w.push(waiter(1, WaitFor::Keys, 0)).unwrap();
        w.push(waiter(2, WaitFor::Refetch, 0)).unwrap();
        w.push(waiter(3, WaitFor::Keys, 0)).unwrap();
        w.remove(3);
        assert!(w.take_settled(&keys, 10).is_empty());
        assert_eq!(w.take_settled(&keys, 1000).len(), 2, "deadline");

        w.push(waiter(1, WaitFor::Keys, 0)).unwrap();
        w.push(waiter(2, WaitFor::Refetch, keys.epoch(0))).unwrap();
        keys.poll(&store, 10);
        let body = br#"{"keys":[{"kty":"oct","kid":"k","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}]}"#;
        keys.complete(
            &store,
            "https://as.example/jwks",
            Completion::Response {
                status: 200,
                headers: Vec::new(),
                body: body.to_vec(),
            },
            20,
        );
        let settled: Vec<u32> = w
            .take_settled(&keys, 30)
            .iter()
            .map(|w| w.context_id)
            .collect();
        assert_eq!(settled, [1, 2]);
        assert!(w.is_empty());
    }

    #[test]
    fn the_number_of_paused_requests_is_bounded() {
        let mut w = Waiting::default();
        for id in 0..MAX_WAITING as u32 {
            w.push(waiter(id, WaitFor::Keys, 0)).unwrap();
        }
        assert!(w.push(waiter(u32::MAX, WaitFor::Keys, 0)).is_err());
        assert_eq!(w.len(), MAX_WAITING);
        assert!(w.contains(7));
    }
}
