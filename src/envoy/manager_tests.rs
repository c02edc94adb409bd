use super::*;
use crate::keycache::test_support::{completion, jwks, T0, URL};
use crate::keycache::Completion;
use crate::policy::hosts::{EnvoySettings, KeyCache};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// Shared data with Envoy's semantics: one CAS counter for the process, never 0, a write
/// with CAS 0 (none) is unconditional, a write with a stale CAS fails.
#[derive(Default)]
struct Store {
    map: RefCell<HashMap<String, (Vec<u8>, u32)>>,
    next_cas: Cell<u32>,
}

impl SharedStore for Store {
    fn get(&self, key: &str) -> Option<(Vec<u8>, u32)> {
        self.map.borrow().get(key).cloned()
    }
    fn set(&self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), Conflict> {
        let mut map = self.map.borrow_mut();
        if let (Some(cas), Some((_, current))) = (cas, map.get(key)) {
            if cas != *current {
                return Err(Conflict);
            }
        }
        self.next_cas.set(self.next_cas.get() + 1);
        map.insert(key.to_owned(), (value.to_vec(), self.next_cas.get()));
        Ok(())
    }
}

fn ok(body: Vec<u8>, cache_control: &str) -> Completion {
    completion(200, &[("cache-control", cache_control)], body)
}

fn vm(name: &str, store: &Store) -> KeyManager {
    let cache = KeyCache {
        refetch_cooldown: 30,
        stale_for: 100,
        ..KeyCache::default()
    };
    let source = Source {
        url: URL.into(),
        cluster: "as_keys".into(),
        authority: "as.example".into(),
        path: "/jwks".into(),
        scheme: "https".into(),
        shared_key: format!("azlens.keys.v1 {URL}"),
    };
    let mut m = KeyManager::new(
        vec![source],
        Timing::new(&cache, &EnvoySettings::default()),
        Limits::default(),
        name.into(),
    );
    m.init(store);
    m
}

fn kids(m: &KeyManager, now: u64) -> Vec<String> {
    m.keys(0, now)
        .map(|k| k.keys().iter().filter_map(|k| k.kid.clone()).collect())
        .unwrap_or_default()
}

#[test]
fn one_fetch_for_the_whole_process_and_one_parse_per_vm() {
    let store = Store::default();
    let mut vms: Vec<KeyManager> = ["main", "w1", "w2"].iter().map(|n| vm(n, &store)).collect();
    let orders: Vec<Vec<FetchOrder>> = vms.iter_mut().map(|m| m.poll(&store, T0).0).collect();
    assert_eq!(orders.iter().map(Vec::len).sum::<usize>(), 1, "one lease");
    let order = &orders[0][0];
    assert_eq!(
        (order.cluster.as_str(), order.why),
        ("as_keys", FetchWhy::Missing)
    );
    assert!(order.headers.contains(&(":path".into(), "/jwks".into())));
    assert!(vms.iter().all(|m| !m.usable(0, T0)));

    vms[0].complete(&store, URL, ok(jwks(&["a"]), "max-age=300"), T0 + 5);
    for m in vms.iter_mut() {
        m.sync_all(&store);
        assert_eq!(kids(m, T0 + 10), ["a"]);
        assert!(m.usable(0, T0 + 10));
    }
    assert_eq!(vms[0].parses(0), 0, "the fetching VM keeps what it parsed");
    assert_eq!((vms[1].parses(0), vms[2].parses(0)), (1, 1));
    let record = vms[1].record(0).unwrap();
    assert_eq!(
        (record.slot.generation, record.fetches, record.slot.attempts),
        (1, 1, 1)
    );
    assert_eq!(record.slot.fresh_until, T0 + 5 + 300_000);

    // Nothing due until the max-age runs out; then again exactly one fetch.
    assert!(vms
        .iter_mut()
        .all(|m| m.poll(&store, T0 + 200_000).0.is_empty()));
    let due: Vec<usize> = vms
        .iter_mut()
        .map(|m| m.poll(&store, T0 + 300_010).0.len())
        .collect();
    assert_eq!(due.iter().sum::<usize>(), 1);
    assert_eq!(vms[0].record(0).unwrap().fetches, 2);

    // The same bytes again: no new generation, nobody re-parses.
    let holder = due.iter().position(|&n| n == 1).unwrap();
    vms[holder].complete(&store, URL, ok(jwks(&["a"]), "max-age=300"), T0 + 300_020);
    for m in vms.iter_mut() {
        m.sync_all(&store);
    }
    assert_eq!(vms[1].record(0).unwrap().slot.generation, 1);
    assert_eq!((vms[1].parses(0), vms[2].parses(0)), (1, 1));
    assert_eq!(vms[1].record(0).unwrap().slot.fresh_until, T0 + 600_020);
}

