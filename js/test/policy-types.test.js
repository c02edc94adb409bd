// The TypeScript types of the options are checked against the policy schema the core exports
// (policySchema()): a policy member the core reads but index.d.ts does not declare, or an
// option index.d.ts declares that is neither a policy member nor a JS-only option, fails here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { init, policySchema } from '../index.js';
import { JS_ONLY_OPTIONS } from '../options.js';

await init();

const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8');

/** The top-level members of an interface in index.d.ts (nested object types skipped). */
function members(name) {
  const start = dts.indexOf(`export interface ${name} {`);
  assert.ok(start >= 0, `index.d.ts declares ${name}`);
  const out = [];
  let depth = 0;
  for (const line of dts.slice(start).split('\n').slice(1)) {
    const code = line.replace(/\/\*\*.*?\*\//g, '').trim();
    if (depth === 0 && code.startsWith('}')) break;
    const m = depth === 0 ? /^([A-Za-z][A-Za-z0-9]*)\??:/.exec(code) : null;
    if (m) out.push(m[1]);
    for (const c of code) depth += c === '{' ? 1 : c === '}' ? -1 : 0;
  }
  return out;
}

/** The members of the object type written inline for `option` in VerifyOptions. */
function inlineMembers(option) {
  const start = dts.indexOf(`  ${option}?: {`);
  assert.ok(start >= 0, `VerifyOptions.${option} is written as an object type`);
  const body = dts.slice(start + option.length + 6, dts.indexOf('}', start));
  return [...body.matchAll(/([A-Za-z][A-Za-z0-9]*)\??:/g)].map((m) => m[1]);
}

// The single-issuer shorthands of js/options.js: an `issuers` entry's members at the top.
const ISSUER_SHORTHANDS = new Set(['issuer', 'jwksUri', 'discovery', 'jku']);

test('VerifyOptions declares every policy member the core reads, and nothing else', () => {
  const schema = policySchema();
  const core = schema.policy.map((m) => camel(m.name));
  const declared = members('VerifyOptions');
  const missing = core.filter((m) => !declared.includes(m));
  assert.deepEqual(missing, [], `index.d.ts lacks policy members ${missing.join(', ')}`);
  const extra = declared.filter((m) => !core.includes(m) && !JS_ONLY_OPTIONS.has(m) && !ISSUER_SHORTHANDS.has(m));
  assert.deepEqual(extra, [], `index.d.ts declares options the core does not read: ${extra.join(', ')}`);
  for (const name of ISSUER_SHORTHANDS) {
    assert.ok(schema.issuer.some((m) => camel(m.name) === name), `${name} is an issuer member`);
  }
});

test('the limits and key cache types name exactly the core\'s members', () => {
  const schema = policySchema();
  assert.deepEqual(inlineMembers('limits'), schema.limits.map((m) => camel(m.name)));
  assert.deepEqual(inlineMembers('keyCache'), Object.keys(schema.key_cache).map(camel));
});

test('the profile and algorithm names in the types are the core\'s', () => {
  const schema = policySchema();
  const profileType = /\n {2}profile\?: ([^;]+);/.exec(dts)[1];
  assert.deepEqual([...profileType.matchAll(/'([^']+)'/g)].map((m) => m[1]).sort(), [...schema.profiles].sort());
  assert.deepEqual(schema.algorithms.map((a) => a.name).slice(0, 3), ['RS256', 'RS384', 'RS512']);
  const leeway = schema.policy.find((m) => m.name === 'leeway');
  assert.deepEqual([leeway.default, leeway.min, leeway.max], [60, 0, 600]);
});
