// Visits in headless Chromium (Debian's, through playwright-core) for
// tests/integration/deltas.rs and benches/deltas.sh. Prints one JSON document.
//
//   node delta.mjs PROFILE URL [--no-dictionaries] [-- COMMAND [ARG...]]
//       Loads URL with the profile folder PROFILE, waits for the network to settle, and
//       reports every response (its path, status, Content-Encoding, the request's
//       Available-Dictionary, and Chromium's own count of the body bytes received), the console
//       messages and failed requests, and the page's text. With a COMMAND (a rebuild, a
//       deploy), runs it after that visit and visits URL again in the same browser: a returning
//       visitor. --no-dictionaries turns Chromium's compression-dictionary support off (a
//       client without dcb/dcz).
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const command = dash >= 0 ? argv.slice(dash + 1) : null;
const [profile, url, ...flags] = dash >= 0 ? argv.slice(0, dash) : argv;
const args = ['--no-sandbox', '--disable-gpu', '--disable-background-networking'];
if (flags.includes('--no-dictionaries')) args.push('--disable-features=CompressionDictionaryTransport,CompressionDictionaryTransportBackend');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

async function visit(context) {
  const page = await context.newPage();
  const r = { console: [], failed: [], responses: [] };
  page.on('console', (m) => r.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => r.console.push(`pageerror: ${String(e).split('\n')[0]}`));
  page.on('requestfailed', (q) => r.failed.push(`${new URL(q.url()).pathname} ${q.failure()?.errorText}`));
  const done = [];
  page.on('response', (res) => done.push((async () => {
    const headers = await res.allHeaders();
    const request = await res.request().allHeaders();
    const sizes = await res.request().sizes().catch(() => ({ responseBodySize: -1 }));
    r.responses.push({
      path: new URL(res.url()).pathname,
      status: res.status(),
      encoding: headers['content-encoding'] || null,
      available: request['available-dictionary'] || null,
      body: sizes.responseBodySize,
    });
  })()));
  await page.goto(url, { waitUntil: 'networkidle' });
  await Promise.all(done);
  r.text = await page.evaluate(() => document.body.innerText);
  // Dictionaries are stored after their responses: give Chromium a moment.
  await page.waitForTimeout(500);
  await page.close();
  r.responses.sort((a, b) => a.path.localeCompare(b.path));
  return r;
}

const context = await chromium.launchPersistentContext(profile, { executablePath, args, headless: true });
const visits = [await visit(context)];
if (command) {
  execFileSync(command[0], command.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
  visits.push(await visit(context));
}
await context.close();
console.log(JSON.stringify(visits, null, 1));