/// VMs a and b over one store, both holding a's first fetch: one key, `kid`, fresh for an
/// hour.
fn two_vms_holding(store: &Store, kid: &str) -> (KeyManager, KeyManager) {
    let mut a = vm("a", store);
    let mut b = vm("b", store);
    a.poll(store, T0);
    a.complete(store, URL, ok(jwks(&[kid]), "max-age=3600"), T0);
    b.sync_all(store);
    (a, b)
}

#[test]
fn unknown_kids_refetch_once_per_cooldown() {
    let store = Store::default();
    let (mut a, mut b) = two_vms_holding(&store, "old");

    // Both VMs see a token with a new kid; one fetch happens.
    let now = T0 + 1000;
    assert_eq!(a.request_refetch(&store, 0, now), Refetch::Pending);
    assert_eq!(b.request_refetch(&store, 0, now), Refetch::Pending);
    let epoch_b = b.epoch(0);
    let (orders_a, _) = a.poll(&store, now);
    assert_eq!(orders_a[0].why, FetchWhy::UnknownKid);
    assert!(b.poll(&store, now).0.is_empty(), "b sees a's lease");
    assert_eq!(b.epoch(0), epoch_b, "b keeps waiting while a fetches");
    a.complete(
        &store,
        URL,
        ok(jwks(&["old", "new"]), "max-age=3600"),
        now + 50,
    );
    b.sync_all(&store);
    assert!(b.epoch(0) > epoch_b, "waiters in b wake up");
    assert_eq!(kids(&b, now + 60), ["old", "new"]);

    // Another unknown kid right after: refused, no fetch; a second later (the core's
    // schedule, counted from that refetch): allowed again.
    assert_eq!(b.request_refetch(&store, 0, now + 500), Refetch::Refused);
    assert!(b.poll(&store, now + 500).0.is_empty());
    assert_eq!(b.request_refetch(&store, 0, now + 1000), Refetch::Pending);
    assert_eq!(b.poll(&store, now + 1000).0.len(), 1);
    b.complete(
        &store,
        URL,
        ok(jwks(&["old", "new"]), "max-age=3600"),
        now + 1010,
    );
    // The next waits 2 s from that one.
    assert_eq!(b.request_refetch(&store, 0, now + 2999), Refetch::Refused);
    assert_eq!(b.request_refetch(&store, 0, now + 3000), Refetch::Pending);
}

/// Issue 19: an unknown-kid refetch that failed (an outage) must not start the cooldown:
/// a key published meanwhile is fetched at the first try after the back-off.
#[test]
fn a_failed_unknown_kid_refetch_only_backs_off() {
    let store = Store::default();
    let (mut a, _b) = two_vms_holding(&store, "old");
    let now = T0 + 1000;
    assert_eq!(a.request_refetch(&store, 0, now), Refetch::Pending);
    assert_eq!(a.poll(&store, now).0.len(), 1);
    a.complete(&store, URL, Completion::Failed("refused".into()), now + 5);
    // Back-off after one failure: 1 s from the failure.
    assert_eq!(a.request_refetch(&store, 0, now + 900), Refetch::Refused);
    assert_eq!(a.request_refetch(&store, 0, now + 1005), Refetch::Pending);
    let orders = a.poll(&store, now + 1005).0;
    assert_eq!(orders[0].why, FetchWhy::UnknownKid);
    a.complete(
        &store,
        URL,
        ok(jwks(&["old", "new"]), "max-age=3600"),
        now + 1010,
    );
    assert_eq!(kids(&a, now + 1010), ["old", "new"]);
    let r = a.record(0).unwrap();
    assert_eq!(
        (r.slot.kid_refetches.streak, r.slot.kid_refetches.last_ms),
        (1, now + 1005)
    );
}

/// Issue 19: a scheduled fetch is not an unknown-kid refetch: a kid published right after
/// the first fetch is fetched on its first use.
#[test]
fn a_kid_published_after_the_first_fetch_is_fetched_on_first_use() {
    let store = Store::default();
    let (mut a, _b) = two_vms_holding(&store, "old");
    assert_eq!(a.request_refetch(&store, 0, T0 + 2000), Refetch::Pending);
    assert_eq!(a.poll(&store, T0 + 2000).0[0].why, FetchWhy::UnknownKid);
}

