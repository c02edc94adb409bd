//! One HTTP stream: its request headers go to the VM for a decision; while it waits for keys,
//! its body and trailers are held back too, so nothing reaches the upstream undecided.

use super::host;
use super::vm::Vm;
use crate::envoy::exchange::{self, Outcome, Reply};
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, MapType};
use std::rc::Rc;

pub struct Stream {
    id: u32,
    vm: Option<Rc<Vm>>,
}

impl Stream {
    pub fn new(id: u32, vm: Option<Rc<Vm>>) -> Stream {
        Stream { id, vm }
    }

    fn waiting(&self) -> bool {
        self.vm
            .as_ref()
            .is_some_and(|vm| vm.waiting.borrow().contains(self.id))
    }
}

impl Context for Stream {}

impl HttpContext for Stream {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
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
        let req = exchange::request_from_headers(host::headers(MapType::HttpRequestHeaders));
        let now = host::now_ms();
        match vm.decide_or_wait(self.id, req, now, true) {
            None => Action::Pause,
            Some(outcome) => {
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
        }
    }

    fn on_http_request_body(&mut self, _body_size: usize, _end_of_stream: bool) -> Action {
        if self.waiting() {
            Action::Pause
        } else {
            Action::Continue
        }
    }

    fn on_http_request_trailers(&mut self, _num_trailers: usize) -> Action {
        if self.waiting() {
            Action::Pause
        } else {
            Action::Continue
        }
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
