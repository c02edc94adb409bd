// Types for `azlens/worker` (js/worker.js in workerd, js/worker-node.js elsewhere).
import type { Store } from './index.js';

export interface GuardOptions {
  /** The policy document (object or JSON text); default: the `AZLENS_POLICY` binding. */
  policy?: object | string;
  /** A base URL or a service binding; default: the `UPSTREAM` binding. */
  upstream?: string | { fetch(request: Request): Promise<Response> };
  /** Valid verdicts kept per isolate (default 1000). */
  cacheCapacity?: number;
  /** Where fetched key sets are kept (default: the Cache API). */
  store?: Store;
  /** Receives one JSON line per request (default: console.log). */
  log?: (line: string) => void;
}

export interface Guard {
  fetch(request: Request, env?: Record<string, unknown>, ctx?: unknown): Promise<Response>;
}

/** A worker guarding `upstream` with `policy`. */
export function guard(options?: GuardOptions): Guard;
/** The configuration is unusable; the message names what to fix. */
export class ConfigError extends Error {}
/** The policy as JSON text, `env:NAME` references replaced by the bindings. */
export function policyFrom(policy: object | string | undefined, env: Record<string, unknown>): string;

/** A guard configured by the bindings `AZLENS_POLICY` and `UPSTREAM`. */
declare const worker: Guard;
export default worker;