/// What another VM does, once, in the middle of this one's work.
type Peer<'a> = RefCell<Option<Box<dyn FnOnce(&Store) + 'a>>>;

/// A store that lets another VM act just before the `at`-th read: a race inside a poll.
struct Interleaved<'a> {
    store: &'a Store,
    reads: Cell<usize>,
    at: usize,
    peer: Peer<'a>,
}

impl SharedStore for Interleaved<'_> {
    fn get(&self, key: &str) -> Option<(Vec<u8>, u32)> {
        self.reads.set(self.reads.get() + 1);
        if self.reads.get() == self.at {
            if let Some(peer) = self.peer.borrow_mut().take() {
                peer(self.store);
            }
        }
        self.store.get(key)
    }
    fn set(&self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), Conflict> {
        self.store.set(key, value, cas)
    }
}

/// b synced before a took the lease and reads the leased record only in its compare-and-swap:
/// b's waiters must keep waiting for a's keys, not wake up to the old ones (seen in Envoy as
/// the 401s of one worker thread during a key rotation).
#[test]
fn a_lease_taken_during_a_poll_keeps_the_waiters_waiting() {
    let store = Store::default();
    let (mut a, mut b) = two_vms_holding(&store, "old");
    let now = T0 + 1000;
    assert_eq!(a.request_refetch(&store, 0, now), Refetch::Pending);
    assert_eq!(b.request_refetch(&store, 0, now), Refetch::Pending);
    let waiting = b.epoch(0);
    let a_orders = RefCell::new(Vec::new());
    let racing = Interleaved {
        store: &store,
        reads: Cell::new(0),
        at: 2,
        peer: RefCell::new(Some(Box::new(|s: &Store| {
            *a_orders.borrow_mut() = a.poll(s, now).0;
        }))),
    };
    assert!(b.poll(&racing, now).0.is_empty(), "a holds the lease");
    assert!(racing.peer.borrow().is_none(), "a acted inside b's poll");
    assert_eq!(a_orders.borrow().len(), 1, "a took the lease");
    assert_eq!(
        b.epoch(0),
        waiting,
        "b's waiters keep waiting while a fetches"
    );
    drop(racing);
    a.complete(
        &store,
        URL,
        ok(jwks(&["old", "new"]), "max-age=3600"),
        now + 50,
    );
    b.sync_all(&store);
    assert!(b.epoch(0) > waiting, "and wake up to the new keys");
    assert_eq!(kids(&b, now + 60), ["old", "new"]);
}

/// b decided with the old keys; a's refetch landed before b asked for one. b is inside the
/// cooldown, yet must decide again with a's keys rather than refuse.
#[test]
fn a_refetch_landed_since_the_decision_is_taken_up() {
    let store = Store::default();
    let (mut a, mut b) = two_vms_holding(&store, "old");
    let now = T0 + 1000;
    assert_eq!(a.request_refetch(&store, 0, now), Refetch::Pending);
    a.poll(&store, now);
    a.complete(
        &store,
        URL,
        ok(jwks(&["old", "new"]), "max-age=3600"),
        now + 5,
    );
    assert_eq!(kids(&b, now + 10), ["old"], "b still holds the old set");
    assert_eq!(b.request_refetch(&store, 0, now + 10), Refetch::Newer);
    assert_eq!(kids(&b, now + 10), ["old", "new"]);
    assert!(b.poll(&store, now + 10).0.is_empty(), "no fetch of b's own");
    // Asked again with those keys: an unknown kid inside the cooldown is refused.
    assert_eq!(b.request_refetch(&store, 0, now + 20), Refetch::Refused);
}

#[test]
fn a_refetch_lost_to_a_race_wakes_its_waiters() {
    let store = Store::default();
    let (mut a, mut b) = two_vms_holding(&store, "k");
    let now = T0 + 1000;
    assert_eq!(b.request_refetch(&store, 0, now), Refetch::Pending);
    // a refetches and finishes before b's tick.
    a.request_refetch(&store, 0, now);
    a.poll(&store, now);
    a.complete(&store, URL, ok(jwks(&["k"]), "max-age=3600"), now + 1);
    let before = b.epoch(0);
    assert!(b.poll(&store, now + 2).0.is_empty(), "cooldown");
    assert!(b.epoch(0) > before);
}

