// Where fetched documents (key sets, discovery documents, introspection answers) are kept
// between requests. A store is any object with these async methods:
//
//   get(key)               → the entry last set, or undefined
//   set(key, entry, ttl)   → keep `entry` (a JSON-serialisable object) for at least `ttl` seconds
//   delete(key)
//
// The default keeps entries in this isolate's memory. An edge worker can persist them across
// isolates with `cacheApiStore(caches.default)`.

/** In-memory store with a bound on the number of entries (oldest set is dropped first). */
export class MemoryStore {
  #entries = new Map();
  #maxEntries;

  constructor({ maxEntries = 1000 } = {}) {
    this.#maxEntries = maxEntries;
  }

  async get(key) {
    const hit = this.#entries.get(key);
    if (!hit) return undefined;
    if (hit.expires <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return hit.entry;
  }

  async set(key, entry, ttl) {
    this.#entries.delete(key);
    this.#entries.set(key, { entry, expires: Date.now() + ttl * 1000 });
    while (this.#entries.size > this.#maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value);
    }
  }

  async delete(key) {
    this.#entries.delete(key);
  }

  get size() {
    return this.#entries.size;
  }
}

/**
 * A store backed by the web Cache API (`caches.default` in workerd, `await caches.open(name)` in
 * a browser or service worker). Entries become synthetic responses under `namespace`, which must
 * be an http(s) URL prefix no real request uses.
 */
export function cacheApiStore(cache, { namespace = 'https://azlens.invalid/cache/' } = {}) {
  const request = (key) => new Request(namespace + encodeURIComponent(key));
  return {
    async get(key) {
      const res = await cache.match(request(key));
      if (!res) return undefined;
      try {
        return await res.json();
      } catch {
        return undefined;
      }
    },
    async set(key, entry, ttl) {
      const body = JSON.stringify(entry);
      await cache.put(
        request(key),
        new Response(body, {
          headers: {
            'content-type': 'application/json',
            'cache-control': `max-age=${Math.max(1, Math.ceil(ttl))}`,
          },
        }),
      );
    },
    async delete(key) {
      await cache.delete(request(key));
    },
  };
}
