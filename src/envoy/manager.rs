//! One VM's view of the shared key-set records, and the protocol that makes the whole Envoy
//! process fetch each key set once per refresh however many VMs (worker threads) it runs.
//!
//! - A VM fetches only while it holds the URL's lease, taken by compare-and-swap on the shared
//!   record; the lease expires, so a VM torn down mid-fetch cannot block the others.
//! - The fetched bytes go into the record; the generation changes only when the bytes do, and
//!   each VM parses a generation once.
//! - Refetches for an unknown `kid` follow the core's schedule (`crate::freshness`) process-wide:
//!   at once, then 1 s, 2 s, 4 s … apart up to `refetch_cooldown`; a failed one only backs off.
//! - Failures back off exponentially; the last good set is served for `stale_for` past its
//!   freshness.
//!
//! proxy-wasm shared data has compare-and-swap only for keys that exist: creating a key is an
//! unconditional write. Records are therefore created when a VM starts ([`KeyManager::init`]),
//! and leases are taken only on later ticks; two VMs racing through creation could in theory
//! both lease the first fetch if one of them stalls between two host calls for a whole tick.

use super::freshness::Timing;
use super::record::{KeyRecord, Lease};
use super::sources::Source;
use crate::keys::KeySet;
use crate::limits::Limits;

/// Shared data as proxy-wasm offers it: values with a compare-and-swap token.
pub trait SharedStore {
    /// The value and its CAS token, if the key exists.
    fn get(&self, key: &str) -> Option<(Vec<u8>, u32)>;
    /// Write; with `cas`, only if the value still carries that token.
    fn set(&self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), Conflict>;
}

/// A compare-and-swap lost to another writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conflict;

/// Why a fetch is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A call for the host to make with `dispatch_http_call`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOrder {
    pub url: String,
    pub cluster: String,
    pub headers: Vec<(String, String)>,
    pub timeout_ms: u64,
    pub why: FetchWhy,
}

/// What the call returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchResult {
    Response {
        status: u16,
        cache_control: Option<String>,
        age: Option<String>,
        body: Vec<u8>,
    },
    /// No response: timeout, connection failure, unknown cluster, oversized body.
    Failed(String),
}

/// Something worth a log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub warn: bool,
    pub message: String,
}

impl Event {
    fn info(message: String) -> Event {
        Event {
            warn: false,
            message,
        }
    }
    fn warn(message: String) -> Event {
        Event {
            warn: true,
            message,
        }
    }
}

/// The answer to a request for a refetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refetch {
    /// A fetch is under way or will start at the next tick: wait for [`KeyManager::epoch`].
    Pending,
    /// Another VM had already refetched: this VM has just taken up the newer key set, so the
    /// request is decided again with it (and gets no refetch of its own, being inside the
    /// cooldown).
    Newer,
    /// Too soon after the last one (cooldown or back-off).
    Refused,
}

/// How many times a compare-and-swap is retried against concurrent writers.
const CAS_TRIES: usize = 8;

#[derive(Debug)]
struct Entry {
    source: Source,
    /// The CAS token of the record last read; `None` forces the next read to look.
    cas: Option<u32>,
    /// The record last read, without its body.
    meta: KeyRecord,
    keys: KeySet,
    parsed_generation: u64,
    /// Moves whenever a fetch attempt finishes (here or in another VM) or a wanted refetch is
    /// abandoned: requests waiting on a refetch wake up when it moves.
    epoch: u64,
    want_refetch: bool,
    /// This VM holds the lease and has a call out.
    fetching: bool,
    /// Times this VM parsed the key set (diagnostics, tests).
    parses: u64,
}

/// The key sets of one VM.
#[derive(Debug)]
pub struct KeyManager {
    timing: Timing,
    limits: Limits,
    holder: String,
    entries: Vec<Entry>,
}

impl KeyManager {
    /// `holder` names this VM in leases: unique per VM.
    pub fn new(sources: Vec<Source>, timing: Timing, limits: Limits, holder: String) -> Self {
        let entries = sources
            .into_iter()
            .map(|source| Entry {
                source,
                cas: None,
                meta: KeyRecord::default(),
                keys: KeySet::new(),
                parsed_generation: 0,
                epoch: 0,
                want_refetch: false,
                fetching: false,
                parses: 0,
            })
            .collect();
        KeyManager {
            timing,
            limits,
            holder,
            entries,
        }
    }

