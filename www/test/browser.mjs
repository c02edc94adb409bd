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

/**
 * WCAG contrast of each visible element matching `selectors` against the background it is drawn
 * on (the nearest ancestor with an opaque background). Returns the pairs below `min`.
 */
export async function contrastProblems(page, selectors, min = 4.5) {
  return page.evaluate(
    ({ selectors, min }) => {
      const rgb = (c) => {
        const m = /rgba?\(([^)]+)\)/.exec(c);
        if (!m) return null;
        const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
        return { r, g, b, a };
      };
      const lum = ({ r, g, b }) => {
        const f = (v) => {
          const s = v / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
      };
      const background = (el) => {
        for (let n = el; n; n = n.parentElement) {
          const c = rgb(getComputedStyle(n).backgroundColor);
          if (c && c.a === 1) return c;
        }
        return { r: 255, g: 255, b: 255, a: 1 };
      };
      const out = [];
      for (const sel of selectors) {
        for (const el of document.querySelectorAll(sel)) {
          if (!el.getClientRects().length) continue;
          const fg = rgb(getComputedStyle(el).color);
          const bg = background(el);
          const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
          const ratio = (hi + 0.05) / (lo + 0.05);
          if (ratio < min) out.push(`${sel}: ${ratio.toFixed(2)} (${getComputedStyle(el).color} on rgb(${bg.r}, ${bg.g}, ${bg.b}))`);
          break;
        }
      }
      return out;
    },
    { selectors, min },
  );
}
