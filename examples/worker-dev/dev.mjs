// The edge worker on this computer, offline: `make dev-worker` runs this. It starts a key server
// (http://127.0.0.1:8789/jwks, a fresh ES256 key) and an upstream that echoes what reached it
// (http://127.0.0.1:8788), then `wrangler dev --env dev --local` on http://127.0.0.1:8787 with
// wrangler.toml's [env.dev] section, which points the worker at those two. It prints tokens to
// try with curl. Ctrl-C stops everything.
//
//   node examples/worker-dev/dev.mjs            # make dev-worker
//   node examples/worker-dev/dev.mjs --check    # start, send the requests below, check, stop
//
// The ports are the ones [env.dev] in wrangler.toml names. Nothing leaves 127.0.0.1; wrangler's
// metrics are off (it may still print that it could not reach Cloudflare: harmless).

import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WRANGLER = join(ROOT, 'tests', 'hosts', 'worker', 'node_modules', '.bin', 'wrangler');
const CHECK = process.argv.includes('--check');
const ISSUER = 'http://127.0.0.1:8789';
const AUDIENCE = 'http://127.0.0.1:8787/fhir';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
// a new kid each run: a key set another run left in a cache is never mistaken for this one
const kid = `dev-${randomBytes(4).toString('hex')}`;
const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
const b64 = (s) => Buffer.from(s).toString('base64url');
function token(claims) {
  const h = b64(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid }));
  const now = Math.floor(Date.now() / 1000);
  const p = b64(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'dev-user', client_id: 'dev-app', iat: now, exp: now + 3600, ...claims }));
  const s = sign('sha256', Buffer.from(`${h}.${p}`), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${h}.${p}.${b64(s)}`;
}

function listen(port, handler) {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const keys = await listen(8789, (req, res) => {
  res.writeHead(req.url === '/jwks' ? 200 : 404, { 'content-type': 'application/jwk-set+json', 'cache-control': 'max-age=300' });
  res.end(req.url === '/jwks' ? JSON.stringify({ keys: [jwk] }) : '');
});
const upstream = await listen(8788, (req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ reached: 'upstream', method: req.method, url: req.url, user: req.headers['x-auth-sub'] ?? null, patient: req.headers['x-auth-patient'] ?? null }));
});

const scratch = mkdtempSync(join(tmpdir(), 'azlens-dev-worker-'));
const wrangler = spawn(WRANGLER, ['dev', '--env', 'dev', '--local', '--ip', '127.0.0.1', '--port', '8787', '--show-interactive-dev-session=false', '--persist-to', join(scratch, 'state')], {
  cwd: ROOT,
  stdio: CHECK ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', XDG_CONFIG_HOME: scratch, WRANGLER_LOG_PATH: scratch },
});
let output = '';
wrangler.stdout?.on('data', (d) => (output += d));
wrangler.stderr?.on('data', (d) => (output += d));

function stop(code) {
  wrangler.kill('SIGTERM');
  keys.close();
  upstream.close();
  rmSync(scratch, { recursive: true, force: true });
  process.exitCode = code;
}
process.on('SIGINT', () => stop(0));
wrangler.on('exit', (code) => {
  if (CHECK && process.exitCode === undefined) {
    console.error(output);
    console.error(`wrangler dev exited (${code}) before the check finished`);
    stop(1);
  }
});

const fhir = token({ scope: 'launch/patient patient/Observation.rs', patient: '123' });
const expired = token({ scope: 'patient/Observation.rs', patient: '123', iat: 1795000000, exp: 1795000300 });

async function ready() {
  for (let i = 0; i < 600; i++) {
    try {
      await fetch('http://127.0.0.1:8787/');
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`wrangler dev did not answer on 127.0.0.1:8787 within a minute:\n${output}`);
}

await ready();
const tries = [
  ['/fhir/Observation?patient=123', fhir, 200],
  ['/fhir/Observation?patient=456', fhir, 403],
  ['/fhir/Observation?patient=123', expired, 401],
  ['/fhir/Observation?patient=123', null, 401],
  ['/fhir/metadata', null, 200],
];
if (CHECK) {
  let failed = 0;
  for (const [path, t, want] of tries) {
    const res = await fetch(`http://127.0.0.1:8787${path}`, { headers: t ? { authorization: `Bearer ${t}` } : {} });
    const body = await res.text();
    const ok = res.status === want;
    if (!ok) failed++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${res.status} (want ${want}) GET ${path}${t ? ' with a token' : ''}: ${body.slice(0, 160)}`);
  }
  if (failed > 0) console.error(output);
  stop(failed > 0 ? 1 : 0);
} else {
  console.log(`
azlens edge worker on http://127.0.0.1:8787 (wrangler dev --env dev --local), keys from ${ISSUER}/jwks,
upstream http://127.0.0.1:8788. Try:

  F='authorization: Bearer ${fhir}'
  curl -i -H "$F" 'http://127.0.0.1:8787/fhir/Observation?patient=123'   # 200 (reaches the upstream)
  curl -i -H "$F" 'http://127.0.0.1:8787/fhir/Observation?patient=456'   # 403 insufficient_scope
  curl -i 'http://127.0.0.1:8787/fhir/Observation?patient=123'           # 401
  curl -i -H 'authorization: Bearer ${expired}' 'http://127.0.0.1:8787/fhir/Observation?patient=123'   # 401 expired

Ctrl-C stops the worker and both servers.`);
}
