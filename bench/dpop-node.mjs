// The added cost of a DPoP check (issue 16), written into BENCHMARKS.md between the `dpop`
// markers (`make bench-dpop`, also run by `make bench`). One verifier, decide() on the same
// request two ways, interleaved round by round: an ES256 bearer token, and the same kind of token
// bound to the client's key (cnf.jkt) with an ES256 DPoP proof. Every DPoP request carries a
// fresh proof (made before the clock starts), so each one pays the whole check: parsing, the
// proof's signature, htu/ath, the thumbprint and the replay memory.

import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { init, createVerifier } from '../js/index.js';
import { sign, keyFor, jwkOf, jwkThumbprint, dpopProof } from '../js/test/helpers.js';
import { ROOT, setting, stats } from './lib/measure.mjs';

await init();

const ROUNDS = setting('BENCH_ROUNDS', 7);
const ROUND_MS = setting('BENCH_ROUND_MS', 300);
const loadStart = os.loadavg()[0];
const now = Math.floor(Date.now() / 1000);
const issuer = keyFor('ES256');
const client = keyFor('ES256');
const URL_ = 'https://api.example/fhir/Patient/1';
const claims = { iss: 'https://as.example', aud: 'https://api.example', sub: 'u1', iat: now, exp: now + 3600 };
const bearer = sign('ES256', issuer, { kid: 'k1' }, claims);
const bound = sign('ES256', issuer, { kid: 'k1' }, { ...claims, cnf: { jkt: jwkThumbprint(jwkOf(client)) } });
const v = createVerifier({
  algorithms: ['ES256'], issuer: 'https://as.example', audience: 'https://api.example',
  keys: { keys: [jwkOf(issuer, { kid: 'k1' })] }, token: { dpopReplayEntries: 1 << 20 },
});

// Enough fresh proofs for every DPoP request of every round (a request takes well over 50 µs).
const needed = Math.ceil((ROUNDS + 1) * ROUND_MS * 20) + 1000;
const proofs = Array.from({ length: needed }, () => dpopProof(client, { url: URL_, token: bound, iat: now }));
let next = 0;

const contenders = {
  bearer: () => v.decide({ method: 'GET', url: URL_, headers: [['authorization', `Bearer ${bearer}`]] }, { now }),
  dpop: () => v.decide({ method: 'GET', url: URL_, headers: [['authorization', `DPoP ${bound}`], ['dpop', proofs[next++]]] }, { now }),
};
for (const [name, op] of Object.entries(contenders)) {
  const d = await op();
  if (!d.allow) throw new Error(`${name} was refused: ${d.body}`);
}

async function round(op, ms) {
  const end = process.hrtime.bigint() + BigInt(ms * 1e6);
  let ops = 0;
  const t0 = process.hrtime.bigint();
  while (process.hrtime.bigint() < end) {
    await op();
    ops++;
  }
  return Number(process.hrtime.bigint() - t0) / 1e3 / ops; // µs per request
}

const per = { bearer: [], dpop: [], added: [] };
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 ? ['dpop', 'bearer'] : ['bearer', 'dpop'];
  const got = {};
  for (const name of order) got[name] = await round(contenders[name], ROUND_MS);
  per.bearer.push(got.bearer);
  per.dpop.push(got.dpop);
  per.added.push(got.dpop - got.bearer);
}
if (next > proofs.length) throw new Error('ran out of proofs: raise `needed`');
const s = Object.fromEntries(Object.entries(per).map(([k, xs]) => [k, stats(xs)]));
console.log(JSON.stringify(s));
v.free();

const fmt = (n) => (n >= 100 ? Math.round(n).toString() : n.toFixed(1));
const row = (label, x) => `| ${label} | ${fmt(x.median)} | ${fmt(x.min)}–${fmt(x.max)} |`;
const target = join(ROOT, 'BENCHMARKS.md');
const doc = existsSync(target) ? readFileSync(target, 'utf8') : '';
const re = /<!-- dpop:begin[\s\S]*?<!-- dpop:end -->/;
const text = [
  '<!-- dpop:begin (written by `make bench-dpop`) -->',
  '## The added cost of a DPoP check (JS shim)',
  '',
  `\`bench/dpop-node.mjs\`, ${new Date().toISOString().slice(0, 16)}Z, Node ${process.version}: \`decide()\` on one request, ${ROUNDS} interleaved rounds of ${ROUND_MS} ms each, µs per request (median, min–max over rounds). *Bearer*: an ES256 access token. *DPoP*: an ES256 token bound to the client's key (\`cnf.jkt\`) with a fresh ES256 proof on every request: the proof's parsing and signature, \`htu\`/\`ath\`, the RFC 7638 thumbprint and the replay memory. The edge worker and Envoy run the same core code; a token's own verdict is cached there (the proof never is), so the added cost is the larger share of a request's time in those hosts. A proof costs more than the token's own check: the issuer's key, parsed once, grows its table of precomputed multiples after a few uses, while a proof's key is read from the proof's header on every request and verified without one.`,
  '',
  `Load average ${loadStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end (two cores, shared).`,
  '',
  '| request | µs per request | min–max |',
  '|---|---:|---:|',
  row('Bearer', s.bearer),
  row('DPoP (token + proof)', s.dpop),
  row('added by the DPoP check', s.added),
  '<!-- dpop:end -->',
].join('\n');
writeFileSync(target, re.test(doc) ? doc.replace(re, text) : `${doc.trimEnd()}\n\n${text}\n`);
console.log(`wrote the dpop block of ${target}`);
