// Page-level checks in headless Chromium (Debian's, through playwright-core), for
// tests/integration/pages.rs. Prints one JSON document.
//
//   node pages.mjs first-load URL
//       A fresh profile loads URL and waits 4 s (Chromium warns about an unused preload 3 s
//       after load): the requests made, console messages, and every <img> as the DOM has it.
//   node pages.mjs visit PROFILE URL
//       Loads URL with the profile PROFILE and waits until its service worker is active and
//       its precache filled.
//   node pages.mjs offline PROFILE URL [URL...]
//       With the same profile (its server stopped by the caller): each URL's text and title.
//   node pages.mjs deploy URL SELECTOR EXPECT -- COMMAND [ARG...]
//       Opens URL, runs COMMAND (a deploy), then clicks SELECTOR in the tab left open and waits
//       for EXPECT in the page: the page's text, console errors and failed requests.
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const args = ['--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

function watch(page, r) {
  page.on('console', (m) => r.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => r.console.push(`pageerror: ${String(e).split('\n')[0]}`));
  page.on('request', (q) => r.requests.push(new URL(q.url()).pathname));
  page.on('requestfailed', (q) => r.failed.push(`${new URL(q.url()).pathname} ${q.failure()?.errorText}`));
}

const images = (page) => page.evaluate(() => [...document.images].map((i) => ({
  src: new URL(i.currentSrc || i.src).pathname,
  width: i.getAttribute('width'),
  height: i.getAttribute('height'),
  loading: i.getAttribute('loading'),
  fetchpriority: i.getAttribute('fetchpriority'),
  complete: i.complete && i.naturalWidth > 0,
})));

async function firstLoad(url) {
  const browser = await chromium.launch({ executablePath, args });
  const page = await (await browser.newContext({ viewport: { width: 1000, height: 800 } })).newPage();
  const r = { console: [], requests: [], failed: [] };
  watch(page, r);
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForTimeout(4000);
  r.images = await images(page);
  r.transfer = await page.evaluate(() => {
    const entries = [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')];
    return { requests: entries.length, bytes: entries.reduce((n, e) => n + (e.transferSize || 0), 0) };
  });
  await browser.close();
  return r;
}

async function visit(profile, url) {
  const context = await chromium.launchPersistentContext(profile, { executablePath, args, headless: true });
  const page = await context.newPage();
  const r = { console: [], requests: [], failed: [] };
  watch(page, r);
  await page.goto(url, { waitUntil: 'load' });
  r.caches = await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    for (let i = 0; i < 100 && !reg.active; i++) await new Promise((ok) => setTimeout(ok, 50));
    const names = await caches.keys();
    const precache = names.find((n) => n.startsWith('kiln-precache-'));
    return { names, entries: precache ? (await (await caches.open(precache)).keys()).length : 0 };
  });
  await context.close();
  return r;
}

async function offline(profile, urls) {
  const context = await chromium.launchPersistentContext(profile, { executablePath, args, headless: true });
  const out = [];
  for (const url of urls) {
    const page = await context.newPage();
    const r = { url, console: [], requests: [], failed: [] };
    watch(page, r);
    try {
      await page.goto(url, { waitUntil: 'load', timeout: 15000 });
      await page.evaluate(() => document.fonts.ready.then(() => undefined));
      r.title = await page.title();
      r.text = await page.evaluate(() => document.body.innerText);
      r.images = await images(page);
    } catch (e) {
      r.error = String(e).split('\n')[0];
    }
    out.push(r);
    await page.close();
  }
  await context.close();
  return out;
}

async function deploy(url, selector, expect, command) {
  const browser = await chromium.launch({ executablePath, args });
  const page = await (await browser.newContext()).newPage();
  const r = { console: [], requests: [], failed: [] };
  watch(page, r);
  await page.goto(url, { waitUntil: 'load' });
  r.before = await page.evaluate(() => document.body.innerText);
  r.deploy = execFileSync(command[0], command.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  await page.click(selector);
  try {
    await page.waitForFunction((t) => document.body.innerText.includes(t), expect, { timeout: 10000 });
  } catch (e) {
    r.error = String(e).split('\n')[0];
  }
  r.after = await page.evaluate(() => document.body.innerText);
  // A new tab gets the new deploy.
  const fresh = await (await browser.newContext()).newPage();
  await fresh.goto(url, { waitUntil: 'load' });
  await fresh.click(selector);
  await fresh.waitForTimeout(1500);
  r.fresh = await fresh.evaluate(() => document.body.innerText);
  await browser.close();
  return r;
}

const [mode, ...rest] = process.argv.slice(2);
let result;
if (mode === 'first-load') result = await firstLoad(rest[0]);
else if (mode === 'visit') result = await visit(rest[0], rest[1]);
else if (mode === 'offline') result = await offline(rest[0], rest.slice(1));
else if (mode === 'deploy') {
  const cut = rest.indexOf('--');
  result = await deploy(rest[0], rest[1], rest[2], rest.slice(cut + 1));
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
console.log(JSON.stringify(result, null, 1));
