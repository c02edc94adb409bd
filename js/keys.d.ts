// Types for `azlens/keys`: the remote key-set cache the package's verify() and decide() use.
// Most programs never need it; verify(token, { jwksUri }) fetches through it.
import type { Store } from './index.js';

export const defaultStore: Store;
export const WARNINGS: Readonly<{ keySetUnavailable: 'key_set_unavailable'; keySetStale: 'key_set_stale'; discoveryFailed: 'discovery_failed' }>;

/** A document the server sent that cannot be used (not a key set, a wrong discovery issuer). */
export class UnusableDocument extends Error {}

/** OpenID and SMART discovery addresses of an issuer, in the order they are tried. */
export function discoveryUrls(issuer: string): string[];

/** A cache of remote documents of one kind, keyed by URL, on the core's key-set lifecycle. */
export class RemoteCache {
  constructor(options: {
    settings: object;
    store: Store;
    prefix: string;
    load: (key: string) => Promise<{ text: string; headers: Headers }>;
    decode: (text: string, key: string) => unknown;
    loadId?: string;
    dispose?: (value: unknown) => void;
  });
  get(key: string): Promise<{ value: unknown; problem?: object; stale?: boolean }>;
}

/** The key sets a key plan names, fetched and cached. */
export class RemoteKeys {
  constructor(options: {
    settings: object;
    maxBytes: number;
    parseKeys: (bytes: Uint8Array) => unknown;
    /** The core's discovery reader (`Verifier.readDiscovery`): JSON `{ jwks_uri, warnings }`, or throws why the document is unusable. */
    readDiscovery: (issuer: string, url: string, bytes: Uint8Array) => string;
    /** The core's key set standing for a source that could not be fetched. */
    unavailable?: (url: string, why: string) => unknown;
    store?: Store;
  });
  keySetsFor(sources: object[]): Promise<{ sets: unknown[]; warnings: object[]; generation: number }>;
  refreshFor(sources: object[]): Promise<{ changed: boolean; warnings: object[] }>;
}
