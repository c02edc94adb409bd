// A tiny static server for the inspector page: www/ at /, the JS shim (js/*.js and js/pkg/) at
// /js/. Loopback only, GET and HEAD only, no directory listings, nothing outside those two
// trees, and the page's Content-Security-Policy on every answer.
//
//   node www/serve.mjs [--port 8080] [--host 127.0.0.1] [--quiet]
//
// Tests import `startServer` and run it on a free port.

import { createServer } from 'node:http';
import { realpath, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAGE_CSP, FETCHER_CSP } from './csp.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.dirname(here);

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

// Files of the page tree that are tooling, not page: never served.
const PRIVATE_IN_WWW = new Set(['node_modules', 'test', 'tools', 'serve.mjs', 'csp.mjs', 'package.json', 'package-lock.json', 'make-demo.mjs']);

/** The documents that get the fetcher's policy instead of the page's (see csp.mjs). */
const FETCHER_DOCUMENTS = new Set(['/fetch-keys.html']);

/**
 * Map a request path to a file under one of the served trees, or null. The path is decoded
 * once, must be absolute, may not contain NUL, backslashes, or dot segments, and every segment
 * must be an ordinary name: no traversal is possible before the file system is asked.
 */
export function resolvePath(urlPath, { wwwRoot = here, jsRoot = path.join(repo, 'js') } = {}) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return null;
  if (decoded === '/') decoded = '/index.html';
  const segments = decoded.slice(1).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.startsWith('.'))) return null;
  if (!MIME[path.extname(segments.at(-1))]) return null;

  if (segments[0] === 'js') {
    // The shim's modules (js/*.js) and the built package (js/pkg/*): nothing else of js/.
    const rest = segments.slice(1);
    const shimModule = rest.length === 1 && rest[0].endsWith('.js');
    const pkgFile = rest.length === 2 && rest[0] === 'pkg';
    if (!shimModule && !pkgFile) return null;
    return { root: jsRoot, file: path.join(jsRoot, ...rest) };
  }
  if (PRIVATE_IN_WWW.has(segments[0]) || segments.some((s) => PRIVATE_IN_WWW.has(s))) return null;
  return { root: wwwRoot, file: path.join(wwwRoot, ...segments) };
}

function headersFor(urlPath, type) {
  const csp = FETCHER_DOCUMENTS.has(urlPath) ? FETCHER_CSP : PAGE_CSP;
  return {
    'content-type': type,
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
    // The sandboxed key fetcher has an opaque origin: its module scripts are CORS requests.
    'access-control-allow-origin': '*',
    // The page is a development tool: always serve what is on disk.
    'cache-control': 'no-store',
  };
}

async function answer(req, res, roots) {
  const send = (status, body, extra = {}) => {
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-security-policy': PAGE_CSP,
      'x-content-type-options': 'nosniff',
      ...extra,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return send(405, 'Only GET and HEAD are served.\n', { allow: 'GET, HEAD' });
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const target = resolvePath(url.pathname, roots);
  if (!target) return send(404, 'Not found.\n');
  let file;
  try {
    // Symbolic links may not lead out of the served tree.
    const [real, realRoot] = await Promise.all([realpath(target.file), realpath(target.root)]);
    if (!real.startsWith(realRoot + path.sep)) return send(404, 'Not found.\n');
    if (!(await stat(real)).isFile()) return send(404, 'Not found.\n');
    file = real;
  } catch {
    return send(404, 'Not found.\n');
  }
  const body = await readFile(file);
  const type = MIME[path.extname(file)];
  res.writeHead(200, { ...headersFor(url.pathname === '/' ? '/index.html' : url.pathname, type), 'content-length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * Start serving. Resolves to `{ url, port, close() }` once listening.
 * @param {{ port?: number, host?: string, log?: (line: string) => void,
 *           wwwRoot?: string, jsRoot?: string }} [o]  port 0 picks a free port.
 */
export function startServer({ port = 8080, host = '127.0.0.1', log = () => {}, wwwRoot, jsRoot } = {}) {
  const roots = { wwwRoot: wwwRoot ?? here, jsRoot: jsRoot ?? path.join(repo, 'js') };
  const server = createServer((req, res) => {
    answer(req, res, roots)
      .then(() => log(`${req.method} ${req.url} → ${res.statusCode}`))
      .catch((e) => {
        log(`${req.method} ${req.url} failed: ${e?.message ?? e}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('Internal error.\n');
      });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const actual = server.address().port;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${actual}/`,
        port: actual,
        close: () => new Promise((done) => {
          server.closeAllConnections?.();
          server.close(() => done());
        }),
      });
    });
  });
}

function parseArgs(argv) {
  const o = { port: Number(process.env.PORT ?? 8080), host: '127.0.0.1', quiet: false };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--port') o.port = Number(argv[++i]);
    else if (a === '--host') o.host = argv[++i];
    else if (a === '--quiet') o.quiet = true;
    else throw new Error(`unknown argument ${a} (use --port N, --host ADDRESS, --quiet)`);
  }
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new Error('--port must be a port number');
  return o;
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`serve.mjs: ${e.message}`);
    process.exit(2);
  }
  const wasm = path.join(repo, 'js', 'pkg', 'azlens_bg.wasm');
  try {
    await stat(wasm);
  } catch {
    console.error(`serve.mjs: ${path.relative(process.cwd(), wasm)} is missing: run \`make build\` first (\`make serve\` does).`);
    process.exit(1);
  }
  let server;
  try {
    server = await startServer({ ...o, log: o.quiet ? undefined : (line) => console.log(line) });
  } catch (e) {
    const why = e?.code === 'EADDRINUSE' ? `port ${o.port} is in use (try PORT=8081 make serve)` : e?.message ?? e;
    console.error(`serve.mjs: cannot listen on ${o.host}:${o.port}: ${why}`);
    process.exit(1);
  }
  console.log(`Serving the azlens inspector (www/ and js/) on ${server.url}`);
  console.log('Loopback only; the page makes no request beyond this server unless you click "Fetch keys". Ctrl-C stops.');
  const stop = () => server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
