// Types for the azlens JS package (index.js). The shapes mirror the core's JSON.

export interface Problem { code: string; message: string; claim?: string }

export interface VerifyResult {
  valid: boolean;
  header: Record<string, unknown> | null;
  payload: Record<string, unknown> | null;
  /** Codes from errorCodes(): malformed, expired, signature_invalid, … */
  errors: Problem[];
  /** The core's warnings plus key_set_unavailable, key_set_stale, discovery_failed. */
  warnings: Problem[];
  key?: { kid?: string; kty: string; alg: string };
  profile?: 'iua' | 'smart' | 'smart-backend' | 'cds-hooks' | 'oidc' | 'udap';
  context?: Record<string, unknown>;
  /** The x5c chain as checked against trustAnchors (leaf first, the anchor last). */
  chain?: {
    valid: boolean;
    certificates: Array<{
      subject: string; issuer: string; serial: string; not_before: string; not_after: string;
      san_uris?: string[]; san_dns?: string[]; ca: boolean; path_len?: number; key_usage?: string[];
      signature_algorithm: string; role: 'leaf' | 'intermediate' | 'anchor'; status: string;
    }>;
    revocation: 'checked' | 'not_checked' | 'unknown';
    error?: string;
  };
}

/** JWK Set, JWK, PEM / OpenSSH text, DER bytes, or an array of these. */
export type Keys = object | string | Uint8Array | ArrayBuffer | Array<object | string | Uint8Array | ArrayBuffer>;

