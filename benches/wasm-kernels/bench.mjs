// Kernel-level benchmark: azlens signature checks in wasm32 (bare cdylib, no JS glue) next to
// node:crypto and WebCrypto on the same keys, messages and signatures, and the whole token check
// next to jose's jwtVerify (WebCrypto). Prints a Markdown table of µs per operation and ratios.
//
//   node bench.mjs <path to azlens_wasm_kernels_bench.wasm> [--quick] [--only RS256,ES256]
//
// Every case is checked before it is timed: the valid signature must verify in all four, and a
// corrupted one must fail in azlens, so a fast wrong answer cannot look like a win.
import { readFileSync } from 'node:fs';
import crypto from 'node:crypto';
// Key pairs not shared with Node's key-generation job (see keyPair there).
import { keyPair } from '../../www/tools/jws.mjs';
import { performance } from 'node:perf_hooks';
import { jwtVerify } from 'jose';

const args = process.argv.slice(2);
const wasmPath = args.find((a) => !a.startsWith('--'));
if (!wasmPath) {
  console.error('usage: node bench.mjs <azlens_wasm_kernels_bench.wasm> [--quick] [--only A,B]');
  process.exit(2);
}
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.split('=')[1] ?? args[args.indexOf(onlyArg) + 1]).split(',') : null;

const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {});
const w = instance.exports;
const subtle = crypto.webcrypto.subtle;

// Index of each algorithm in azlens's `Algorithm::ALL`.
const ALG_CODE = { RS256: 0, RS384: 1, RS512: 2, PS256: 3, PS384: 4, PS512: 5, ES256: 6, ES384: 7, ES512: 8, EdDSA: 9 };

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const NOW = 1_800_000_000;

function put(bytes) {
  const ptr = w.input(bytes.length);
  new Uint8Array(w.memory.buffer, ptr, bytes.length).set(bytes);
}

