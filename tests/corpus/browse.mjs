// Opens pairs of pages in headless Chromium (Debian's, through playwright-core) and compares
// them: the screenshot pixel by pixel, the text of chosen elements after the same actions, and
// what went wrong on each side (console errors, uncaught exceptions, failed requests, HTTP
// errors). Used by tests/integration/corpus.rs; prints one JSON document.
//
//   node browse.mjs OUT_DIR < cases.json
//
// A case: { name, a: URL, b: URL, actions?: [...], texts?: [selector], settle?: ms }
// An action: { click: selector } | { wait: selector } | { sleep: ms }
//
// Every request to a host other than loopback is aborted and listed as `external` (the
// machine has no network, and a page must not depend on it for the comparison to hold).
// Screenshots are of a tall fixed viewport, not "full page": a full-page capture resizes the
// window, which some pages' scripts react to (SB Admin 2 collapses its sidebar), so the
// same page would not even match itself.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';

const out = process.argv[2] || 'shots';
fs.mkdirSync(out, { recursive: true });
let cases = JSON.parse(fs.readFileSync(0, 'utf8'));
if (!Array.isArray(cases)) cases = [cases];

const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);
const isLocal = (u) => {
  try {
    const url = new URL(u);
    return !/^(https?|wss?):$/.test(url.protocol) || loopback.has(url.hostname);
  } catch {
    return true;
  }
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--font-render-hinting=none',
         '--disable-lcd-text', '--hide-scrollbars'],
});

async function visit(url, c, shot) {
  const r = { url, consoleErrors: [], pageErrors: [], failedRequests: [], httpErrors: [], external: [], texts: {},
              requests: [], error: null };
  const context = await browser.newContext({
    viewport: { width: 1200, height: c.height || 1600 }, deviceScaleFactor: 1, reducedMotion: 'reduce',
    colorScheme: 'light', locale: 'en-US', timezoneId: 'UTC', serviceWorkers: 'block',
  });
  const external = new Set();
  await context.route((u) => !isLocal(u.href), (route) => {
    external.add(route.request().url());
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  const onConsole = (where) => (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    // Chromium logs each aborted external request; those are listed as external.
    if (/ERR_BLOCKED_BY_CLIENT/.test(text)) return;
    r.consoleErrors.push(`${where}: ${text}`);
  };
  page.on('console', onConsole('page'));
  page.on('worker', (w) => w.on('console', onConsole('worker')));
  page.on('pageerror', (e) => r.pageErrors.push(String((e && e.stack) || e).split('\n')[0]));
  page.on('request', (req) => { if (isLocal(req.url())) r.requests.push(new URL(req.url()).pathname); });
  page.on('requestfailed', (req) => {
    if (isLocal(req.url())) r.failedRequests.push(`${req.url()} ${req.failure()?.errorText}`);
  });
  page.on('response', (res) => { if (res.status() >= 400) r.httpErrors.push(`${res.status()} ${res.url()}`); });
  try {
    await page.goto(url, { waitUntil: 'networkidle', timeout: 30000 });
    for (const a of c.actions || []) {
      if (a.click) await page.click(a.click, { timeout: 10000 });
      if (a.wait) await page.waitForSelector(a.wait, { timeout: 20000 });
      if (a.sleep) await page.waitForTimeout(a.sleep);
      await page.waitForLoadState('networkidle', { timeout: 30000 }).catch(() => {});
    }
    await page.evaluate(() => document.fonts.ready.then(() => undefined)).catch(() => {});
    // A lazy image out of view never decodes: wait for the others, not for ever.
    await page.evaluate(() => Promise.race([
      Promise.all([...document.images].map((i) => i.decode().catch(() => {}))),
      new Promise((ok) => setTimeout(ok, 3000)),
    ])).catch(() => {});
    await page.waitForTimeout(c.settle ?? 300);
    for (const sel of c.texts || []) {
      r.texts[sel] = await page.locator(sel).first().innerText({ timeout: 5000 }).catch((e) => `(missing: ${e.message.split('\n')[0]})`);
    }
    await page.screenshot({ path: shot, animations: 'disabled', caret: 'hide' });
  } catch (e) {
    r.error = String(e.message || e).split('\n')[0];
  }
  r.external = [...external].sort();
  r.requests.sort();
  await context.close();
  return r;
}

function samePixels(fa, fb) {
  if (!fs.existsSync(fa) || !fs.existsSync(fb)) return { compared: false, differing: -1 };
  const A = PNG.sync.read(fs.readFileSync(fa));
  const B = PNG.sync.read(fs.readFileSync(fb));
  if (A.width !== B.width || A.height !== B.height) return { compared: true, differing: A.width * A.height };
  let differing = 0;
  for (let i = 0; i < A.data.length; i += 4) {
    if (A.data[i] !== B.data[i] || A.data[i + 1] !== B.data[i + 1] || A.data[i + 2] !== B.data[i + 2] || A.data[i + 3] !== B.data[i + 3]) {
      differing++;
    }
  }
  return { compared: true, differing, bytes: fs.statSync(fa).size };
}

const results = [];
for (const c of cases) {
  const safe = String(c.name).replace(/[^\w.-]+/g, '_');
  const fa = path.join(out, `${safe}.a.png`);
  const fb = path.join(out, `${safe}.b.png`);
  const a = await visit(c.a, c, fa);
  const b = await visit(c.b, c, fb);
  results.push({ name: c.name, a, b, pixels: samePixels(fa, fb), shots: [fa, fb] });
}
await browser.close();
process.stdout.write(JSON.stringify(results, null, 1) + '\n');
