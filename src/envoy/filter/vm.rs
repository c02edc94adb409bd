//! The state one VM shares between its root context and its streams (one thread, so `Rc` and
//! `RefCell`). Borrows never span a host call that could call back into the VM.

use super::host::{self, EnvoyStore};
use crate::cache::VerdictCache;
use crate::envoy::audit::AuditQueue;
use crate::envoy::exchange::{self, Outcome};
use crate::envoy::manager::{Event, KeyManager, Refetch};
use crate::envoy::waiting::{WaitFor, Waiter, Waiting};
use crate::gate::{self, Answer, KeyAction, Step, Ticket};
use crate::guard::{Decision, Request};
use crate::keys::KeySet;
use crate::plan::KeySource;
use crate::verify::Verifier;
use proxy_wasm::types::LogLevel;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// Valid verdicts kept per VM, so a repeated token costs one signature check.
pub const VERDICT_CACHE_SIZE: usize = 1024;

/// Tick period while requests wait or a refetch is wanted (ms).
pub const FAST_TICK: u64 = 20;
/// Tick period otherwise: refresh schedules and back-off are in whole seconds.
pub const SLOW_TICK: u64 = 1000;

/// A request waiting for keys: the client's request (its path decides how the answer is
/// forwarded) and the gate's ticket (the parsed token).
pub struct Paused {
    request: Request,
    ticket: Ticket,
}

pub struct Vm {
    pub root_id: u32,
    pub verifier: Verifier,
    pub keys: RefCell<KeyManager>,
    verdicts: RefCell<VerdictCache>,
    pub waiting: RefCell<Waiting<Box<Paused>>>,
    /// Headers for the client's response, per stream (a deprecation notice).
    pub response_headers: RefCell<HashMap<u32, Vec<(String, String)>>>,
    /// Outstanding key-set calls: token → URL.
    pub calls: RefCell<HashMap<u32, String>>,
    fast: Cell<bool>,
    /// AuditEvents for the audit repository (`audit.cluster`), and the token of the POST in flight.
    pub audit: RefCell<AuditQueue>,
    pub audit_call: Cell<Option<u32>>,
}

impl Vm {
    pub fn new(root_id: u32, verifier: Verifier, keys: KeyManager) -> Vm {
        let verifier_audit = verifier.policy().audit.clone();
        Vm {
            root_id,
            verifier,
            keys: RefCell::new(keys),
            verdicts: RefCell::new(VerdictCache::new(VERDICT_CACHE_SIZE)),
            waiting: RefCell::new(Waiting::default()),
            response_headers: RefCell::new(HashMap::new()),
            calls: RefCell::new(HashMap::new()),
            // on_configure starts the timer fast, for the first fetches
            fast: Cell::new(true),
            audit: RefCell::new(AuditQueue::new(&verifier_audit)),
            audit_call: Cell::new(None),
        }
    }

    /// The gate's first step for `req` (`body`: the bytes a `ReadBody` asked for): decided
    /// now (`Ok(Some)`), paused until keys arrive (`Ok(None)`), or `Err(max_bytes)` when the
    /// core must read the body first (at most `max_bytes + 1` bytes of it).
    pub fn begin(
        &self,
        context_id: u32,
        req: &Request,
        body: Option<String>,
        now: u64,
    ) -> Result<Option<Outcome>, usize> {
        let step = gate::begin(&self.verifier, &self.verdicts.borrow(), req.clone(), body);
        match step {
            Step::ReadBody { max_bytes } => Err(max_bytes),
            Step::Reply(answer) => Ok(Some(self.finish(&answer, req))),
            Step::Fetch(ticket) => {
                let paused = Box::new(Paused {
                    request: req.clone(),
                    ticket,
                });
                Ok(self.resolve(context_id, paused, now, true))
            }
        }
    }

