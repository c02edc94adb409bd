// Remote key sets for the sources the core's key plan names: a `jwks_uri`, an allow-listed
// `jku`, or issuer discovery. This file only moves bytes, keeps them (a store, timers, fetches
// under way) and asks the core what they mean: which URL may be fetched for a token (`keyPlan`),
// what the bytes are (`parseKeys`, `readDiscovery`), and the whole key-set lifecycle (`KeySlots`,
// src/keycache/: freshness from Cache-Control/Age/Expires, back-off after failures, the stale
// window, the unknown-kid schedule, generations, URL rules) — the same one the Envoy filter runs.
// Concurrent misses share one request, across verifiers too. A call waits for fetches at most
// `max_wait_ms` in all (one deadline for the whole call).

import { fetchText, checkUrl, FetchError } from './http.js';
import { MemoryStore } from './store.js';
import { engine } from './engine.js';

/** The store shared by every verifier that was not given one. */
export const defaultStore = new MemoryStore();

/** Warnings the shim adds to a verdict (the core's codes cover the token itself). */
export const WARNINGS = Object.freeze({
  keySetUnavailable: 'key_set_unavailable',
  keySetStale: 'key_set_stale',
  discoveryFailed: 'discovery_failed',
});

const encoder = new TextEncoder();

/**
 * Fetches under way, shared by every cache in this isolate (verifiers with different options
 * fetching the same URL under the same limits make one request): id → Promise<{text, headers}>.
 */
const loading = new Map();

function sharedLoad(id, load) {
  let p = loading.get(id);
  if (!p) {
    p = load();
    loading.set(id, p);
    const done = () => loading.delete(id);
    p.then(done, done);
  }
  return p;
}

/** Milliseconds left until `deadline` (never negative). */
function left(deadline) {
  return Math.max(0, deadline - Date.now());
}

/**
 * A cache of remote documents of one kind, keyed by URL (or issuer, for discovery). Each key has
 * the core's slot (`KeySlots`); this class holds it, the decoded value, and the fetch under way.
 * `load(key)` fetches `{ text, headers }`; `decode(text, key)` turns the text into the value
 * kept (a parsed key set, a discovered `{ jwksUri, warnings }`) and throws when it is unusable.
 */
export class RemoteCache {
  #records = new Map();
  #settings;
  #slots;
  #store;
  #prefix;
  #load;
  #decode;
  #loadId;
  #dispose;
  /** Whether `#slots` was made here (and is freed here). */
  #ownSlots;

  /**
   * @param {{ settings: object, store: object, prefix: string,
   *           load: (key: string) => Promise<{text: string, headers: Headers}>,
   *           loadId?: string, decode: (text: string, key: string) => any,
   *           dispose?: (value: any) => void, slots?: KeySlots }} o
   *   `settings` is the policy's key_cache section (snake_case). `loadId` names what `load`
   *   depends on besides the key (limits): caches with the same prefix and `loadId` share
   *   fetches under way. `dispose` frees a value no longer kept.
   */
  constructor({ settings, store, prefix, load, loadId = '', decode, dispose, slots }) {
    this.#settings = settings;
    this.#ownSlots = slots === undefined;
    this.#slots = slots ?? new (engine().KeySlots)(JSON.stringify(settings));
    this.#loadId = loadId;
    this.#dispose = dispose ?? (() => {});
    this.#store = store;
    this.#prefix = prefix;
    this.#load = load;
    this.#decode = decode;
  }

  /**
   * The value for `key`, fetching it when missing or expired. Returns `{ value }` or
   * `{ value: null, problem }` (then `value` may still be a stale one, with `stale: true`).
   */
  async get(key, deadline = Date.now() + this.#settings.max_wait_ms) {
    const rec = this.#record(key);
    // The hot path: the core's slot says until when its set is fresh.
    if (rec.value !== undefined && Date.now() < rec.slot.fresh_until) return { value: rec.value };
    await this.#adoptStored(key, rec);
    const look = this.#look(rec);
    if (rec.value !== undefined && look.serving === 'fresh') return { value: rec.value };
    // Nothing due while not fresh: the core's back-off after failures (1 s, 2 s, 4 s … up to
    // the cooldown), instead of a fetch on every request.
    if (!rec.inflight && look.due === null) return this.#served(rec, look, rec.slot.last_error);
    const outcome = await this.#waitFor(this.#fetch(key, rec), left(deadline));
    if (outcome.ok) return { value: rec.value };
    return this.#served(rec, this.#look(rec), outcome.problem);
  }

