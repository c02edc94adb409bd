// JS options → the policy document. Options use the policy's vocabulary in camelCase
// (`maxTokenAge` → `max_token_age`, `keyCache.allowLoopbackHttp` → `key_cache.allow_loopback_http`);
// the core validates the result, so a misspelt option is an error, never a silently weaker check.
// A few shorthands exist only here: `issuer` with `jwksUri` / `discovery` / `jku` for a single
// issuer, and keys given as bytes.

/** Options that configure the JS side only and never reach the policy document. */
export const JS_ONLY_OPTIONS = new Set(['now', 'keyStore', 'clientCertSha256']);

/** Policy members whose values are data, not policy vocabulary: their keys stay as written. */
const VERBATIM = new Set(['keys', 'headers', 'clusters']);

const ISSUER_SHORTHANDS = ['jwksUri', 'discovery', 'jku'];

export class OptionsError extends TypeError {
  constructor(message) {
    super(`azlens: ${message}`);
    this.name = 'OptionsError';
  }
}

const snake = (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

/**
 * The core's message about a policy, in the names a JS caller wrote: quoted snake_case names
 * (`max_token_age`, "profile_options.token_endpoint") become camelCase, and the position in the
 * JSON text this shim made (which the caller never saw) is dropped.
 */
export function inCallerNames(message) {
  const names = (quote) => new RegExp(`${quote}([a-z][a-z0-9]*(?:[._][a-z0-9]+)*)${quote}`, 'g');
  const rename = (q) => (_, n) => `${q}${n.split('.').map(camel).join('.')}${q}`;
  return message
    .replace(names('`'), rename('`'))
    .replace(names('"'), rename('"'))
    .replace(/ at line \d+ column \d+$/, '');
}

function snakeKeys(value) {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const key = snake(k);
    out[key] = VERBATIM.has(key) ? keysValue(v, key) : snakeKeys(v);
  }
  return out;
}

function isBytes(v) {
  return v instanceof Uint8Array || v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

function toBase64(v) {
  const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * Keys as the policy's `keys` member takes them: a JWK Set, a JWK, a string (PEM, OpenSSH),
 * or an array of strings. DER bytes become base64 text; a mixed array becomes one string per
 * key (JSON text for JWKs), which the core reads one by one.
 */
function keysValue(v, member) {
  if (member !== 'keys') return v;
  if (isBytes(v)) return toBase64(v);
  if (Array.isArray(v)) {
    const allObjects = v.every((k) => k !== null && typeof k === 'object' && !isBytes(k));
    if (allObjects) return v;
    return v.map((k) => (typeof k === 'string' ? k : isBytes(k) ? toBase64(k) : JSON.stringify(k)));
  }
  return v;
}

/** The policy document (snake_case object) for these options. Throws OptionsError. */
export function policyFrom(options) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new OptionsError('options must be an object with at least `algorithms`.');
  }
  const rest = {};
  for (const [k, v] of Object.entries(options)) {
    if (!JS_ONLY_OPTIONS.has(k) && !ISSUER_SHORTHANDS.includes(k) && k !== 'issuer') rest[k] = v;
  }
  const policy = snakeKeys(rest);
  const shorthand = ISSUER_SHORTHANDS.filter((k) => options[k] !== undefined);
  if (options.issuer !== undefined) {
    if (options.issuers !== undefined) {
      throw new OptionsError('give either `issuer` or `issuers`, not both.');
    }
    const list = Array.isArray(options.issuer) ? options.issuer : [options.issuer];
    if (shorthand.length > 0 && list.length !== 1) {
      throw new OptionsError(`\`${shorthand[0]}\` belongs to one issuer; with several, use \`issuers: [{ issuer, ${shorthand[0]} }]\`.`);
    }
    policy.issuers = list.map((issuer) => {
      const entry = { issuer };
      for (const k of shorthand) entry[snake(k)] = options[k];
      return entry;
    });
  } else if (shorthand.length > 0) {
    throw new OptionsError(`\`${shorthand[0]}\` needs the \`issuer\` it belongs to.`);
  }
  return policy;
}

/** `now` in seconds since the epoch: the option, or the clock. */
export function nowFrom(options) {
  const now = options?.now;
  if (now === undefined) return Date.now() / 1000;
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new OptionsError('`now` must be a finite number of seconds since the epoch.');
  }
  return now;
}

const encoder = new TextEncoder();

/**
 * Keys in any form the `keys` option takes, parsed by the core (`parse(bytes)` → KeySet) into
 * one set. Throws OptionsError when they hold no usable key.
 */
export function keySetFrom(keys, parse) {
  const one = (k) => {
    const bytes = isBytes(k)
      ? (k instanceof ArrayBuffer ? new Uint8Array(k) : new Uint8Array(k.buffer, k.byteOffset, k.byteLength))
      : encoder.encode(typeof k === 'string' ? k : JSON.stringify(k));
    try {
      return parse(bytes);
    } catch (e) {
      throw new OptionsError(`keys: ${e?.message ?? e}`);
    }
  };
  if (!Array.isArray(keys) || keys.every((k) => k !== null && typeof k === 'object' && !isBytes(k))) return one(keys);
  if (keys.length === 0) throw new OptionsError('keys: the array is empty.');
  return keys.map(one).reduce((acc, s) => {
    const u = acc.union(s);
    acc.free();
    s.free();
    return u;
  });
}
