// The edge worker's guard, whatever loads the WebAssembly (js/worker.js in workerd,
// js/worker-node.js in Node and browsers). The edge worker: a guard in front of an upstream API, configured by the same policy document
// as every other azlens host. This file only moves bytes: it describes each request to the core
// (`Gate`, src/wasm/worker.rs), fetches the key sets the core names (js/keys.js, persisted through
// the Cache API by js/worker-store.js), and applies the core's decision as it stands — status,
// challenge, body, headers removed and set, the upstream query — or forwards the request.
//
//   import { guard } from 'azlens/worker';
//   export default guard({ policy, upstream: 'https://fhir.internal.example' });
//
// The default export reads both from the worker's bindings: `AZLENS_POLICY` (the policy as a
// JSON object or text) and `UPSTREAM` (a base URL, or a service binding). Any string in the
// policy that reads `env:NAME` is replaced by the binding `NAME` (a secret, for introspection
// client secrets) before the core sees it.

// The gate build (js/pkg-gate/: the core without the inspection report), wherever the worker runs.
import * as gateBuild from './pkg-gate/azlens.js';
import { useBuild } from './engine.js';
import { RemoteKeys } from './keys.js';
import { workerStore } from './worker-store.js';
import { oversizedRequest, readCapped } from './request.js';
import { drive, GateKeys } from './gate.js';
import { senderFacts } from './worker-sender.js';
import { AuditTrail } from './worker-audit.js';

/** The configuration is unusable; the message names what to fix and never holds a secret. */
export class ConfigError extends Error {
  constructor(message) {
    super(`azlens worker: ${message}`);
    this.name = 'ConfigError';
  }
}

const { Gate, KeySet } = gateBuild;
export { gateBuild };

let wasmReady = false;
let wasmModule = null;
/** The gate build's module the guard instantiates (workerd: `import wasm from './pkg-gate/azlens_bg.wasm'`). */
export function useWasmModule(module) {
  wasmModule = module;
}
function loadWasm() {
  if (!wasmReady) {
    // Elsewhere worker-node.js has instantiated the gate build already.
    if (wasmModule !== null) {
      gateBuild.initSync({ module: wasmModule });
      useBuild(gateBuild);
    }
    wasmReady = true;
  }
}

/**
 * A worker (`{ fetch }`) guarding `upstream` with `policy`.
 * @param {{ policy?: object|string, upstream?: string|{fetch: Function},
 *           cacheCapacity?: number, store?: object, log?: (line: string) => void }} [options]
 *   `policy` and `upstream` default to the bindings `AZLENS_POLICY` and `UPSTREAM`; `store`
 *   (js/store.js interface) defaults to the Cache API; `log` receives one JSON line per request.
 */
export function guard(options = {}) {
  const log = options.log ?? ((line) => console.log(line));
  let state = null;
  let failure = null;
  return {
    async fetch(request, env, ctx) {
      if (state === null && failure === null) {
        try {
          state = setUp(options, env ?? {}, log);
        } catch (e) {
          failure = e instanceof ConfigError ? e.message : `azlens worker: ${e?.message ?? e}`;
        }
      }
      if (failure !== null) {
        log(JSON.stringify({ decision: 'error', status: 500, reason: failure }));
        return json(500, { error: 'server_error', error_description: 'The gate is not configured; see the worker log.' });
      }
      try {
        return await handle(state, request, log, ctx);
      } catch (e) {
        // A bug or a broken upstream never lets a request through.
        log(JSON.stringify({ decision: 'error', status: 500, method: request.method, reason: String(e?.message ?? e) }));
        return json(500, { error: 'server_error', error_description: 'The gate failed to decide this request.' });
      }
    },
  };
}


/** The per-isolate state: the gate, the remote key cache, the upstream. */
function setUp(options, env, log) {
  loadWasm();
  const policyText = policyFrom(options.policy ?? env.AZLENS_POLICY, env);
  const upstream = upstreamFrom(options.upstream ?? env.UPSTREAM);
  let gate;
  try {
    gate = new Gate(policyText, options.cacheCapacity ?? 1000);
  } catch (e) {
    throw new ConfigError(String(e?.message ?? e));
  }
  const settings = JSON.parse(gate.hostSettings());
  const remote = new RemoteKeys({
    settings: settings.key_cache,
    maxBytes: settings.max_key_set_bytes,
    parseKeys: (bytes) => gate.parseKeys(bytes),
    readDiscovery: (issuer, url, bytes) => gate.readDiscovery(issuer, url, bytes),
    unavailable: (url, why) => KeySet.unavailable(url, why),
    store: options.store ?? workerStore(),
  });
  return {
    gate, upstream, keys: new GateKeys(remote, new KeySet(), settings.key_cache.max_wait_ms),
    maxRequestBytes: settings.max_request_bytes,
    audit: new AuditTrail(settings.audit, log),
  };
}

/** The policy as JSON text, `env:NAME` references replaced. */
export function policyFrom(policy, env) {
  if (policy === undefined || policy === null || policy === '') {
    throw new ConfigError('no policy: pass `policy` to guard() or set the AZLENS_POLICY variable.');
  }
  let doc = policy;
  if (typeof policy === 'string') {
    try {
      doc = JSON.parse(policy);
    } catch (e) {
      throw new ConfigError(`the policy is not JSON (${e.message}).`);
    }
  }
  return JSON.stringify(resolveEnv(doc, env, 'policy'));
}

const ENV_REF = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;