    pub fn timing(&self) -> &Timing {
        &self.timing
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Create the shared records that do not exist yet (see the module note on creation).
    pub fn init(&mut self, store: &impl SharedStore) {
        for e in &self.entries {
            if store.get(&e.source.shared_key).is_none() {
                // An unconditional write cannot lose: there is nothing to compare against.
                let _ = store.set(&e.source.shared_key, &KeyRecord::default().encode(), None);
            }
        }
    }

    /// The entry for a URL the policy maps.
    pub fn index(&self, url: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.source.url == url)
    }

    pub fn url(&self, idx: usize) -> Option<&str> {
        self.entries.get(idx).map(|e| e.source.url.as_str())
    }

    /// Re-read one record if its CAS moved; parse its bytes if their generation moved.
    pub fn sync(&mut self, store: &impl SharedStore, idx: usize) -> Vec<Event> {
        let Some(e) = self.entries.get_mut(idx) else {
            return Vec::new();
        };
        let (record, cas) = match store.get(&e.source.shared_key) {
            Some((_, cas)) if Some(cas) == e.cas => return Vec::new(),
            Some((value, cas)) => match KeyRecord::decode(&value) {
                Ok(r) => (r, Some(cas)),
                Err(why) => {
                    return vec![Event::warn(format!(
                        "key set {}: {why}; ignoring it",
                        e.source.url
                    ))]
                }
            },
            None => (KeyRecord::default(), None),
        };
        adopt(e, record, cas, None, &self.limits)
    }

    /// [`KeyManager::sync`] every record.
    pub fn sync_all(&mut self, store: &impl SharedStore) -> Vec<Event> {
        (0..self.entries.len())
            .flat_map(|i| self.sync(store, i))
            .collect()
    }

    /// Does URL `idx` have keys to serve at `now`?
    pub fn usable(&self, idx: usize, now: u64) -> bool {
        self.entries
            .get(idx)
            .is_some_and(|e| e.meta.usable(now) && e.parsed_generation == e.meta.generation)
    }

    /// The keys of URL `idx` (empty when not usable at `now`).
    pub fn keys(&self, idx: usize, now: u64) -> Option<&KeySet> {
        self.entries
            .get(idx)
            .filter(|_| self.usable(idx, now))
            .map(|e| &e.keys)
    }

    /// URL `idx` as a key source that could not be fetched, when it has no keys to serve at
    /// `now`: the core then answers `key_set_unavailable` with the last failure, not
    /// `key_not_found`.
    pub fn unavailable(&self, idx: usize, now: u64) -> Option<KeySet> {
        let e = self.entries.get(idx)?;
        if self.usable(idx, now) {
            return None;
        }
        let reason = match &e.meta.last_error {
            Some(why) => why.as_str(),
            None => "no answer yet",
        };
        Some(KeySet::unavailable(&e.source.url, reason))
    }

    /// The generation of URL `idx`'s keys as served at `now`: 0 when there are none, so a
    /// verdict cached under real keys never outlives them.
    pub fn generation(&self, idx: usize, now: u64) -> u64 {
        match self.entries.get(idx) {
            Some(e) if self.usable(idx, now) => e.parsed_generation,
            _ => 0,
        }
    }

    pub fn epoch(&self, idx: usize) -> u64 {
        self.entries.get(idx).map_or(0, |e| e.epoch)
    }

    /// Times this VM parsed URL `idx`'s bytes.
    pub fn parses(&self, idx: usize) -> u64 {
        self.entries.get(idx).map_or(0, |e| e.parses)
    }

    /// The record as last read (without its bytes).
    pub fn record(&self, idx: usize) -> Option<&KeyRecord> {
        self.entries.get(idx).map(|e| &e.meta)
    }

    /// Has a refetch been asked for that the next poll should make?
    pub fn wants_refetch(&self) -> bool {
        self.entries.iter().any(|e| e.want_refetch)
    }

    /// A token named a `kid` that URL `idx`'s keys lack: ask for a refetch, which the next
    /// [`KeyManager::poll`] makes unless the cooldown or back-off forbids it.
    pub fn request_refetch(&mut self, store: &impl SharedStore, idx: usize, now: u64) -> Refetch {
        let held = self.entries.get(idx).map(|e| e.parsed_generation);
        self.sync(store, idx);
        let cache = self.timing.cache;
        let Some(e) = self.entries.get_mut(idx) else {
            return Refetch::Refused;
        };
        if e.fetching || e.meta.leased(now) {
            return Refetch::Pending;
        }
        if now < e.meta.next_attempt || now < cache.kid_refetch_at(e.meta.kid_refetches) {
            // A peer's refetch may have landed since the caller decided: its keys come first.
            if held != Some(e.parsed_generation) && e.meta.usable(now) {
                return Refetch::Newer;
            }
            return Refetch::Refused;
        }
        e.want_refetch = true;
        Refetch::Pending
    }

