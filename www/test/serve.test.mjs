// The static server: what it serves, what it refuses, and the headers it sends.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, resolvePath } from '../serve.mjs';
import { PAGE_CSP, FETCHER_CSP, metaVersion } from '../csp.mjs';

let server;
let wwwRoot;
let jsRoot;

before(async () => {
  // A small tree of its own, so the test does not depend on a built wasm package.
  const dir = mkdtempSync(path.join(tmpdir(), 'azlens-serve-'));
  wwwRoot = path.join(dir, 'www');
  jsRoot = path.join(dir, 'js');
  mkdirSync(path.join(wwwRoot, 'demo'), { recursive: true });
  mkdirSync(path.join(wwwRoot, 'node_modules', 'x'), { recursive: true });
  mkdirSync(path.join(wwwRoot, 'test'), { recursive: true });
  mkdirSync(path.join(jsRoot, 'pkg'), { recursive: true });
  mkdirSync(path.join(jsRoot, 'test'), { recursive: true });
  mkdirSync(path.join(jsRoot, 'node_modules'), { recursive: true });
  writeFileSync(path.join(wwwRoot, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(path.join(wwwRoot, 'fetch-keys.html'), '<!doctype html><title>f</title>');
  writeFileSync(path.join(wwwRoot, 'app.js'), 'export {};');
  writeFileSync(path.join(wwwRoot, 'style.css'), 'body{}');
  writeFileSync(path.join(wwwRoot, 'demo', 'token.txt'), 'a.b.c');
  writeFileSync(path.join(wwwRoot, 'package.json'), '{}');
  writeFileSync(path.join(wwwRoot, 'serve.mjs'), '// secret-ish');
  writeFileSync(path.join(wwwRoot, 'node_modules', 'x', 'index.js'), '');
  writeFileSync(path.join(wwwRoot, 'test', 'a.test.mjs'), '');
  writeFileSync(path.join(jsRoot, 'index.js'), 'export const x = 1;');
  writeFileSync(path.join(jsRoot, 'package.json'), '{}');
  writeFileSync(path.join(jsRoot, 'test', 't.js'), '');
  writeFileSync(path.join(jsRoot, 'pkg', 'azlens_bg.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  writeFileSync(path.join(jsRoot, 'pkg', 'azlens.js'), 'export default 1;');
  writeFileSync(path.join(dir, 'outside.txt'), 'outside');
  symlinkSync(path.join(dir, 'outside.txt'), path.join(wwwRoot, 'link.txt'));
  server = await startServer({ port: 0, wwwRoot, jsRoot });
});

after(() => server?.close());

function get(pathname, method = 'GET') {
  return new Promise((resolve, reject) => {
    // A raw path: no client-side normalisation of dot segments.
    const req = request({ host: '127.0.0.1', port: server.port, path: pathname, method }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serves the page with its CSP and the right types', async () => {
  const index = await get('/');
  assert.equal(index.status, 200);
  assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(index.headers['content-security-policy'], PAGE_CSP);
  assert.equal(index.headers['x-content-type-options'], 'nosniff');
  assert.equal(index.headers['referrer-policy'], 'no-referrer');
  assert.equal((await get('/app.js')).headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal((await get('/style.css')).headers['content-type'], 'text/css; charset=utf-8');
  assert.equal((await get('/demo/token.txt')).body, 'a.b.c');
  const wasm = await get('/js/pkg/azlens_bg.wasm');
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers['content-type'], 'application/wasm');
  assert.equal((await get('/js/index.js')).body, 'export const x = 1;');
});

test('the key fetcher gets its own, network-enabled policy; nothing else does', async () => {
  const fetcher = await get('/fetch-keys.html');
  assert.equal(fetcher.headers['content-security-policy'], FETCHER_CSP);
  assert.match(FETCHER_CSP, /connect-src https:/);
  assert.match(PAGE_CSP, /connect-src 'self';/);
  assert.doesNotMatch(PAGE_CSP, /https:|\*/);
});

test('HEAD answers without a body; other methods are refused', async () => {
  const head = await get('/', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  const post = await get('/', 'POST');
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
});

test('no traversal, no listings, no tooling, nothing of js/ but the shim and its package', async () => {
  for (const p of [
    '/../outside.txt',
    '/%2e%2e/outside.txt',
    '/demo/%2e%2e/%2e%2e/outside.txt',
    '/demo/..%2f..%2foutside.txt',
    '/js/..%2foutside.txt',
    '/demo%5c..%5c..%5coutside.txt',
    '/index.html%00.txt',
    '/%E0%A4%A',
    '/demo/',
    '/demo',
    '/js/',
    '/js/pkg/',
    '/link.txt',
    '/package.json',
    '/serve.mjs',
    '/node_modules/x/index.js',
    '/test/a.test.mjs',
    '/js/package.json',
    '/js/test/t.js',
    '/.git/config',
    '/missing.html',
  ]) {
    const res = await get(p);
    assert.equal(res.status, 404, `${p} should be 404, was ${res.status}`);
    assert.doesNotMatch(res.body, /outside|secret/, p);
  }
});

test('resolvePath keeps every answer inside its tree', () => {
  const roots = { wwwRoot: '/srv/www', jsRoot: '/srv/js' };
  assert.deepEqual(resolvePath('/', roots), { root: '/srv/www', file: '/srv/www/index.html' });
  assert.deepEqual(resolvePath('/js/pkg/azlens.js', roots), { root: '/srv/js', file: '/srv/js/pkg/azlens.js' });
  assert.equal(resolvePath('/js/pkg/sub/x.js', roots), null);
  assert.equal(resolvePath('//etc/passwd.txt', roots), null);
  assert.equal(resolvePath('/a/./b.js', roots), null);
  assert.equal(resolvePath('/no-extension', roots), null);
});

test('the pages carry the same policy in <meta> as the server sends (without frame-ancestors)', () => {
  const here = path.dirname(new URL(import.meta.url).pathname);
  const metaOf = (file) => {
    const html = readFileSync(path.join(here, '..', file), 'utf8');
    return /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
  };
  assert.equal(metaOf('index.html'), metaVersion(PAGE_CSP));
  assert.equal(metaOf('fetch-keys.html'), metaVersion(FETCHER_CSP));
});