function resolveEnv(value, env, where) {
  if (typeof value === 'string') {
    const m = ENV_REF.exec(value);
    if (!m) return value;
    const v = env[m[1]];
    if (typeof v !== 'string' || v === '') {
      throw new ConfigError(`${where} refers to env:${m[1]}, but the worker has no secret or text variable ${m[1]}.`);
    }
    return v;
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnv(v, env, `${where}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveEnv(v, env, `${where}.${k}`);
    return out;
  }
  return value;
}

function upstreamFrom(upstream) {
  if (upstream !== null && typeof upstream === 'object' && typeof upstream.fetch === 'function') {
    return { binding: upstream };
  }
  if (typeof upstream !== 'string' || upstream === '') {
    throw new ConfigError('no upstream: pass `upstream` to guard() or set UPSTREAM to a base URL or a service binding.');
  }
  let base;
  try {
    base = new URL(upstream);
  } catch {
    throw new ConfigError(`the upstream "${upstream}" is not a URL.`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new ConfigError(`the upstream "${upstream}" is not an http(s) URL.`);
  }
  if (base.search || base.hash) {
    throw new ConfigError(`the upstream "${upstream}" has a query or fragment; give a base URL.`);
  }
  return { base };
}

async function handle(state, request, log, ctx) {
  const { gate } = state;
  const url = new URL(request.url);
  const described = {
    method: request.method,
    path: url.pathname,
    query: url.search.slice(1),
    headers: [...request.headers],
    ...senderFacts(request, url),
  };
  const reqJson = JSON.stringify(described);
  // Over the bound, decided from its length: the description is never copied into wasm.
  const oversized = oversizedRequest(reqJson, state.maxRequestBytes, (m, p, n) => gate.decideOversized(m, p, n));
  if (oversized) {
    log(logLine(oversized.log, [], audited(state, oversized, ctx)));
    return refusal(oversized);
  }
  // One protocol for every request (js/gate.js): answered now, a body to read (a form
  // _search, a Bundle, an introspection call: exactly those bytes go upstream), or keys to fetch.
  const { answer, warnings, body } = await drive(gate, state.keys, reqJson, {
    readBody: (max) => readCapped(request.body, max + 1),
    now: () => Date.now() / 1000,
  });
  if (answer.introspection) {
    log(logLine(answer.introspection.log, warnings));
    return reply(answer.introspection);
  }
  const { decision } = answer;
  log(logLine(decision.log, warnings, audited(state, decision, ctx)));
  if (!decision.allow) return refusal(decision);
  return forward(state.upstream, request, url, decision, body);
}

/**
 * The request to the upstream: the core's headers removed and set, and its canonical path and
 * query (`upstream_path`), which is what was decided — never the client's spelling of it. A body
 * the guard read is forwarded as the bytes it read.
 */
async function forward(upstream, request, url, decision, body) {
  const headers = new Headers(request.headers);
  headers.delete('host');
  for (const name of decision.remove_headers) headers.delete(name);
  for (const [name, value] of decision.set_headers) headers.set(name, value);
  const decided = decision.upstream_path ?? url.pathname + url.search;
  const at = decided.indexOf('?');
  const path = at < 0 ? decided : decided.slice(0, at);
  const query = at < 0 ? '' : decided.slice(at + 1);
  let target;
  if (upstream.binding) {
    target = new URL(url.origin);
  } else {
    target = new URL(upstream.base);
  }
  // The canonical path holds only characters a URL path keeps as they are, so assigning it
  // does not re-spell it.
  target.pathname = (upstream.binding ? '' : upstream.base.pathname.replace(/\/+$/, '')) + path;
  target.search = query ? `?${query}` : '';
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  const outgoing = new Request(target, {
    method: request.method,
    headers,
    body: body ?? (hasBody ? request.body : null),
    redirect: 'manual',
  });
  let response;
  try {
    response = await (upstream.binding ? upstream.binding.fetch(outgoing) : fetch(outgoing));
  } catch {
    return json(502, { error: 'bad_gateway', error_description: 'The upstream could not be reached.' });
  }
  if (decision.response_headers.length === 0) return response;
  const out = new Response(response.body, response);
  for (const [name, value] of decision.response_headers) out.headers.set(name, value);
  return out;
}

/** A refusal exactly as the core decided it. */
function refusal(decision) {
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' });
  if (decision.www_authenticate) headers.set('www-authenticate', decision.www_authenticate);
  for (const [name, value] of decision.response_headers) headers.set(name, value);
  return new Response(decision.body ?? '', { status: decision.status, headers });
}

/** An introspection endpoint reply as the core wrote it. */
function reply(r) {
  return new Response(r.body, { status: r.status, headers: r.headers });
}

function json(status, body) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

/** The core's log line, plus what the key cache saw (stale or unavailable key sets) and the audit counters. */
function logLine(line, warnings, extra = {}) {
  if (warnings.length === 0) return JSON.stringify({ ...line, ...extra });
  return JSON.stringify({ ...line, ...extra, key_warnings: warnings.map((w) => w.message) });
}

/** The core's AuditEvent of `decision`, recorded now; the audit counters for the log line. */
function audited(state, decision, ctx) {
  const { gate, audit } = state;
  // Built only when someone takes it (audit.log or audit.repository): it costs more than the
  // rest of a cached decision.
  if (!audit.wanted) return {};
  audit.record(gate.auditEvent(JSON.stringify(decision.audit), Date.now() / 1000), ctx);
  return audit.repository === null ? {} : { audit: audit.state() };
}