    /// Take the leases of the fetches due at `now`; the host makes the calls.
    pub fn poll(&mut self, store: &impl SharedStore, now: u64) -> (Vec<FetchOrder>, Vec<Event>) {
        let mut orders = Vec::new();
        let mut events = Vec::new();
        for idx in 0..self.entries.len() {
            if self.entries[idx].fetching {
                continue;
            }
            events.extend(self.sync(store, idx));
            let want = self.entries[idx].want_refetch;
            if due(&self.entries[idx].meta, now, want, &self.timing).is_none() {
                if want {
                    self.abandon_refetch(idx, now);
                }
                continue;
            }
            let holder = self.holder.clone();
            let timing = self.timing;
            let mut why = None;
            let key = self.entries[idx].source.shared_key.clone();
            let taken = update(store, &key, |r| {
                why = due(r, now, want, &timing);
                let Some(w) = why else { return false };
                r.lease = Some(Lease {
                    holder: holder.clone(),
                    until: now.saturating_add(timing.lease_for()),
                    unknown_kid: (w == FetchWhy::UnknownKid).then_some(now),
                });
                r.fetches += 1;
                true
            });
            let e = &mut self.entries[idx];
            match (taken, why) {
                (Ok(Some(record)), Some(why)) => {
                    e.want_refetch = false;
                    e.fetching = true;
                    e.cas = None;
                    e.meta = KeyRecord {
                        body: Vec::new(),
                        ..record
                    };
                    orders.push(order(&e.source, why, &self.timing));
                }
                (Ok(_), _) => {
                    // Another VM took the lease (or fetched) between the sync above and this
                    // read: take up its record before deciding whether waiters give up.
                    e.cas = None;
                    events.extend(self.sync(store, idx));
                    if want {
                        self.abandon_refetch(idx, now);
                    }
                }
                (Err(why), _) => events.push(Event::warn(format!(
                    "key set {}: {why}",
                    self.entries[idx].source.url
                ))),
            }
        }
        (orders, events)
    }

    /// A wanted refetch will not happen here: if no other VM is fetching either, wake the
    /// requests waiting for it.
    fn abandon_refetch(&mut self, idx: usize, now: u64) {
        let e = &mut self.entries[idx];
        e.want_refetch = false;
        if !e.meta.leased(now) {
            e.epoch += 1;
        }
    }

    /// The host's call for `url` finished: publish the bytes (or the failure) to every VM.
    pub fn complete(
        &mut self,
        store: &impl SharedStore,
        url: &str,
        result: FetchResult,
        now: u64,
    ) -> Vec<Event> {
        let Some(idx) = self.index(url) else {
            return Vec::new();
        };
        self.entries[idx].fetching = false;
        let checked = check(result, &self.limits);
        let holder = self.holder.clone();
        let timing = self.timing;
        let key = self.entries[idx].source.shared_key.clone();
        let mut mine = true;
        let written = update(store, &key, |r| {
            if r.lease.as_ref().is_none_or(|l| l.holder != holder) {
                mine = false;
                return false;
            }
            let unknown_kid = r.lease.take().and_then(|l| l.unknown_kid);
            r.attempts += 1;
            match &checked {
                Ok(good) => {
                    if let Some(started) = unknown_kid {
                        r.kid_refetches =
                            timing.cache.kid_refetch_answered(r.kid_refetches, started);
                    }
                    if r.body != good.body || r.generation == 0 {
                        r.generation += 1;
                        r.body = good.body.clone();
                    }
                    r.fetched_at = now;
                    r.fresh_until = now.saturating_add(
                        timing.fresh_for(good.cache_control.as_deref(), good.age.as_deref()),
                    );
                    r.usable_until = r.fresh_until.saturating_add(timing.stale_for);
                    r.failures = 0;
                    r.last_error = None;
                    r.next_attempt = 0;
                }
                Err(why) => {
                    r.failures = r.failures.saturating_add(1);
                    r.last_error = Some(why.clone());
                    r.next_attempt = now.saturating_add(timing.cache.retry_after_ms(r.failures));
                }
            }
            true
        });
        let url = url.to_owned();
        match written {
            Ok(Some(record)) => {
                let mut events = match &checked {
                    Ok(good) => vec![Event::info(format!(
                        "key set {url}: fetched {} (generation {}, fresh for {} s)",
                        count(good.keys.keys().len(), good.keys.skipped().len()),
                        record.generation,
                        record.fresh_until.saturating_sub(now) / 1000
                    ))],
                    Err(why) => vec![Event::warn(format!(
                        "key set {url}: fetch failed ({why}); {} in a row, next try in {} s{}",
                        record.failures,
                        record.next_attempt.saturating_sub(now) / 1000,
                        if record.usable(now) {
                            "; serving the last good set meanwhile"
                        } else {
                            ""
                        }
                    ))],
                };
                let parsed = checked.ok().map(|g| (record.generation, g.keys));
                events.extend(adopt(
                    &mut self.entries[idx],
                    record,
                    None,
                    parsed,
                    &self.limits,
                ));
                events
            }
            Ok(None) if !mine => vec![Event::warn(format!(
                "key set {url}: the fetch outlived its lease and another VM took over; \
                 its result is dropped"
            ))],
            Ok(None) => Vec::new(),
            Err(why) => vec![Event::warn(format!("key set {url}: {why}"))],
        }
    }
}

