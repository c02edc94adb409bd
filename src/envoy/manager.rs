//! One VM's view of the shared key-set records, and the protocol that makes the whole Envoy
//! process fetch each key set once per refresh however many VMs (worker threads) it runs.
//!
//! - A VM fetches only while it holds the URL's lease, taken by compare-and-swap on the shared
//!   record; the lease expires, so a VM torn down mid-fetch cannot block the others.
//! - The fetched bytes go into the record; the generation changes only when the bytes do, and
//!   each VM parses a generation once.
//! - What is due, what a response is worth, freshness, back-off, stale serving and the
//!   unknown-`kid` schedule are the core's key-set lifecycle ([`crate::keycache`]), the same as
//!   the JS shim's and the edge worker's; each record holds a [`crate::keycache::Slot`],
//!   shared process-wide.
//!
//! proxy-wasm shared data has compare-and-swap only for keys that exist: creating a key is an
//! unconditional write. Records are therefore created when a VM starts ([`KeyManager::init`]),
//! and leases are taken only on later ticks; two VMs racing through creation could in theory
//! both lease the first fetch if one of them stalls between two host calls for a whole tick.

use super::record::{KeyRecord, Lease};
use super::sources::Source;
use crate::keycache::{self, Completion, Timing};
use crate::keys::KeySet;
use crate::limits::Limits;
use std::borrow::Cow;

pub use crate::keycache::FetchWhy;

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

/// A call for the host to make with `dispatch_http_call`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOrder {
    pub url: String,
    pub cluster: String,
    pub headers: Vec<(String, String)>,
    pub timeout_ms: u64,
    pub why: FetchWhy,
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
        self.entries.get(idx).is_some_and(|e| {
            e.meta.slot.usable(now) && e.parsed_generation == e.meta.slot.generation
        })
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
        let reason = match &e.meta.slot.last_error {
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
        let timing = self.timing;
        let Some(e) = self.entries.get_mut(idx) else {
            return Refetch::Refused;
        };
        if e.fetching || e.meta.leased(now) {
            return Refetch::Pending;
        }
        if !e.meta.slot.kid_refetch_allowed(now, &timing) {
            // A peer's refetch may have landed since the caller decided: its keys come first.
            if held != Some(e.parsed_generation) && e.meta.slot.usable(now) {
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
        result: Completion,
        now: u64,
    ) -> Vec<Event> {
        let Some(idx) = self.index(url) else {
            return Vec::new();
        };
        self.entries[idx].fetching = false;
        let checked = keycache::check(url, &result, now, &self.timing, &self.limits);
        let body = match result {
            Completion::Response { body, .. } if checked.is_ok() => body,
            _ => Vec::new(),
        };
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
            let result = checked.as_ref().map(|g| &g.fresh).map_err(String::as_str);
            if r.slot.record(result, unknown_kid, now, &timing) {
                r.body = body.clone();
            }
            true
        });
        let url = url.to_owned();
        match written {
            Ok(Some(record)) => {
                let slot = &record.slot;
                let mut events = match &checked {
                    Ok(good) => vec![Event::info(format!(
                        "key set {url}: fetched {} (generation {}, fresh for {} s)",
                        count(good.keys.keys().len(), good.keys.skipped().len()),
                        slot.generation,
                        slot.fresh_until.saturating_sub(now) / 1000
                    ))],
                    Err(why) => vec![Event::warn(format!(
                        "key set {url}: fetch failed ({why}); {} in a row, next try in {} s{}",
                        slot.failures,
                        slot.next_attempt.saturating_sub(now) / 1000,
                        if slot.usable(now) {
                            "; serving the last good set meanwhile"
                        } else {
                            ""
                        }
                    ))],
                };
                let parsed = checked.ok().map(|g| (record.slot.generation, g.keys));
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

    /// The keys of `sources` as one set, in their order: each URL's keys, or the marker of a URL
    /// that has none to serve at `now` ([`KeyManager::unavailable`]).
    pub fn key_set(&self, sources: &[usize], now: u64) -> Cow<'_, KeySet> {
        if let [one] = sources {
            if let Some(keys) = self.keys(*one, now) {
                return Cow::Borrowed(keys);
            }
        }
        let markers: Vec<Option<KeySet>> =
            sources.iter().map(|&i| self.unavailable(i, now)).collect();
        let sets: Vec<&KeySet> = sources
            .iter()
            .zip(&markers)
            .filter_map(|(&i, marker)| marker.as_ref().or_else(|| self.keys(i, now)))
            .collect();
        Cow::Owned(keycache::union(&sets).into_owned())
    }

    /// One generation for the keys of `sources` as served at `now` (for the verdict cache).
    pub fn generation_of(&self, sources: &[usize], now: u64) -> u64 {
        keycache::generation::combine(
            sources
                .iter()
                .map(|&i| (self.url(i).unwrap_or_default(), self.generation(i, now))),
        )
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

/// Is a fetch due for this record, and why? Not while another VM holds the lease.
fn due(r: &KeyRecord, now: u64, want_refetch: bool, t: &Timing) -> Option<FetchWhy> {
    if r.leased(now) {
        return None;
    }
    r.slot.due(now, want_refetch, t)
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
    if record.slot.attempts != e.meta.slot.attempts {
        e.epoch += 1;
    }
    let generation = record.slot.generation;
    if generation != e.parsed_generation {
        match parsed {
            Some((parsed, keys)) if parsed == generation => e.keys = keys,
            _ if generation == 0 => e.keys = KeySet::new(),
            _ => {
                e.parses += 1;
                e.keys = match KeySet::parse(&record.body, limits) {
                    Ok(keys) => keys,
                    Err(p) => {
                        events.push(Event::warn(format!(
                            "key set {}: generation {} is unreadable here ({}); serving no keys from it",
                            e.source.url, generation, p.message
                        )));
                        KeySet::new()
                    }
                };
            }
        }
        e.parsed_generation = generation;
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
#[path = "manager_tests.rs"]
mod tests;