#[test]
fn failures_back_off_and_keep_the_last_good_set_for_stale_for() {
    let store = Store::default();
    let mut a = vm("a", &store);
    a.poll(&store, T0);
    a.complete(&store, URL, ok(jwks(&["k"]), "max-age=60"), T0);
    let due = T0 + 60_000;
    assert_eq!(a.poll(&store, due).0[0].why, FetchWhy::Scheduled);
    let events = a.complete(
        &store,
        URL,
        Completion::Failed("connection refused".into()),
        due,
    );
    assert!(events[0].warn && events[0].message.contains("serving the last good set"));
    assert_eq!(kids(&a, due), ["k"], "still served");
    assert!(a.poll(&store, due + 999).0.is_empty(), "back-off 1 s");
    a.poll(&store, due + 1000);
    a.complete(
        &store,
        URL,
        Completion::Response {
            status: 503,
            headers: Vec::new(),
            body: Vec::new(),
        },
        due + 1000,
    );
    let r = a.record(0).unwrap();
    assert_eq!(r.slot.failures, 2);
    assert_eq!(r.slot.next_attempt, due + 3000, "back-off 2 s");
    assert!(r.slot.last_error.as_deref().unwrap().contains("503"));
    // 100 s of stale_for past freshness, then no keys: requests fail closed.
    assert!(a.usable(0, T0 + 60_000 + 99_999));
    assert!(!a.usable(0, T0 + 160_000));
    assert_eq!(a.poll(&store, T0 + 160_000).0[0].why, FetchWhy::Missing);
}

#[test]
fn garbage_never_replaces_good_keys() {
    let store = Store::default();
    let mut a = vm("a", &store);
    a.poll(&store, T0);
    a.complete(&store, URL, ok(jwks(&["k"]), "max-age=60"), T0);
    for body in [b"<html>oops</html>".to_vec(), br#"{"keys":[]}"#.to_vec()] {
        a.poll(&store, T0 + 120_000);
        let events = a.complete(&store, URL, ok(body, "max-age=60"), T0 + 120_000);
        assert!(events[0].warn);
    }
    assert_eq!(a.record(0).unwrap().slot.generation, 1);
    assert_eq!(kids(&a, T0 + 120_000), ["k"]);
}

#[test]
fn an_expired_lease_is_taken_over_and_the_late_result_dropped() {
    let store = Store::default();
    let mut a = vm("a", &store);
    let mut b = vm("b", &store);
    assert_eq!(a.poll(&store, T0).0.len(), 1);
    let lease = a.timing().lease_for();
    assert!(b.poll(&store, T0 + lease - 1).0.is_empty());
    assert_eq!(b.poll(&store, T0 + lease).0.len(), 1, "a's lease expired");
    let events = a.complete(
        &store,
        URL,
        ok(jwks(&["late"]), "max-age=60"),
        T0 + lease + 1,
    );
    assert!(events[0].message.contains("dropped"));
    b.complete(&store, URL, ok(jwks(&["b"]), "max-age=60"), T0 + lease + 2);
    a.sync_all(&store);
    assert_eq!(kids(&a, T0 + lease + 3), ["b"]);
}

#[test]
fn a_vm_going_away_gives_its_lease_back() {
    let store = Store::default();
    let mut a = vm("a", &store);
    let mut b = vm("b", &store);
    assert_eq!(a.poll(&store, T0).0.len(), 1);
    assert!(b.poll(&store, T0 + 1).0.is_empty());
    a.release(&store);
    assert_eq!(
        b.poll(&store, T0 + 2).0.len(),
        1,
        "no wait for the lease to expire"
    );
    // A lease that expired and passed to another VM is not the old holder's to give back.
    let mut c = vm("c", &store);
    let later = T0 + 2 + a.timing().lease_for();
    assert_eq!(a.poll(&store, later).0.len(), 1, "b's lease expired");
    assert_eq!(c.poll(&store, later + a.timing().lease_for()).0.len(), 1);
    a.release(&store);
    b.sync_all(&store);
    let lease = b.record(0).unwrap().lease.clone().unwrap();
    assert_eq!(lease.holder, "c");
}

#[test]
fn a_corrupt_record_is_rebuilt() {
    let store = Store::default();
    let mut a = vm("a", &store);
    store
        .set(&format!("azlens.keys.v1 {URL}"), b"junk", None)
        .unwrap();
    assert!(a.sync_all(&store)[0].warn);
    assert_eq!(a.poll(&store, T0).0.len(), 1);
    a.complete(&store, URL, ok(jwks(&["k"]), "max-age=60"), T0);
    assert_eq!(kids(&a, T0), ["k"]);
}
