// The edge worker's key-set store: the Cache API of the data centre (`caches.default` in
// workerd) behind js/store.js's store interface, so an isolate that starts cold reads the key
// sets another isolate fetched instead of refetching them, and an isolate whose copy went stale
// adopts a newer one fetched elsewhere. Parsed key sets stay in each isolate's memory
// (js/keys.js keeps them per URL); this store only holds the fetched text and its freshness.
//
// Where the Cache API is absent (another host) entries live in this isolate's memory. A failing
// Cache API (quota, a workers.dev route where puts are dropped) never reaches a request: the
// entry is missed and the next isolate fetches for itself.

import { cacheApiStore, MemoryStore } from './store.js';

/** Synthetic URLs under this prefix hold the entries; no real request uses the host. */
export const NAMESPACE = 'https://azlens.invalid/worker/key-cache/';

/**
 * A store for `RemoteKeys` in a worker. `caches` defaults to the global CacheStorage; it is
 * resolved on first use, because the Cache API may only be called while handling a request.
 * @param {{ caches?: CacheStorage, namespace?: string }} [o]
 */
export function workerStore({ caches: storage, namespace = NAMESPACE } = {}) {
  let store;
  const resolve = () => {
    if (store === undefined) {
      const c = storage ?? globalThis.caches;
      store = c?.default ? cacheApiStore(c.default, { namespace }) : new MemoryStore({ maxEntries: 256 });
    }
    return store;
  };
  return {
    async get(key) {
      try {
        return await resolve().get(key);
      } catch {
        return undefined;
      }
    },
    async set(key, entry, ttl) {
      try {
        await resolve().set(key, entry, ttl);
      } catch {
        // The isolate keeps its parsed copy; other isolates fetch for themselves.
      }
    },
    async delete(key) {
      try {
        await resolve().delete(key);
      } catch {
        // Nothing to undo.
      }
    },
  };
}
