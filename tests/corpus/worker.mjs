// A Cloudflare Worker run locally in workerd (through Miniflare), for
// tests/integration/deltas.rs: the Worker `kiln edge cloudflare-worker` writes, with its
// ORIGIN variable set, served on a free loopback port.
//
//   node worker.mjs WORKER.js ORIGIN
//       Prints the Worker's URL on its first line, then serves until standard input closes.
import { readFileSync } from 'node:fs';
import { Miniflare } from 'miniflare';

const [scriptPath, origin] = process.argv.slice(2);
const script = readFileSync(scriptPath, 'utf8');
const mf = new Miniflare({ modules: true, script, bindings: { ORIGIN: origin }, host: '127.0.0.1', port: 0, compatibilityDate: '2026-07-01' });
const url = await mf.ready;
console.log(String(url));
process.stdin.resume();
process.stdin.on('end', async () => {
  await mf.dispose();
  process.exit(0);
});
