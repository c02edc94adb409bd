//! The root context of a VM: reads the policy at start, runs the key-set fetches on its timer,
//! and decides paused requests when their keys arrive.

use super::host::{self, EnvoyStore};
use super::stream::Stream;
use super::vm::{self, Vm, FAST_TICK};
use crate::envoy::manager::KeyManager;
use crate::envoy::replay::SharedReplay;
use crate::envoy::sources;
use crate::keycache::{Completion, Timing};
use crate::verify::Verifier;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{ContextType, MapType};
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::rc::Rc;

pub struct Root {
    id: u32,
    vm: Option<Rc<Vm>>,
}

impl Root {
    pub fn new(id: u32) -> Root {
        Root { id, vm: None }
    }

    fn configure(&self, config: Option<Vec<u8>>) -> Result<Vm, String> {
        let bytes = config.ok_or(
            "the plugin configuration is empty: pass the policy JSON as the filter's \
             `configuration` (a google.protobuf.StringValue)",
        )?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| "the plugin configuration is not UTF-8 text".to_owned())?;
        let mut verifier = Verifier::from_json(text).map_err(|e| e.to_string())?;
        // DPoP proofs used in any VM of the process are replays in every other.
        let entries = verifier.policy().token.dpop_replay_entries;
        verifier.set_replay_store(Box::new(SharedReplay::new(EnvoyStore, entries)));
        let policy = verifier.policy();
        let urls = sources::sources(policy).map_err(|e| format!("invalid policy: {e}"))?;
        let timing = Timing::new(&policy.key_cache, &policy.envoy);
        // A name unique to this VM for fetch leases; the hasher seed comes from the host's
        // random source.
        let holder = format!("{:016x}-{}", RandomState::new().hash_one(self.id), self.id);
        let summary = format!(
            "configured: {} issuer(s), {} key-set URL(s){}, {} route(s)",
            policy.issuers.len(),
            urls.len(),
            if urls.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    urls.iter()
                        .map(|s| format!("{} via cluster {}", s.url, s.cluster))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            policy.routes.len()
        );
        let mut keys = KeyManager::new(urls, timing, policy.limits.clone(), holder);
        keys.init(&EnvoyStore);
        host::info(&summary);
        Ok(Vm::new(self.id, verifier, keys))
    }

    fn fetch_due(&self, vm: &Vm, now: u64) {
        let (orders, events) = {
            let mut keys = vm.keys.borrow_mut();
            let mut events = keys.sync_all(&EnvoyStore);
            let (orders, more) = keys.poll(&EnvoyStore, now);
            events.extend(more);
            (orders, events)
        };
        vm::log_events(&events);
        for order in orders {
            host::info(&format!(
                "key set {}: fetching through cluster {} ({})",
                order.url,
                order.cluster,
                order.why.as_str()
            ));
            match host::dispatch(&order.cluster, &order.headers, order.timeout_ms) {
                Ok(token) => {
                    vm.calls.borrow_mut().insert(token, order.url);
                }
                Err(status) => {
                    let why = format!(
                        "Envoy refused the call through cluster \"{}\" ({status:?}); is the \
                         cluster defined?",
                        order.cluster
                    );
                    let events = vm.keys.borrow_mut().complete(
                        &EnvoyStore,
                        &order.url,
                        Completion::Failed(why),
                        now,
                    );
                    vm::log_events(&events);
                }
            }
        }
    }
}

impl Context for Root {
    fn on_done(&mut self) -> bool {
        if let Some(vm) = &self.vm {
            vm.keys.borrow_mut().release(&EnvoyStore);
        }
        true
    }

    fn on_http_call_response(
        &mut self,
        token_id: u32,
        num_headers: usize,
        body_size: usize,
        _num_trailers: usize,
    ) {
        let Some(vm) = self.vm.clone() else { return };
        if vm.audit_call.get() == Some(token_id) {
            let status = if num_headers == 0 {
                0
            } else {
                host::header(MapType::HttpCallResponseHeaders, ":status")
                    .and_then(|s| s.parse::<u16>().ok())
                    .unwrap_or(0)
            };
            let body = host::call_response_body(body_size.min(1 << 20));
            vm.audit_answered(token_id, status, &body);
            return;
        }
        let Some(url) = vm.calls.borrow_mut().remove(&token_id) else {
            return;
        };
        let limit = vm.verifier.policy().limits.max_key_set_bytes;
        let result = if num_headers == 0 {
            Completion::Failed(
                "no response: the connection failed or was reset, or the body passed Envoy's \
                 runtime limit http.async_response_buffer_limit"
                    .into(),
            )
        } else if body_size > limit {
            Completion::Failed(format!(
                "the response is {body_size} bytes; limits.max_key_set_bytes is {limit}"
            ))
        } else {
            let status = host::header(MapType::HttpCallResponseHeaders, ":status")
                .and_then(|s| s.parse::<u16>().ok())
                .unwrap_or(0);
            let headers = host::headers(MapType::HttpCallResponseHeaders)
                .into_iter()
                .map(|(n, v)| (n, String::from_utf8_lossy(&v).into_owned()))
                .collect();
            Completion::Response {
                status,
                headers,
                body: host::call_response_body(body_size),
            }
        };
        let now = host::now_ms();
        let events = vm
            .keys
            .borrow_mut()
            .complete(&EnvoyStore, &url, result, now);
        vm::log_events(&events);
        vm.settle(now);
    }
}

impl RootContext for Root {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        match self.configure(self.get_plugin_configuration()) {
            Ok(vm) => {
                self.vm = Some(Rc::new(vm));
                // The first tick takes the leases of the first fetches.
                host::set_tick_period(FAST_TICK);
                true
            }
            Err(why) => {
                host::log(
                    proxy_wasm::types::LogLevel::Critical,
                    &format!("invalid plugin configuration, the filter will not start: {why}"),
                );
                false
            }
        }
    }

    fn on_tick(&mut self) {
        let Some(vm) = self.vm.clone() else { return };
        let now = host::now_ms();
        self.fetch_due(&vm, now);
        vm.settle(now);
        vm.send_audit();
        let fast = !vm.waiting.borrow().is_empty() || vm.keys.borrow().wants_refetch();
        vm.tick_fast(fast);
    }

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Stream::new(context_id, self.vm.clone())))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}
