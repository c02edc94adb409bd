// Types for `azlens/introspection`: the RFC 7662 client.
export { introspect } from './index.js';
export type { IntrospectOptions } from './index.js';
export const INTROSPECTION_FAILED: 'introspection_failed';