  /**
   * Refetch `key` because what it holds did not answer (an unknown `kid`), on the core's
   * unknown-kid schedule, joining a fetch already under way, waiting until `deadline` at most.
   * Returns `{ changed, problem? }`.
   */
  async refresh(key, deadline = Date.now() + this.#settings.max_wait_ms) {
    const rec = this.#record(key);
    const before = rec.value;
    await this.#adoptStored(key, rec);
    if (rec.value !== before) return { changed: true };
    if (!rec.inflight && !this.#look(rec, true).kid_refetch) return { changed: false };
    const outcome = await this.#waitFor(this.#fetch(key, rec, true), left(deadline));
    return { changed: outcome.ok && rec.value !== before, problem: outcome.problem };
  }

  /** The core's generation of the value held for `key` (0: none yet). */
  generationOf(key) {
    return this.#records.get(key)?.slot.generation ?? 0;
  }

  /** Free every value kept (the cache is not used again). */
  dispose() {
    for (const rec of this.#records.values()) {
      if (rec.value !== undefined) this.#dispose(rec.value);
      rec.value = undefined;
    }
    this.#records.clear();
    if (this.#ownSlots) this.#slots?.free();
    this.#slots = null;
  }

  /** The core's view of a slot now: `{ serving, due, kid_refetch }`. */
  #look(rec, wantRefetch = false) {
    return JSON.parse(this.#slots.look(JSON.stringify(rec.slot), Date.now(), wantRefetch));
  }

  /** What a request gets when no fetch answered: the last good value while the core serves it. */
  #served(rec, look, problem) {
    return rec.value !== undefined && look.serving !== 'none'
      ? { value: rec.value, stale: true, problem }
      : { value: null, problem };
  }

  #record(key) {
    let rec = this.#records.get(key);
    if (!rec) {
      rec = { value: undefined, slot: {}, inflight: null };
      this.#records.set(key, rec);
    }
    return rec;
  }

  /** Another verifier or isolate may have fetched a newer copy into the shared store. */
  async #adoptStored(key, rec) {
    let stored;
    try {
      stored = await this.#store.get(this.#prefix + key);
    } catch {
      return;
    }
    if (!stored || typeof stored.text !== 'string' || typeof stored.slot !== 'object') return;
    const slot = JSON.parse(this.#slots.adopt(JSON.stringify(rec.slot), JSON.stringify(stored.slot)));
    if (slot === null) return;
    try {
      rec.value = this.#decode(stored.text, key);
      rec.slot = slot;
    } catch {
      // An unusable stored copy is ignored; the next fetch replaces it.
    }
  }

  /**
   * One fetch per key at a time; concurrent callers share it. `unknownKid`: a refetch for an
   * unknown `kid`, which the core counts for its schedule when it gets an answer. Resolves to
   * `{ ok, problem? }`.
   */
  #fetch(key, rec, unknownKid = false) {
    if (rec.inflight) return rec.inflight;
    const started = Date.now();
    rec.inflight = (async () => {
      try {
        const { text, headers } = await sharedLoad(`${this.#prefix}${this.#loadId}\n${key}`, () => this.#load(key));
        const value = this.#decode(text, key);
        const now = Date.now();
        const got = JSON.parse(
          this.#slots.recordGood(JSON.stringify(rec.slot), encoder.encode(text), JSON.stringify([...headers]), now, unknownKid ? started : -1),
        );
        rec.slot = got.slot;
        if (got.changed || rec.value === undefined) {
          rec.value = value;
        } else if (value !== rec.value) {
          this.#dispose(value); // the same bytes: the value already held stays
        }
        try {
          await this.#store.set(this.#prefix + key, { text, slot: rec.slot }, Math.max(1, (rec.slot.usable_until - now) / 1000));
        } catch {
          // A store that cannot keep the entry costs a refetch later, nothing more.
        }
        return { ok: true };
      } catch (e) {
        const problem = e instanceof FetchError || e instanceof UnusableDocument ? e.message : `${key}: ${e?.message ?? e}`;
        // A cache disposed while its fetch was out has no rules left to record with.
        if (this.#slots) rec.slot = JSON.parse(this.#slots.recordFailure(JSON.stringify(rec.slot), problem, Date.now())).slot;
        return { ok: false, problem };
      } finally {
        rec.inflight = null;
      }
    })();
    return rec.inflight;
  }

  /** The fetch's outcome, or a "still waiting" problem after `ms` (the fetch goes on). */
  async #waitFor(promise, ms) {
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, problem: `no answer within key_cache.max_wait_ms (${this.#settings.max_wait_ms} ms)` }), ms);
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A fetched document that cannot be used (not a key set, a discovery mismatch). */
export class UnusableDocument extends Error {
  constructor(message) {
    super(message);
    this.name = 'UnusableDocument';
  }
}