impl KeyManager {
    /// The VM is going away: give back the leases of its calls still out, so another VM
    /// fetches at once instead of waiting for them to expire.
    pub fn release(&mut self, store: &impl SharedStore) {
        let holder = self.holder.clone();
        for e in self.entries.iter_mut().filter(|e| e.fetching) {
            e.fetching = false;
            let _ = update(store, &e.source.shared_key, |r| {
                if r.lease.as_ref().is_none_or(|l| l.holder != holder) {
                    return false;
                }
                r.lease = None;
                true
            });
        }
    }
}

/// "1 key", "3 keys", "3 keys (2 more unusable)".
fn count(keys: usize, unusable: usize) -> String {
    let keys = match keys {
        1 => "1 key".to_owned(),
        n => format!("{n} keys"),
    };
    match unusable {
        0 => keys,
        n => format!("{keys} ({n} more unusable)"),
    }
}

/// Is a fetch due for this record, and why?
fn due(r: &KeyRecord, now: u64, want_refetch: bool, t: &Timing) -> Option<FetchWhy> {
    if r.leased(now) || now < r.next_attempt {
        return None;
    }
    if !r.usable(now) {
        return Some(FetchWhy::Missing);
    }
    if want_refetch && now >= t.cache.kid_refetch_at(r.kid_refetches) {
        return Some(FetchWhy::UnknownKid);
    }
    (now >= r.fresh_until).then_some(FetchWhy::Scheduled)
}

fn order(s: &Source, why: FetchWhy, t: &Timing) -> FetchOrder {
    let h = |n: &str, v: &str| (n.to_owned(), v.to_owned());
    FetchOrder {
        url: s.url.clone(),
        cluster: s.cluster.clone(),
        headers: vec![
            h(":method", "GET"),
            h(":path", &s.path),
            h(":authority", &s.authority),
            h(":scheme", &s.scheme),
            h(
                "accept",
                "application/jwk-set+json, application/json;q=0.9, */*;q=0.1",
            ),
            h("user-agent", "azlens-envoy"),
        ],
        timeout_ms: t.fetch_timeout,
        why,
    }
}

/// A response worth publishing.
struct GoodSet {
    body: Vec<u8>,
    keys: KeySet,
    cache_control: Option<String>,
    age: Option<String>,
}

/// Only a 200 with a readable, non-empty key set replaces what the VMs serve.
fn check(result: FetchResult, limits: &Limits) -> Result<GoodSet, String> {
    match result {
        FetchResult::Failed(why) => Err(why),
        FetchResult::Response { status, body, .. } if status != 200 => Err(non_200(status, &body)),
        FetchResult::Response {
            cache_control,
            age,
            body,
            ..
        } => {
            let keys = KeySet::parse(&body, limits).map_err(|p| p.message)?;
            if keys.is_empty() && keys.crls().is_empty() {
                return Err("the response holds no usable key (or CRL)".into());
            }
            Ok(GoodSet {
                body,
                keys,
                cache_control,
                age,
            })
        }
    }
}

/// Why a response other than 200 is no key set. Envoy answers a call itself (a local reply,
/// not the key server) when it cannot reach the server or the call times out; its bodies say
/// so, and the log line should too.
fn non_200(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    let local = [
        (
            "upstream request timeout",
            "the call timed out (key_cache.fetch_timeout_ms)",
        ),
        (
            "upstream connect error",
            "it could not connect to the key server",
        ),
        ("no healthy upstream", "the cluster has no healthy host"),
        ("upstream reset", "the key server reset the connection"),
    ];
    match local.iter().find(|(prefix, _)| text.starts_with(prefix)) {
        Some((_, why)) => {
            format!("no answer from the key server: Envoy replied {status} itself, {why}")
        }
        None => format!("the key server answered HTTP {status}"),
    }
}

