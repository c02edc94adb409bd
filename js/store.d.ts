// Types for `azlens/store`: where fetched key sets and introspection answers are kept.
export { MemoryStore, cacheApiStore } from './index.js';
export type { Store } from './index.js';