/**
 * The remote keys of one verifier: key sets by URL and discovery by issuer, both cached.
 * `parseKeys(bytes)` is the core's parser under the verifier's limits.
 */
export class RemoteKeys {
  #keySets;
  #discovery;
  /** The core's key-cache rules, shared by both caches. */
  #slots;
  #settings;
  /** `unavailable(url, why)`: the core's empty key set standing for a source that failed. */
  #unavailable;
  /** The last such set per URL (url → { problem, set }), reused while the problem is the same. */
  #markers = new Map();

  /**
   * @param {{ settings: object, maxBytes: number, parseKeys: (bytes: Uint8Array) => object,
   *           readDiscovery: (issuer: string, url: string, bytes: Uint8Array) => string,
   *           unavailable?: (url: string, why: string) => object, store?: object }} o
   *   `settings` is the policy's key_cache section (snake_case). `readDiscovery` is the core's
   *   reader of a discovery document (JSON `{ jwks_uri, warnings }`, or throws why the
   *   document is unusable).
   */
  constructor({ settings, maxBytes, parseKeys, readDiscovery, unavailable, store = defaultStore }) {
    this.#settings = settings;
    this.#unavailable = unavailable;
    const http = {
      timeoutMs: settings.fetch_timeout_ms,
      maxBytes,
      allowLoopbackHttp: settings.allow_loopback_http,
    };
    const slots = new (engine().KeySlots)(JSON.stringify(settings));
    this.#slots = slots;
    this.#keySets = new RemoteCache({
      settings,
      slots,
      store,
      prefix: 'azlens:jwks:v2:',
      load: (url) => fetchText(checkUrl(url, http), http),
      loadId: JSON.stringify(http),
      dispose: (keys) => keys.free?.(),
      decode: (text, url) => {
        try {
          return parseKeys(encoder.encode(text));
        } catch (e) {
          throw new UnusableDocument(`${url} holds no usable key set: ${e?.message ?? e}`);
        }
      },
    });
    this.#discovery = new RemoteCache({
      settings,
      slots,
      store,
      prefix: 'azlens:discovery:v3:',
      load: (issuer) => loadDiscovery(issuer, http),
      loadId: JSON.stringify(http),
      decode: (text, issuer) => discovered(text, issuer, http, (url, body) => readDiscovery(issuer, url, encoder.encode(body))),
    });
  }

  /**
   * The key sets for the planned sources (in plan order), the warnings to report, and one
   * generation for them (the core's, for the verdict cache: it moves when any set's bytes do).
   * @param {Array<{type: string, url?: string, issuer?: string}>} sources  from the core's keyPlan
   */
  async keySetsFor(sources, deadline = Date.now() + this.#settings.max_wait_ms) {
    const sets = [];
    const warnings = [];
    const parts = [];
    const failedDiscovery = new Map();
    for (const url of await this.#urls(sources, warnings, deadline, failedDiscovery)) {
      const got = await this.#keySets.get(url, deadline);
      parts.push([url, got.value ? this.#keySets.generationOf(url) : 0]);
      if (got.value) sets.push(got.value);
      if (got.stale) {
        warnings.push({ code: WARNINGS.keySetStale, message: `The key set from ${url} could not be refreshed (${got.problem}); the last good copy is used.` });
      } else if (!got.value) {
        warnings.push({ code: WARNINGS.keySetUnavailable, message: `No key set from ${url}: ${got.problem}` });
        const marker = this.#marker(url, got.problem);
        if (marker) sets.push(marker);
      }
    }
    for (const [issuer, problem] of failedDiscovery) {
      const marker = this.#marker(discoveryUrls(issuer)[0], `discovery failed: ${problem}`);
      if (marker) sets.push(marker);
    }
    return { sets, warnings, generation: engine().KeySlots.generation(JSON.stringify(parts)) };
  }

  /** The core's set for a source that could not be fetched, so the verdict says so. */
  #marker(url, problem) {
    if (!this.#unavailable) return null;
    const why = String(problem ?? 'no answer');
    const held = this.#markers.get(url);
    if (held?.problem === why) return held.set;
    held?.set.free?.();
    const set = this.#unavailable(url, why);
    this.#markers.set(url, { problem: why, set });
    return set;
  }

  /**
   * After the core found no key for the token's `kid`: refetch each planned key set whose
   * cooldown has passed. Returns whether any set changed, and warnings.
   */
  async refreshFor(sources, deadline = Date.now() + this.#settings.max_wait_ms) {
    const warnings = [];
    let changed = false;
    for (const url of await this.#urls(sources, warnings, deadline)) {
      const r = await this.#keySets.refresh(url, deadline);
      changed ||= r.changed;
      if (r.problem) {
        warnings.push({ code: WARNINGS.keySetUnavailable, message: `Refetching ${url} for an unknown key failed: ${r.problem}` });
      }
    }
    return { changed, warnings };
  }

  /** Free the parsed key sets kept (the verifier that owns this is not used again). */
  dispose() {
    this.#keySets.dispose();
    this.#discovery.dispose();
    this.#slots?.free();
    this.#slots = null;
    for (const { set } of this.#markers.values()) set.free?.();
    this.#markers.clear();
  }

  async #urls(sources, warnings, deadline, failedDiscovery = new Map()) {
    const urls = [];
    for (const s of sources) {
      if (s.type === 'discovery') {
        const got = await this.#discovery.get(s.issuer, deadline);
        if (got.value) {
          urls.push(got.value.jwksUri);
          warnings.push(...got.value.warnings);
        } else {
          warnings.push({ code: WARNINGS.discoveryFailed, message: `Discovery of ${s.issuer} failed: ${got.problem}` });
          failedDiscovery.set(s.issuer, got.problem);
        }
      } else if (typeof s.url === 'string') {
        urls.push(s.url);
      }
    }
    return [...new Set(urls)];
  }
}

/** The discovery documents of `issuer`, in the order the core tries them. */
export function discoveryUrls(issuer) {
  return JSON.parse(engine().KeySlots.discoveryUrls(issuer));
}

/**
 * The discovery document the core's steps settle on (src/keycache/discovery.rs: which document
 * next, issuer match, jwks_uri under the URL rules), kept as `{url}\n{body}` (the core's reading
 * depends on which one it was). This only fetches.
 */
async function loadDiscovery(issuer, http) {
  const discovery = new (engine().KeyDiscovery)(issuer, http.allowLoopbackHttp === true);
  const bodies = new Map();
  try {
    let step = JSON.parse(discovery.start());
    while (step.step === 'fetch') {
      let answer;
      try {
        answer = await fetchText(step.url, http);
      } catch (e) {
        step = JSON.parse(discovery.failed(e.message));
        continue;
      }
      bodies.set(step.url, answer);
      const bytes = new TextEncoder().encode(answer.text);
      step = JSON.parse(discovery.complete(answer.status, JSON.stringify([...answer.headers]), bytes));
    }
    if (step.step === 'found') {
      const { text, headers } = bodies.get(step.document);
      return { text: `${step.document}\n${text}`, headers };
    }
    throw new UnusableDocument(step.problem);
  } finally {
    discovery.free();
  }
}

/**
 * `{ jwksUri, warnings }` from a stored `{url}\n{body}`: the core reads the document (issuer
 * match, jwks_uri, the document's own rules as warnings); this only checks the address is one
 * the shim may fetch.
 */
function discovered(text, issuer, http, read) {
  const cut = text.indexOf('\n');
  if (cut < 0) throw new UnusableDocument(`the stored discovery document of ${issuer} has no address`);
  let doc;
  try {
    doc = JSON.parse(read(text.slice(0, cut), text.slice(cut + 1)));
  } catch (e) {
    throw new UnusableDocument(String(e?.message ?? e));
  }
  try {
    checkUrl(doc.jwks_uri, http);
  } catch (e) {
    throw new UnusableDocument(`the discovery document of ${issuer} names an unusable jwks_uri: ${e.message}`);
  }
  return { jwksUri: doc.jwks_uri, warnings: doc.warnings };
}