/** A place for fetched documents; entries are plain JSON data. */
export interface Store {
  get(key: string): Promise<unknown | undefined>;
  set(key: string, entry: unknown, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/**
 * The policy document in camelCase (see the README), plus shorthands and JS-only options.
 * Unknown members are rejected by the core.
 */
export interface VerifyOptions {
  algorithms: string[];
  keys?: Keys;
  issuer?: string | string[];
  jwksUri?: string;
  discovery?: boolean;
  jku?: string[];
  issuers?: Array<Record<string, unknown>>;
  audience?: string | string[];
  leeway?: number;
  typ?: string;
  requiredClaims?: string[];
  maxTokenAge?: number;
  maxLifetime?: number;
  requireExp?: boolean;
  subject?: string;
  crit?: string[];
  profile?: 'iua' | 'smart' | 'smart-backend' | 'cds-hooks' | 'oidc' | 'udap';
  /** PEM certificates x5c chains must lead to (without them x5c is never a key source). */
  trustAnchors?: string | string[];
  /** PEM `X509 CRL` blocks (or base64 DER) for the chains' certificates. */
  crls?: string[];
  /** CRL addresses fetched (and cached) like key sets for tokens with x5c; used beside `crls`. */
  crlUrls?: string[];
  /** 'required' (default): a certificate without a current CRL is refused; 'best_effort': a warning. */
  revocation?: 'required' | 'best_effort';
  profileOptions?: { nonce?: string; maxAge?: number; requiredAcr?: string[]; requiredAmr?: string[]; tokenEndpoint?: string };
  limits?: { maxTokenBytes?: number; maxJsonDepth?: number; maxKeySetBytes?: number; maxKeys?: number; maxNestedDepth?: number; maxChainLength?: number; maxCertificateBytes?: number; maxCrlBytes?: number };
  token?: Record<string, unknown>;
  routes?: Array<Record<string, unknown>>;
  forward?: { headers?: Record<string, string>; keepToken?: boolean };
  /** The Envoy filter's own settings. */
  envoy?: Record<string, unknown>;
  /** An RFC 7662 introspection endpoint the gateway serves for the tokens this policy verifies. */
  introspection?: Record<string, unknown>;
  /** How the gateway reads a request (bounds, override and `Prefer` headers). */
  request?: Record<string, unknown>;
  /** Policy-wide settings of the routes' `iua` rules: the emergency purposes of use (ETREAT). */
  iuaRules?: { emergencyPurposes?: Array<{ system?: string; code: string; display?: string }> };
  /** How audit records name the gateway (`source`) and where the worker and Envoy send them. */
  audit?: { source?: string; repository?: string; cluster?: string; clusterPath?: string; batch?: number; queue?: number; log?: boolean };
  keyCache?: {
    defaultMaxAge?: number; minMaxAge?: number; maxMaxAge?: number; refetchCooldown?: number;
    staleFor?: number; fetchTimeoutMs?: number; maxWaitMs?: number; allowLoopbackHttp?: boolean;
  };
  /** Seconds since the epoch (default: the clock). */
  now?: number;
  keyStore?: Store;
  /** decide(): the SHA-256 thumbprint (hex or base64url) of the client certificate your TLS server verified (RFC 8705). */
  clientCertSha256?: string;
  [policyMember: string]: unknown;
}

export interface InspectOptions extends Partial<VerifyOptions> {}

/** The core's inspection report (see the README for every member). */
export interface Report {
  kind: 'jws' | 'jwe' | 'saml' | 'opaque' | 'empty';
  summary: string;
  length: number;
  header: Record<string, unknown> | null;
  payload: Record<string, unknown> | null;
  header_parameters: Array<Record<string, unknown>>;
  claims: Array<{ name: string; value: unknown; meaning: string | null; defined_by: string | null; utc?: string; relative?: string }>;
  profiles: Array<Record<string, unknown>>;
  findings: Array<{ severity: string; code: string; message: string; claim?: string }>;
  nested: Array<{ claim: string; report: Report }>;
  atna_user: string | null;
  saml: Record<string, unknown> | null;
  verification: VerifyResult | null;
  /** The verdict read for people, when verified under a policy: `unverified` when no trusted key was given. */
  reading: {
    state: 'valid' | 'invalid' | 'unverified';
    errors: Array<{ code: string; message: string; claim?: string }>;
    signature_checked: boolean;
    note?: string;
  } | null;
  introspection: Record<string, unknown> | null;
}

export class OptionsError extends TypeError {}

export function init(source?: WebAssembly.Module | BufferSource | URL | string | Response): Promise<void>;
export function verify(token: string, options: VerifyOptions): Promise<VerifyResult>;
export function inspect(token: string, options?: InspectOptions): Report;

/** A Fetch API Request, or a plain description of one. */
export type RequestLike = Request | {
  method?: string;
  /** An absolute URL (its origin is the external origin a DPoP proof's `htu` names) … */
  url?: string;
  /** … or the path (with an optional `?query`) and the external `scheme://host[:port]`. */
  path?: string;
  origin?: string;
  /** The SHA-256 thumbprint (hex or base64url) of the client certificate the TLS layer verified. */
  clientCertSha256?: string;
  query?: string;
  headers?: Headers | Array<[string, string]> | Record<string, string | string[]>;
  /** Read only when the guard asks for it (a form-encoded `_search`, a Bundle). */
  body?: string | Uint8Array | ArrayBuffer;
};

/** The guard's decision (see the README). */
export interface Decision {
  allow: boolean;
  status: number;
  www_authenticate?: string;
  /** The JSON body of a refusal, as text. */
  body?: string;
  set_headers: Array<[string, string]>;
  remove_headers: string[];
  response_headers: Array<[string, string]>;
  /** When allowed: the canonical path and query that were decided, to forward as they are. */
  upstream_path?: string;
  log: Record<string, unknown>;
  /** Allowed only by an emergency purpose of use on a route with `iua.breakGlass`. */
  break_glass?: boolean;
  /** The facts the audit record is built from (user, purpose of use, patient, outcome, rule). */
  audit: Record<string, unknown>;
  /** The IHE BALP FHIR R4 AuditEvent of this decision, recorded at `now`. */
  audit_event: Record<string, unknown>;
  /**
   * The request was for the policy's `introspection.path`: `body` is the RFC 7662 reply to send
   * as it stands, with `response_headers` (no `audit` or `audit_event` then).
   */
  introspection?: true;
  warnings: Problem[];
}
export function decide(request: RequestLike, options: VerifyOptions): Promise<Decision>;
export function errorCodes(): string[];

/** One member of a policy object as the core describes it (snake_case, as in the policy document). */
export interface PolicyMember {
  name: string;
  type: string;
  about: string;
  required?: boolean;
  default?: unknown;
  min?: number;
  max?: number;
  values?: string[];
  max_items?: number;
}
/** The policy's vocabulary, from the core: render forms and check types from it. */
export interface PolicySchema {
  algorithms: Array<{ name: string; family: string; shared_secret: boolean }>;
  profiles: string[];
  policy: PolicyMember[];
  issuer: PolicyMember[];
  limits: PolicyMember[];
  key_cache: Record<string, number | boolean>;
}
export function policySchema(): PolicySchema;
/** A route's IUA rules split into each rule alone, as `[name, rules]` pairs (what the page's request tester decides once per rule). */
export function iuaRulesAlone(iua: Record<string, unknown>): Array<[string, Record<string, unknown>]>;
export function version(): string;

export class TokenVerifier {
  constructor(options: VerifyOptions);
  verify(token: string, options?: { now?: number }): Promise<VerifyResult>;
  /** `clientCertSha256`: the verified client certificate's SHA-256 thumbprint (RFC 8705). */
  decide(request: RequestLike, options?: { now?: number; fetchKeys?: boolean; clientCertSha256?: string }): Promise<Decision>;
  inspect(token: string, options?: { now?: number; keys?: Keys }): Report;
  /** Give back its WebAssembly memory (after calls under way); not usable afterwards. */
  free(): void;
}
export function createVerifier(options: VerifyOptions): TokenVerifier;

export interface IntrospectOptions {
  endpoint: string;
  clientId?: string;
  clientSecret?: string;
  clientAuth?: 'client_secret_basic' | 'client_secret_post' | 'none';
  bearer?: string;
  tokenTypeHint?: string;
  timeoutMs?: number;
  maxBytes?: number;
  allowLoopbackHttp?: boolean;
  cacheSeconds?: number;
  store?: Store;
}
export function introspect(token: string, options: IntrospectOptions): Promise<{
  active: boolean;
  response: Record<string, unknown> | null;
  cached: boolean;
  errors: Problem[];
}>;

export class MemoryStore implements Store {
  constructor(options?: { maxEntries?: number });
  get(key: string): Promise<unknown | undefined>;
  set(key: string, entry: unknown, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  readonly size: number;
}
export function cacheApiStore(cache: Cache, options?: { namespace?: string }): Store;

export const WARNINGS: Readonly<{ keySetUnavailable: 'key_set_unavailable'; keySetStale: 'key_set_stale'; discoveryFailed: 'discovery_failed' }>;