    /// Finish a request waiting for keys now, or pause it (`None`) until they arrive. `first`:
    /// it has not waited yet (a request that waited is decided with whatever there is).
    fn resolve(
        &self,
        context_id: u32,
        paused: Box<Paused>,
        now: u64,
        first: bool,
    ) -> Option<Outcome> {
        let plan = paused.ticket.plan();
        let mut sources: Vec<usize> = Vec::new();
        if plan.errors.is_empty() {
            let keys = self.keys.borrow();
            for s in &plan.sources {
                if let KeySource::JwksUri { url }
                | KeySource::Jku { url }
                | KeySource::Crl { url } = s
                {
                    if let Some(i) = keys.index(url) {
                        if !sources.contains(&i) {
                            sources.push(i);
                        }
                    }
                }
            }
        }
        let wait = first && !sources.is_empty() && self.keys.borrow().timing().max_wait > 0;
        if wait && !self.all_usable(&sources, now) {
            // The root syncs on its tick; a peer VM may have fetched since.
            self.sync(&sources);
            if !self.all_usable(&sources, now) {
                return match self.pause(context_id, paused, &sources, WaitFor::Keys, now) {
                    Ok(()) => None,
                    Err(p) => {
                        let outcome = self.decide(&p.ticket, &sources, now);
                        Some(self.finish(&outcome.answer, &p.request))
                    }
                };
            }
        }
        let mut outcome = self.decide(&paused.ticket, &sources, now);
        // A peer VM may already have refetched: try its keys before asking for more.
        if wait && outcome.keys != KeyAction::Keep && self.sync(&sources) {
            outcome = self.decide(&paused.ticket, &sources, now);
        }
        if wait && outcome.keys != KeyAction::Keep {
            let answers: Vec<Refetch> = {
                let mut keys = self.keys.borrow_mut();
                // Every source is asked (no short-circuit): each may need its own refetch.
                sources
                    .iter()
                    .map(|&i| keys.request_refetch(&EnvoyStore, i, now))
                    .collect()
            };
            if answers.contains(&Refetch::Pending) {
                return match self.pause(context_id, paused, &sources, WaitFor::Refetch, now) {
                    Ok(()) => None,
                    Err(p) => Some(self.finish(&outcome.answer, &p.request)),
                };
            }
            if answers.contains(&Refetch::Newer) {
                // A peer's refetch landed since: decide with the keys it brought.
                outcome = self.decide(&paused.ticket, &sources, now);
            }
        }
        Some(self.finish(&outcome.answer, &paused.request))
    }

    fn all_usable(&self, sources: &[usize], now: u64) -> bool {
        let keys = self.keys.borrow();
        sources.iter().all(|&i| keys.usable(i, now))
    }

    /// Re-read the shared records of `sources`; true when a key set changed.
    fn sync(&self, sources: &[usize]) -> bool {
        let (changed, events) = {
            let mut keys = self.keys.borrow_mut();
            let before: Vec<Option<u64>> = sources
                .iter()
                .map(|&i| keys.record(i).map(|r| r.slot.generation))
                .collect();
            let events: Vec<Event> = sources
                .iter()
                .flat_map(|&i| keys.sync(&EnvoyStore, i))
                .collect();
            let after: Vec<Option<u64>> = sources
                .iter()
                .map(|&i| keys.record(i).map(|r| r.slot.generation))
                .collect();
            (before != after, events)
        };
        log_events(&events);
        changed
    }

    /// The gate's outcome with the keys this VM holds for `sources` (a source without keys
    /// counts as unavailable, so the token is told why).
    fn decide(&self, ticket: &Ticket, sources: &[usize], now: u64) -> gate::Outcome {
        let keys = self.keys.borrow();
        let missing: Vec<KeySet> = sources
            .iter()
            .filter_map(|&i| keys.unavailable(i, now))
            .collect();
        let sets: Vec<&KeySet> = sources
            .iter()
            .filter_map(|&i| keys.keys(i, now))
            .chain(&missing)
            .collect();
        // One number for the key sets in play: a cached verdict is reused only while every
        // one of them is the same generation and still served.
        let generation = keys.generation_of(sources, now);
        let now_secs = i64::try_from(now / 1000).unwrap_or(i64::MAX);
        gate::finish(
            &self.verifier,
            &mut self.verdicts.borrow_mut(),
            ticket,
            &sets,
            generation,
            now_secs,
        )
    }

    fn pause(
        &self,
        context_id: u32,
        paused: Box<Paused>,
        sources: &[usize],
        wait_for: WaitFor,
        now: u64,
    ) -> Result<(), Box<Paused>> {
        let (deadline, marks) = {
            let keys = self.keys.borrow();
            let marks = sources.iter().map(|&i| (i, keys.epoch(i))).collect();
            (now.saturating_add(keys.timing().max_wait), marks)
        };
        let pushed = self.waiting.borrow_mut().push(Waiter {
            context_id,
            deadline,
            wait_for,
            sources: marks,
            request: paused,
        });
        match pushed {
            Ok(()) => {
                self.tick_fast(true);
                Ok(())
            }
            Err(w) => Err(w.request),
        }
    }