/// Take a record read from (or just written to) shared data as this VM's view; parse its
/// bytes when their generation is new, unless the caller already has them parsed.
fn adopt(
    e: &mut Entry,
    record: KeyRecord,
    cas: Option<u32>,
    parsed: Option<(u64, KeySet)>,
    limits: &Limits,
) -> Vec<Event> {
    let mut events = Vec::new();
    if record.attempts != e.meta.attempts {
        e.epoch += 1;
    }
    if record.generation != e.parsed_generation {
        match parsed {
            Some((generation, keys)) if generation == record.generation => e.keys = keys,
            _ if record.generation == 0 => e.keys = KeySet::new(),
            _ => {
                e.parses += 1;
                e.keys = match KeySet::parse(&record.body, limits) {
                    Ok(keys) => keys,
                    Err(p) => {
                        events.push(Event::warn(format!(
                            "key set {}: generation {} is unreadable here ({}); serving no keys from it",
                            e.source.url, record.generation, p.message
                        )));
                        KeySet::new()
                    }
                };
            }
        }
        e.parsed_generation = record.generation;
    }
    e.cas = cas;
    e.meta = KeyRecord {
        body: Vec::new(),
        ..record
    };
    events
}

/// Read-modify-write a record with compare-and-swap. `change` returns false to write nothing;
/// `Ok(None)` then. A missing or unreadable record is recreated first.
fn update(
    store: &impl SharedStore,
    key: &str,
    mut change: impl FnMut(&mut KeyRecord) -> bool,
) -> Result<Option<KeyRecord>, String> {
    for _ in 0..CAS_TRIES {
        let Some((value, cas)) = store.get(key) else {
            let _ = store.set(key, &KeyRecord::default().encode(), None);
            continue;
        };
        let mut record = KeyRecord::decode(&value).unwrap_or_default();
        if !change(&mut record) {
            return Ok(None);
        }
        if store.set(key, &record.encode(), Some(cas)).is_ok() {
            return Ok(Some(record));
        }
    }
    Err(format!(
        "the shared record kept changing under {CAS_TRIES} compare-and-swap attempts"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
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

    const URL: &str = "https://as.example/jwks";
    const T0: u64 = 1_800_000_000_000;

    fn jwks(kids: &[&str]) -> Vec<u8> {
        let keys: Vec<String> = kids
            .iter()
            .map(|k| format!(r#"{{"kty":"oct","kid":"{k}","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}}"#))
            .collect();
        format!(r#"{{"keys":[{}]}}"#, keys.join(",")).into_bytes()
    }

    fn ok(body: Vec<u8>, cache_control: &str) -> FetchResult {
        FetchResult::Response {
            status: 200,
            cache_control: Some(cache_control.into()),
            age: None,
            body,
        }
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
            (record.generation, record.fetches, record.attempts),
            (1, 1, 1)
        );
        assert_eq!(record.fresh_until, T0 + 5 + 300_000);

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
        assert_eq!(vms[1].record(0).unwrap().generation, 1);
        assert_eq!((vms[1].parses(0), vms[2].parses(0)), (1, 1));
        assert_eq!(vms[1].record(0).unwrap().fresh_until, T0 + 600_020);
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
        a.complete(&store, URL, FetchResult::Failed("refused".into()), now + 5);
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
            (r.kid_refetches.streak, r.kid_refetches.last_ms),
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
            FetchResult::Failed("connection refused".into()),
            due,
        );
        assert!(events[0].warn && events[0].message.contains("serving the last good set"));
        assert_eq!(kids(&a, due), ["k"], "still served");
        assert!(a.poll(&store, due + 999).0.is_empty(), "back-off 1 s");
        a.poll(&store, due + 1000);
        a.complete(
            &store,
            URL,
            FetchResult::Response {
                status: 503,
                cache_control: None,
                age: None,
                body: Vec::new(),
            },
            due + 1000,
        );
        let r = a.record(0).unwrap();
        assert_eq!(r.failures, 2);
        assert_eq!(r.next_attempt, due + 3000, "back-off 2 s");
        assert!(r.last_error.as_deref().unwrap().contains("503"));
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
        assert_eq!(a.record(0).unwrap().generation, 1);
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
}