const CASES = [
  { name: 'RS256', gen: ['rsa', { modulusLength: 2048 }], hash: 'sha256',
    node: { padding: crypto.constants.RSA_PKCS1_PADDING },
    web: { imp: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, ver: { name: 'RSASSA-PKCS1-v1_5' } } },
  { name: 'PS256', gen: ['rsa', { modulusLength: 2048 }], hash: 'sha256',
    node: { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
    web: { imp: { name: 'RSA-PSS', hash: 'SHA-256' }, ver: { name: 'RSA-PSS', saltLength: 32 } } },
  { name: 'RS256', label: 'RS256 (4096-bit)', gen: ['rsa', { modulusLength: 4096 }], hash: 'sha256',
    node: { padding: crypto.constants.RSA_PKCS1_PADDING },
    web: { imp: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, ver: { name: 'RSASSA-PKCS1-v1_5' } } },
  { name: 'ES256', gen: ['ec', { namedCurve: 'P-256' }], hash: 'sha256',
    node: { dsaEncoding: 'ieee-p1363' },
    web: { imp: { name: 'ECDSA', namedCurve: 'P-256' }, ver: { name: 'ECDSA', hash: 'SHA-256' } } },
  { name: 'ES384', gen: ['ec', { namedCurve: 'P-384' }], hash: 'sha384',
    node: { dsaEncoding: 'ieee-p1363' },
    web: { imp: { name: 'ECDSA', namedCurve: 'P-384' }, ver: { name: 'ECDSA', hash: 'SHA-384' } } },
  { name: 'ES512', gen: ['ec', { namedCurve: 'P-521' }], hash: 'sha512',
    node: { dsaEncoding: 'ieee-p1363' },
    web: { imp: { name: 'ECDSA', namedCurve: 'P-521' }, ver: { name: 'ECDSA', hash: 'SHA-512' } } },
  { name: 'EdDSA', gen: ['ed25519', {}], hash: null, node: {},
    web: { imp: { name: 'Ed25519' }, ver: { name: 'Ed25519' } } },
];

// µs per call for each of `fns` ({name: [fn, isAsync]}), two ways: CPU time of this process
// (all its threads, so WebCrypto's thread-pool work counts) and wall-clock time (which also
// counts the hand-offs an async API waits on). The machine is shared, so rounds of about `ms` ms
// are interleaved across the contenders, and each contender's best round is kept for each
// measure.
async function timeAll(fns, { rounds = quick ? 3 : 9, ms = quick ? 100 : 250 } = {}) {
  const cpu = {};
  const wall = {};
  for (const [name, [fn, isAsync]] of Object.entries(fns)) {
    for (let i = 0; i < 20; i++) isAsync ? await fn() : fn(); // warm up (JIT, lazy tables)
    cpu[name] = Infinity;
    wall[name] = Infinity;
  }
  for (let r = 0; r < rounds; r++) {
    for (const [name, [fn, isAsync]] of Object.entries(fns)) {
      let n = 0;
      const cpu0 = process.cpuUsage();
      const start = performance.now();
      let now = start;
      while (now - start < ms) {
        for (let i = 0; i < 4; i++) isAsync ? await fn() : fn();
        n += 4;
        now = performance.now();
      }
      const used = process.cpuUsage(cpu0);
      cpu[name] = Math.min(cpu[name], (used.user + used.system) / n);
      wall[name] = Math.min(wall[name], ((now - start) * 1000) / n);
    }
  }
  return { cpu, wall };
}

function assert(cond, what) {
  if (!cond) {
    console.error(`bench sanity check failed: ${what}`);
    process.exit(1);
  }
}

const rows = [];
for (const c of CASES) {
  const label = c.label ?? c.name;
  if (only && !only.includes(label) && !only.includes(c.name)) continue;
  const code = ALG_CODE[c.name];
  const { publicKey, privateKey } = keyPair(...c.gen);
  const jwk = publicKey.export({ format: 'jwk' });

  // A realistic JWS signing input: an access token of a few hundred bytes.
  const header = { alg: c.name, typ: 'at+jwt', kid: 'k1' };
  const claims = {
    iss: 'https://as.example', aud: 'https://fhir.example', sub: 'practitioner-123',
    iat: NOW - 60, exp: NOW + 3600, jti: crypto.randomUUID(), client_id: 'bench-client',
    scope: 'user/Patient.rs user/Observation.rs launch openid fhirUser',
  };
  const signingInput = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
  const message = Buffer.from(signingInput);
  const nodeOpts = { key: privateKey, ...c.node };
  const signature = crypto.sign(c.hash, message, nodeOpts);
  const token = `${signingInput}.${b64u(signature)}`;

  put(Buffer.from(JSON.stringify({ ...jwk, kid: 'k1' })));
  assert(w.load_key() === 1, `${label}: azlens did not load the key`);
  put(message);
  w.load_message();
  put(signature);
  w.load_signature();
  put(Buffer.from(token));
  w.load_token();

  const verifyOpts = { key: publicKey, ...c.node };
  const webKey = await subtle.importKey('jwk', jwk, c.web.imp, false, ['verify']);

  // Sanity: all agree the signature is valid, and azlens rejects a corrupted one.
  assert(w.verify(code, 1) === 1, `${label}: azlens rejected a valid signature`);
  assert(w.verify_token(code, 1, NOW) === 1, `${label}: azlens rejected a valid token`);
  assert(crypto.verify(c.hash, message, verifyOpts, signature), `${label}: node:crypto rejected`);
  assert(await subtle.verify(c.web.ver, webKey, signature, message), `${label}: WebCrypto rejected`);
  await jwtVerify(token, webKey, { issuer: 'https://as.example', audience: 'https://fhir.example', currentDate: new Date(NOW * 1000) });
  const bad = Buffer.from(signature);
  bad[bad.length >> 1] ^= 0x10;
  put(bad);
  w.load_signature();
  assert(w.verify(code, 1) === 0, `${label}: azlens accepted a corrupted signature`);
  put(signature);
  w.load_signature();

  const joseOpts = { issuer: 'https://as.example', audience: 'https://fhir.example', currentDate: new Date(NOW * 1000) };
  const t = await timeAll({
    wasm: [() => w.verify(code, 1), false],
    node: [() => crypto.verify(c.hash, message, verifyOpts, signature), false],
    web: [() => subtle.verify(c.web.ver, webKey, signature, message), true],
    wasmToken: [() => w.verify_token(code, 1, NOW), false],
    jose: [() => jwtVerify(token, webKey, joseOpts), true],
  });
  rows.push({ label, cpu: t.cpu, wall: t.wall });
  process.stderr.write(`${label} done\n`);
}

const f = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const r = (a, b) => (a / b).toFixed(2);
for (const measure of ['cpu', 'wall']) {
  const what = measure === 'cpu' ? 'CPU time' : 'wall-clock time';
  console.log(`\n${what}, µs per verification (best of interleaved rounds), Node ${process.version}; ratio = azlens ÷ other (below 1: azlens is faster)\n`);
  console.log('| algorithm | azlens sig | node:crypto | WebCrypto | ÷ node:crypto | ÷ WebCrypto | azlens token | jose jwtVerify | ÷ jose |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const x = row[measure];
    console.log(`| ${row.label} | ${f(x.wasm)} | ${f(x.node)} | ${f(x.web)} | ${r(x.wasm, x.node)} | ${r(x.wasm, x.web)} | ${f(x.wasmToken)} | ${f(x.jose)} | ${r(x.wasmToken, x.jose)} |`);
  }
}
