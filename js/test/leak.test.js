// The leak test through JS decide(): a small Node HTTP gateway that asks the shim's decide() about
// every request and forwards what it allows — the canonical `upstream_path` and the body bytes it
// read — to a real FHIR engine (tests/hosts/fhir/server.mjs, Medplum's fhir-router) holding
// patients A and B. The same crafted requests as the worker and Envoy leak tests; no response may
// carry B's data, and A's legitimate requests must still get A's data.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { init, createVerifier } from '../index.js';
import { sign, keyFor, jwkOf } from './helpers.js';
import { startFhirServer } from '../../tests/hosts/fhir/server.mjs';
import { runSuite, CLASSES, TOKEN_SCOPES, PATIENT } from '../../tests/hosts/fhir/leak-suite.mjs';

await init();

const ISS = 'https://as.example';
const AUD = 'https://fhir.example';
const MAX_BODY = 1024 * 1024;
const bench = {};

/** The raw path and query of a request target (origin-form or absolute-form), as sent. */
function splitTarget(target) {
  const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(target);
  const rest = absolute ? target.slice(absolute[0].length) || '/' : target;
  const at = rest.indexOf('?');
  return at < 0 ? { path: rest, query: '' } : { path: rest.slice(0, at), query: rest.slice(at + 1) };
}

async function readBody(req) {
  const chunks = [];
  let total = 0;
  for await (const c of req) {
    total += c.length;
    if (total > MAX_BODY) break;
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

function gateway(verifier, upstreamPort) {
  return http.createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      const headers = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
      const d = await verifier.decide({ method: req.method, ...splitTarget(req.url), headers, body });
      if (!d.allow) {
        res.writeHead(d.status, { 'content-type': 'application/json' });
        res.end(d.body ?? '');
        return;
      }
      const out = {};
      for (const [n, v] of headers) {
        const name = n.toLowerCase();
        if (name === 'host' || name === 'content-length' || d.remove_headers.includes(name)) continue;
        out[name] = out[name] === undefined ? v : `${out[name]}, ${v}`;
      }
      for (const [n, v] of d.set_headers) out[n] = v;
      const up = http.request(
        { host: '127.0.0.1', port: upstreamPort, method: req.method, path: d.upstream_path, headers: { ...out, 'content-length': body.length } },
        (r) => {
          res.writeHead(r.statusCode, { 'content-type': r.headers['content-type'] ?? 'application/json' });
          r.pipe(res);
        },
      );
      up.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      up.end(body);
    } catch (e) {
      res.writeHead(500);
      res.end(String(e));
    }
  });
}

before(async () => {
  const key = keyFor('ES256');
  bench.fhir = await startFhirServer();
  const verifier = createVerifier({
    algorithms: ['ES256'],
    issuer: ISS,
    audience: AUD,
    keys: jwkOf(key),
    routes: [
      { pathPrefix: '/fhir', fhir: true },
      { pathPrefix: '/health', open: true },
      { pathPrefix: '/.well-known', open: true },
    ],
  });
  bench.server = gateway(verifier, bench.fhir.port);
  await new Promise((resolve) => bench.server.listen(0, '127.0.0.1', resolve));
  const now = Math.floor(Date.now() / 1000);
  const tokens = Object.fromEntries(
    Object.entries(TOKEN_SCOPES).map(([k, scope]) => [
      k,
      sign('ES256', key, {}, { iss: ISS, aud: AUD, sub: 'app', exp: now + 600, iat: now, scope, patient: PATIENT }),
    ]),
  );
  bench.run = await runSuite({
    gateway: { host: '127.0.0.1', port: bench.server.address().port },
    upstream: { host: '127.0.0.1', port: bench.fhir.port },
    tokens,
  });
  console.log(`JS decide(): ${bench.run.summary}`);
});

after(async () => {
  await new Promise((resolve) => (bench.server ? bench.server.close(resolve) : resolve()));
  await bench.fhir?.close();
});

const describe = (r) => `${r.name} → ${r.status}${r.error ? ` (${r.error})` : ''}: ${r.leaks.join('; ')}`;

for (const cls of CLASSES) {
  test(`leak through JS decide(), ${cls}: no response carries patient B's data`, () => {
    const mine = bench.run.results.filter((r) => r.cls === cls);
    assert.ok(mine.length > 0, `the suite has requests of class ${cls}`);
    const leaked = mine.filter((r) => r.leaks.length > 0);
    assert.deepEqual(leaked.map(describe), [], `${leaked.length} of ${mine.length} ${cls} requests leaked`);
  });
}

test("leak through JS decide(): patient A still gets A's data (legitimate requests)", () => {
  const legit = bench.run.results.filter((r) => r.cls === 'legitimate' && !r.optional);
  assert.ok(legit.length >= 20);
  const failed = legit.filter((r) => !r.legitOk);
  assert.deepEqual(
    failed.map((r) => `${r.name} → ${r.status}${r.missing?.length ? `, missing ${r.missing.join(', ')}` : ''}${r.leaks.length ? `, leaked ${r.leaks.join('; ')}` : ''}`),
    [],
  );
  assert.ok(bench.run.attacksSent >= 200, `${bench.run.attacksSent} crafted requests`);
});
