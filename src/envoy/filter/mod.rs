//! The proxy-wasm glue: Envoy callbacks in, host calls out. Built for wasm32-wasip1 with the
//! `envoy` feature. The root context of each VM owns the policy, the key sets and the fetches;
//! each HTTP stream asks it for a decision.

mod host;
mod root;
mod sender;
mod stream;
mod vm;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(proxy_wasm::types::LogLevel::Trace);
    proxy_wasm::set_root_context(|context_id| Box::new(root::Root::new(context_id)));
}}
