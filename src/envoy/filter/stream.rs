//! One HTTP stream: its request headers go to the VM's gate; while it waits for keys, its body
//! and trailers are held back too, so nothing reaches the upstream undecided. When the core
//! must read the body to answer (a form-encoded FHIR `_search`, a batch or transaction Bundle,
//! a call to the policy's introspection endpoint), the headers are held and the body buffered,
//! up to the core's limit, first.

use super::host;
use super::vm::Vm;
use crate::envoy::exchange::{self, Outcome, Reply};
use crate::guard::Request;
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, MapType};
use std::rc::Rc;

pub struct Stream {
    id: u32,
    vm: Option<Rc<Vm>>,
    /// A request whose body the core must read, and how many bytes it reads at most.
    awaiting_body: Option<(Request, usize)>,
}

impl Stream {
    pub fn new(id: u32, vm: Option<Rc<Vm>>) -> Stream {
        Stream {
            id,
            vm,
            awaiting_body: None,
        }
    }

    /// Take the gate's next step for `req` (`body`: all of it, once read) and apply it.
    fn begin(&mut self, vm: &Rc<Vm>, req: Request, body: Option<String>) -> Action {
        let outcome = match vm.begin(self.id, &req, body, host::now_ms()) {
            Err(limit) => {
                // Hold the headers; the answer waits for the body.
                self.awaiting_body = Some((req, limit));
                return Action::Pause;
            }
            Ok(None) => return Action::Pause,
            Ok(Some(outcome)) => outcome,
        };
        host::apply(&outcome, false);
        match outcome {
            Outcome::Forward(up) => {
                if !up.response_headers.is_empty() {
                    vm.response_headers
                        .borrow_mut()
                        .insert(self.id, up.response_headers);
                }
                Action::Continue
            }
            Outcome::Reply(_) => Action::Pause,
        }
    }

    fn waiting(&self) -> bool {
        self.vm
            .as_ref()
            .is_some_and(|vm| vm.waiting.borrow().contains(self.id))
    }
}

impl Context for Stream {}

impl HttpContext for Stream {
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        let Some(vm) = self.vm.clone() else {
            // Unreachable in practice (Envoy creates no stream for a plugin that failed to
            // start); fail closed all the same.
            host::apply(
                &Outcome::Reply(Reply {
                    status: 500,
                    headers: vec![("cache-control".into(), "no-store".into())],
                    body: b"{\"error\":\"the azlens filter is not configured\"}".to_vec(),
                }),
                false,
            );
            return Action::Pause;
        };
        let mut req = exchange::request_from_headers(host::headers(MapType::HttpRequestHeaders));
        super::sender::connection_facts(&mut req);
        // A request that ends with its headers has an empty body.
        self.begin(&vm, req, end_of_stream.then(String::new))
    }

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        if let (Some((req, limit)), Some(vm)) = (self.awaiting_body.take(), self.vm.clone()) {
            if !end_of_stream && body_size <= limit {
                // Pause buffers: Envoy calls again with the whole body so far.
                self.awaiting_body = Some((req, limit));
                return Action::Pause;
            }
            // One byte past the limit is enough for the core to refuse the size. Bytes that
            // are not UTF-8 become U+FFFD, which nothing the core grants contains.
            let bytes = host::request_body(body_size.min(limit.saturating_add(1)));
            let body = String::from_utf8_lossy(&bytes).into_owned();
            return self.begin(&vm, req, Some(body));
        }
        if self.waiting() {
            Action::Pause
        } else {
            Action::Continue
        }
    }

    fn on_http_request_trailers(&mut self, _num_trailers: usize) -> Action {
        // Trailers end the request: the body buffered so far is all of it.
        let buffered = self
            .awaiting_body
            .as_ref()
            .map_or(0, |(_, limit)| limit.saturating_add(1));
        self.on_http_request_body(buffered, true)
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        if let Some(vm) = &self.vm {
            let extra = vm.response_headers.borrow_mut().remove(&self.id);
            if let Some(headers) = extra {
                host::add_response_headers(&headers);
            }
        }
        Action::Continue
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        if let Some(vm) = &self.vm {
            vm.forget(self.id);
        }
    }
}
