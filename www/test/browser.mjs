// Browser-test plumbing: the page's own server on a free loopback port, Debian's Chromium driven
// by playwright-core (never a downloaded browser), and a watch on everything the page does:
// every request (which must stay on 127.0.0.1), page errors and console errors.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../serve.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SCREENSHOTS = path.resolve(here, '..', '..', 'target', 'screenshots');

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Start the static server and the browser. Returns `{ server, browser, close() }`. */
export async function startSession() {
  const server = await startServer({ port: 0 });
  // playwright gives every launch a fresh, temporary user-data-dir.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  return {
    server,
    browser,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** Is this URL on the loopback address the tests use? (data: and blob: never leave the page.) */
export function staysLocal(url) {
  const u = new URL(url);
  if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true;
  return u.hostname === '127.0.0.1';
}

/**
 * A fresh context and page with watchers. `watch.requests` lists every URL requested (from any
 * frame); a request to anything but 127.0.0.1 is recorded and aborted, so it never goes out.
 */
export async function openPage(session, { viewport = { width: 1280, height: 900 }, colorScheme = 'light' } = {}) {
  const context = await session.browser.newContext({ viewport, colorScheme, permissions: ['clipboard-read', 'clipboard-write'] });
  const watch = { requests: [], offLoopback: [], pageErrors: [], consoleErrors: [] };
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (staysLocal(url)) return route.continue();
    watch.offLoopback.push(url);
    return route.abort('blockedbyclient');
  });
  context.on('request', (req) => watch.requests.push(req.url()));
  const page = await context.newPage();
  page.on('pageerror', (e) => watch.pageErrors.push(String(e?.stack ?? e)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') watch.consoleErrors.push(msg.text());
  });
  return { context, page, watch };
}

/** Load the inspector and wait until the example has been checked. */
export async function loadInspector(session, page) {
  await page.goto(session.server.url);
  await page.waitForFunction(() => {
    const v = document.querySelector('#verdict');
    return v && !v.hasAttribute('aria-busy') && v.dataset.state && v.dataset.state !== 'loading';
  });
}

/** Wait for the verdict banner to settle in `state` after an edit. */
export async function verdictState(page, state) {
  await page.waitForFunction(
    (s) => {
      const v = document.querySelector('#verdict');
      return v && !v.hasAttribute('aria-busy') && v.dataset.state === s;
    },
    state,
    { timeout: 10_000 },
  );
  return page.locator('#verdict-body').innerText();
}

/** Save a screenshot under target/screenshots/. */
export async function screenshot(page, name, { fullPage = true } = {}) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

/** The watch must show a clean session: loopback requests only, no errors of any kind. */
export function assertClean(assert, watch, { allowConsole = [] } = {}) {
  assert.deepEqual(watch.offLoopback, [], 'requests left 127.0.0.1');
  for (const url of watch.requests) assert.ok(staysLocal(url), `request to ${url}`);
  assert.deepEqual(watch.pageErrors, [], 'page errors');
  const unexpected = watch.consoleErrors.filter((t) => !allowConsole.some((re) => re.test(t)));
  assert.deepEqual(unexpected, [], 'console errors');
}
