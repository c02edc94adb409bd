// azlens for JavaScript: the Rust core as WebAssembly, the same API in Node (≥ 20.16), browsers
// and workerd. This file translates options and moves bytes; every decision about a token is
// the core's.
//
//   await init();
//   const result = await verify(token, { keys, algorithms: ['RS256'], issuer, audience });

import * as full from './pkg/azlens.js';
import {
  Verifier as CoreVerifier, Gate as CoreGate, KeySet as CoreKeySet, errorCodes as coreErrorCodes, version as coreVersion,
  policySchema as corePolicySchema,
  iuaRulesAlone as coreIuaRulesAlone,
  inspect as coreInspect, inspectWithKeys as coreInspectWithKeys, parseKeys as coreParseKeys,
  inspectOversized as coreInspectOversized, inspectBound as coreInspectBound,
} from './pkg/azlens.js';
import { instantiate } from './engine.js';
import { policyFrom, nowFrom, keySetFrom, OptionsError, JS_ONLY_OPTIONS, inCallerNames } from './options.js';
import { RemoteKeys, defaultStore, WARNINGS } from './keys.js';
import { bodyOf, requestJson, utf8Length, oversizedRequest } from './request.js';
import { drive, GateKeys } from './gate.js';

export { OptionsError, WARNINGS };
export { MemoryStore, cacheApiStore } from './store.js';
export { introspect } from './introspection.js';

let ready = null;

/**
 * Load the WebAssembly module (the full build, js/pkg/: verification and the inspection report);
 * idempotent (later calls return the first call's promise).
 * With no argument, Node reads `pkg/azlens_bg.wasm` from disk and a browser fetches it.
 * workerd (and anything else) may pass a `WebAssembly.Module`, the bytes, a URL or a Response.
 */
export function init(source) {
  ready ??= load(source).catch((e) => {
    ready = null;
    throw e;
  });
  return ready;
}

function load(source) {
  return instantiate(full, () => new URL('./pkg/azlens_bg.wasm', import.meta.url), source);
}

let initialised = false;
function core() {
  if (!initialised) {
    try {
      coreVersion();
      initialised = true;
    } catch {
      throw new Error('azlens: call `await init()` before verifying or inspecting tokens.');
    }
  }
}

/** The stable error codes of the core, in documentation order. */
export function errorCodes() {
  core();
  return JSON.parse(coreErrorCodes());
}

/** The policy's vocabulary from the core: members with types, defaults and bounds, algorithms, profiles, limits. */
export function policySchema() {
  core();
  return JSON.parse(corePolicySchema());
}

/**
 * A route's IUA rules (`routes[].iua`) split into each rule alone: `[[name, rules], …]`, names as
 * in the policy (`purpose_of_use`, `subject_role`, `organization`, `consent`). Throws an
 * `OptionsError` when `iua` is not a rules object.
 */
export function iuaRulesAlone(iua) {
  core();
  try {
    return JSON.parse(coreIuaRulesAlone(JSON.stringify(iua)));
  } catch (e) {
    throw new OptionsError(String(e?.message ?? e));
  }
}

/** The core's version. */
export function version() {
  core();
  return coreVersion();
}

/**
 * A verifier for one set of options, reused across tokens: the policy is checked and its inline
 * keys parsed once; remote key sets are cached per URL. Throws OptionsError on bad options.
 */
export class TokenVerifier {
  #core;
  #policyText;
  #gate = null;
  #gateKeys;
  #remote;
  #noKeys;
  #maxTokenBytes;
  #maxInspectBytes;
  #maxRequestBytes;
  /** False when the policy names no remote key source: verify() then needs no key plan. */
  #fetchesKeys;
  /** Calls under way, and whether `free()` was asked for while they ran. */
  #busy = 0;
  #retired = false;