    /// Log the answer and turn it into Envoy operations.
    fn finish(&self, answer: &Answer, req: &Request) -> Outcome {
        let decision = answer.decision();
        // Allowed requests are logged at debug, usually off: not worth a line nobody reads.
        // Refusals and introspection calls (answered here) at info.
        let level = if decision.is_some_and(|d| d.allow) {
            LogLevel::Debug
        } else {
            LogLevel::Info
        };
        // One host call for the level, for both the decision's line and the audit record's.
        let current = host::log_level();
        let info = host::logs_at_level(current, LogLevel::Info);
        let counters = decision.and_then(|d| self.audit(d, info));
        // Allowed requests are logged at debug, usually off: not worth a line nobody reads.
        if host::logs_at_level(current, level) {
            let mut line = serde_json::to_value(answer.log()).unwrap_or_default();
            if let (Some(c), Some(m)) = (counters, line.as_object_mut()) {
                m.insert("audit".into(), serde_json::to_value(c).unwrap_or_default());
            }
            host::log(level, &format!("decision {line}"));
        }
        exchange::outcome(answer, req)
    }

    /// The core's AuditEvent of `decision`, recorded now: logged (`audit.log`, at info) and
    /// queued for the audit repository when `audit.cluster` names one. The counters then.
    fn audit(&self, decision: &Decision, info: bool) -> Option<crate::envoy::audit::Counters> {
        let settings = &self.verifier.policy().audit;
        // Built only when someone takes it: a log at info, or the audit cluster.
        let log = settings.log && info;
        if !log && settings.cluster.is_none() {
            return None;
        }
        let now = i64::try_from(host::now_ms() / 1000).unwrap_or(i64::MAX);
        let event = crate::audit::balp::event(&decision.audit, settings, now).to_string();
        if log {
            host::info(&format!("audit_event {event}"));
        }
        settings.cluster.as_ref()?;
        let mut queue = self.audit.borrow_mut();
        queue.push(event);
        Some(queue.counters())
    }

    /// Root only: POST the next batch of AuditEvents, unless one is in flight.
    pub fn send_audit(&self) {
        let settings = &self.verifier.policy().audit;
        let Some(cluster) = settings.cluster.as_deref() else {
            return;
        };
        let Some(body) = self.audit.borrow_mut().next_bundle() else {
            return;
        };
        match host::dispatch_post(cluster, &settings.cluster_path, &body, 5000) {
            Ok(token) => self.audit_call.set(Some(token)),
            Err(status) => {
                let mut queue = self.audit.borrow_mut();
                queue.answered(0, b"");
                host::warn(&format!(
                    "audit repository: Envoy refused the call through cluster \"{cluster}\" ({status:?}); is the cluster defined? {}",
                    serde_json::to_string(&queue.counters()).unwrap_or_default()
                ));
            }
        }
    }

    /// Root only: the audit repository answered the POST `token` (status 0: no answer).
    pub fn audit_answered(&self, token: u32, status: u16, body: &[u8]) -> bool {
        if self.audit_call.get() != Some(token) {
            return false;
        }
        self.audit_call.set(None);
        let mut queue = self.audit.borrow_mut();
        queue.answered(status, body);
        if !(200..300).contains(&status) {
            host::warn(&format!(
                "audit repository unavailable (status {status}): {}",
                serde_json::to_string(&queue.counters()).unwrap_or_default()
            ));
        }
        true
    }

    /// Root only: decide the paused requests that can be decided now, on their own streams.
    pub fn settle(&self, now: u64) {
        let done = {
            let keys = self.keys.borrow();
            self.waiting.borrow_mut().take_settled(&keys, now)
        };
        for w in done {
            let Some(outcome) = self.resolve(w.context_id, w.request, now, false) else {
                continue;
            };
            // A stream that ended meanwhile is gone from the host: nothing to apply.
            if !host::switch_to(w.context_id) {
                continue;
            }
            if let Outcome::Forward(up) = &outcome {
                if !up.response_headers.is_empty() {
                    self.response_headers
                        .borrow_mut()
                        .insert(w.context_id, up.response_headers.clone());
                }
            }
            host::apply(&outcome, true);
        }
        host::switch_to(self.root_id);
    }

    /// Choose the tick period: fast while requests wait or a refetch is wanted.
    pub fn tick_fast(&self, fast: bool) {
        if fast != self.fast.get() {
            self.fast.set(fast);
            host::set_tick_period(if fast { FAST_TICK } else { SLOW_TICK });
        }
    }

    pub fn forget(&self, context_id: u32) {
        if let Ok(mut w) = self.waiting.try_borrow_mut() {
            w.remove(context_id);
        }
        if let Ok(mut r) = self.response_headers.try_borrow_mut() {
            r.remove(&context_id);
        }
    }
}

pub fn log_events(events: &[Event]) {
    for e in events {
        if e.warn {
            host::warn(&e.message);
        } else {
            host::info(&e.message);
        }
    }
}