  constructor(options) {
    core();
    const policy = policyFrom(options);
    this.#policyText = JSON.stringify(policy);
    try {
      this.#core = new CoreVerifier(this.#policyText);
    } catch (e) {
      throw new OptionsError(inCallerNames(String(e?.message ?? e)));
    }
    const settings = JSON.parse(this.#core.hostSettings());
    const store = options.keyStore ?? defaultStore;
    for (const m of ['get', 'set', 'delete']) {
      if (typeof store?.[m] !== 'function') throw new OptionsError(`\`keyStore\` must have async get, set and delete methods (no ${m}).`);
    }
    const verifier = this.#core;
    this.#remote = new RemoteKeys({
      settings: settings.key_cache,
      maxBytes: settings.max_key_set_bytes,
      parseKeys: (bytes) => verifier.parseKeys(bytes),
      readDiscovery: (issuer, url, bytes) => verifier.readDiscovery(issuer, url, bytes),
      unavailable: (url, why) => CoreKeySet.unavailable(url, why),
      store,
    });
    this.#noKeys = new CoreKeySet();
    this.#maxTokenBytes = settings.max_token_bytes;
    this.#maxInspectBytes = settings.max_inspect_bytes;
    this.#maxRequestBytes = settings.max_request_bytes;
    this.#fetchesKeys = settings.fetches_keys;
    this.#gateKeys = new GateKeys(this.#remote, this.#noKeys, settings.key_cache.max_wait_ms);
  }

  /**
   * Give back the WebAssembly memory this verifier holds (its policy, inline keys and the key
   * sets it fetched). Calls under way finish first; the verifier must not be used afterwards.
   */
  free() {
    this.#retired = true;
    if (this.#busy === 0) this.#release();
  }

  #release() {
    if (this.#core === null) return;
    this.#remote.dispose();
    this.#noKeys.free();
    this.#gate?.free();
    this.#core.free();
    this.#core = null;
  }

  /** Run `work` counted as a call under way, so `free()` waits for it. */
  async #running(work) {
    if (this.#core === null) throw new Error('azlens: this verifier was freed.');
    this.#busy += 1;
    try {
      return await work();
    } finally {
      this.#busy -= 1;
      if (this.#retired && this.#busy === 0) this.#release();
    }
  }

  /**
   * Verify `token` at `now` (seconds since the epoch; default: the clock). Never throws on the
   * token; throws OptionsError on a bad `now`.
   * @returns {Promise<{valid: boolean, header: object|null, payload: object|null,
   *   errors: Array<{code: string, message: string, claim?: string}>,
   *   warnings: Array<{code: string, message: string, claim?: string}>,
   *   key?: {kid?: string, kty: string, alg: string}, profile?: string, context?: object}>}
   */
  async verify(token, { now } = {}) {
    const at = nowFrom({ now });
    const text = typeof token === 'string' ? token : '';
    return this.#running(() => this.#verify(text, at));
  }

  async #verify(text, at) {
    // A token over the limit is refused by the core from its length alone: it is never copied
    // into WebAssembly memory. (UTF-8 is never shorter than UTF-16 code units.)
    if (text.length > this.#maxTokenBytes) {
      const refused = this.#core.verifyOversized(utf8Length(text));
      if (refused) return { ...JSON.parse(refused), header: null, payload: null };
    }
    // `{answer: verdict, keys}`: the core says when the key cache must refetch (js/gate.js).
    const check = (keys) => JSON.parse(this.#core.verify(text, keys, at));
    // With inline keys only, every plan is empty: the core verifies with them directly.
    const plan = this.#fetchesKeys ? JSON.parse(this.#core.keyPlan(text)) : null;
    const { answer: result, warnings } = plan === null || plan.errors.length > 0 || plan.sources.length === 0
      ? { answer: check(this.#noKeys).answer, warnings: [] }
      : await this.#gateKeys.finishWith(plan.sources, check);
    // The core's verdict as it is (profile, context, key…), with header and payload always present.
    result.warnings.push(...warnings);
    return { ...result, header: result.header ?? null, payload: result.payload ?? null };
  }

  /**
   * The decision on an HTTP request (a Fetch API `Request`, or `{ method, path, query, headers }`)
   * under the policy's token sources, routes and forwarding rules: `{ allow, status,
   * www_authenticate?, body?, set_headers, remove_headers, response_headers, upstream_path?,
   * log, break_glass?, audit, audit_event, warnings }` (`audit_event`: the IHE BALP FHIR R4
   * AuditEvent of the decision, recorded at `now`). Never throws on what the client sent. `fetchKeys: false` decides with the
   * policy's inline keys only, fetching nothing (the inspector page's request tester).
   */
  async decide(request, { now, fetchKeys = true, clientCertSha256 } = {}) {
    const at = nowFrom({ now });
    if (clientCertSha256 !== undefined && typeof clientCertSha256 !== 'string') {
      throw new OptionsError('clientCertSha256 must be the client certificate\'s SHA-256 thumbprint (hex or base64url).');
    }
    return this.#running(() => this.#decide(request, at, fetchKeys, clientCertSha256));
  }

  async #decide(request, at, fetchKeys, cert) {
    const d = await this.#decision(request, at, fetchKeys, cert);
    if (d.audit === undefined) return d;
    return { ...d, audit_event: JSON.parse(this.#core.auditEvent(JSON.stringify(d.audit), at)) };
  }

  async #decision(request, at, fetchKeys, cert) {
    const req = requestJson(request, cert);
    // Over the bound, decided from its length: the description is never copied into wasm.
    const refused = oversizedRequest(req, this.#maxRequestBytes, (m, p, n) => this.#core.decideOversized(m, p, n));
    if (refused) return { ...refused, warnings: [] };
    // The core's one gate protocol (js/gate.js), made the first time a request is decided.
    this.#gate ??= new CoreGate(this.#policyText, GATE_CACHE_ENTRIES);
    const { answer, warnings } = await drive(this.#gate, this.#gateKeys, req, {
      readBody: (max) => bodyOf(request, max),
      now: () => at,
      fetchKeys,
    });
    if (answer.decision) return { ...answer.decision, warnings };
    // The policy's introspection endpoint, answered here as the core wrote it.
    const { headers, ...reply } = answer.introspection;
    return { allow: false, ...reply, response_headers: headers, set_headers: [], remove_headers: [], introspection: true, warnings };
  }

  /**
   * The inspection report for `token`, verified under this verifier's policy with its inline
   * keys plus `keys` (any form the `keys` option takes). Sync: remote key sets are not fetched.
   */
  inspect(token, { now, keys } = {}) {
    const at = nowFrom({ now });
    const text = typeof token === 'string' ? token : '';
    // Over the bound, reported from its length: the input is never copied into wasm.
    if (text.length > this.#maxInspectBytes) {
      const refused = this.#core.inspectOversized(utf8Length(text));
      if (refused) return JSON.parse(refused);
    }
    const set = keys === undefined ? null : keySetFrom(keys, (bytes) => this.#core.parseKeys(bytes));
    try {
      return JSON.parse(this.#core.inspect(text, set ?? this.#noKeys, at));
    } finally {
      set?.free();
    }
  }
}

/** Verified tokens one verifier's gate remembers (a repeated token costs one signature check). */
const GATE_CACHE_ENTRIES = 1000;

/** Create a reusable verifier (see TokenVerifier). */
export function createVerifier(options) {
  return new TokenVerifier(options);
}

// `verify(token, options)` reuses a verifier for options that differ only in `now`.
const verifiers = new WeakMap();
const MAX_VERIFIERS = 32;

function verifierFor(options) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new OptionsError('options must be an object with at least `algorithms`.');
  }
  const store = options.keyStore;
  const keyed = {};
  for (const [k, v] of Object.entries(options)) if (!JS_ONLY_OPTIONS.has(k)) keyed[k] = v;
  let id;
  try {
    id = JSON.stringify(policyFrom(keyed));
  } catch (e) {
    if (e instanceof OptionsError) throw e;
    throw new OptionsError(`options must be plain data (${e?.message ?? e}).`);
  }
  const perStore = store ?? defaultStore;
  let byId = verifiers.get(perStore);
  if (!byId) {
    byId = new Map();
    verifiers.set(perStore, byId);
  }
  let v = byId.get(id);
  if (!v) {
    v = new TokenVerifier(options);
    byId.set(id, v);
    if (byId.size > MAX_VERIFIERS) {
      // The oldest goes, and its WebAssembly memory with it (once its calls under way end).
      const oldest = byId.keys().next().value;
      byId.get(oldest).free();
      byId.delete(oldest);
    }
  }
  return v;
}

/** The longest input the core's `inspect` reads under the default limits (asked once). */
let inspectBound = null;

/**
 * Inspect any string someone believes is a token (JWS, JWE, SAML, opaque, garbage): a report for
 * people and programs. Sync; never throws on the token. Options: `now`; `keys` to check the
 * signature and times; with `algorithms` and other policy options, verified under that policy.
 * Throws OptionsError on bad options.
 */
export function inspect(token, options = {}) {
  core();
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new OptionsError('inspect() options must be an object.');
  }
  const { now, keys, keyStore, ...policyOptions } = options;
  const at = nowFrom({ now });
  const text = typeof token === 'string' ? token : '';
  if (Object.keys(policyOptions).length > 0) {
    return verifierFor({ ...policyOptions, keyStore }).inspect(text, { now: at, keys });
  }
  inspectBound ??= coreInspectBound();
  if (text.length > inspectBound) {
    const refused = coreInspectOversized(utf8Length(text));
    if (refused) return JSON.parse(refused);
  }
  if (keys === undefined) return JSON.parse(coreInspect(text, at));
  const set = keySetFrom(keys, coreParseKeys);
  try {
    return JSON.parse(coreInspectWithKeys(text, set, at));
  } finally {
    set.free();
  }
}

/**
 * Decide on an HTTP request under the policy's routes (see TokenVerifier.decide). Never throws
 * on what the client sent; rejects with OptionsError on bad options.
 */
export async function decide(request, options) {
  core();
  return verifierFor(options).decide(request, { now: options.now, clientCertSha256: options.clientCertSha256 });
}

/**
 * Verify a token. Never throws on the token (a bad token is `{ valid: false, errors }`);
 * rejects with OptionsError on bad options.
 */
export async function verify(token, options) {
  core();
  return verifierFor(options).verify(token, { now: options.now });
}
