#!/usr/bin/env node
// kiln's launcher: finds the binary of this machine's platform package (an optional
// dependency npm installed beside this one) and runs it with the arguments given, passing on
// its exit code, or the signal that stopped it. KILN_BINARY names another binary to run.
'use strict';

const { spawnSync } = require('node:child_process');

const SCOPE = '@kiln-build';
// The platforms with a package, as npm/pack.mjs wrote them beside this package's manifest.
const SUPPORTED = require('../platforms.json');

/** The platform packages that can run here, best first. */
function candidates() {
  const { platform, arch } = process;
  if (platform !== 'linux') return [`${platform}-${arch}`];
  const report = process.report && typeof process.report.getReport === 'function' ? process.report.getReport() : null;
  const glibc = Boolean(report && report.header && report.header.glibcVersionRuntime);
  // The musl builds are static: they also run on a glibc system.
  return glibc ? [`linux-${arch}-gnu`, `linux-${arch}-musl`] : [`linux-${arch}-musl`];
}

function binary() {
  if (process.env.KILN_BINARY) return process.env.KILN_BINARY;
  const keys = candidates();
  const exe = process.platform === 'win32' ? 'kiln.exe' : 'kiln';
  for (const key of keys) {
    try {
      return require.resolve(`${SCOPE}/${key}/bin/${exe}`);
    } catch (_) {
      // not installed: try the next one
    }
  }
  const wanted = keys.map((k) => `${SCOPE}/${k}`).join(' or ');
  const lines = SUPPORTED.includes(keys[0])
    ? [
        `kiln: the binary for this platform (${keys[0]}) is missing: ${wanted} is not installed.`,
        'npm installs it as an optional dependency of @kiln-build/kiln; it is skipped when optional',
        'dependencies are turned off (--omit=optional, --no-optional) or when node_modules was',
        'copied from another platform. Reinstall with optional dependencies on, or set KILN_BINARY',
        'to a kiln binary.',
      ]
    : [
        `kiln: no prebuilt binary for this platform (${keys[0]}); there are binaries for ${SUPPORTED.join(', ')}.`,
        'Build kiln with `cargo install kiln --locked` and set KILN_BINARY to it.',
      ];
  console.error(lines.join('\n'));
  process.exit(1);
}

const bin = binary();
const result = spawnSync(bin, process.argv.slice(2), { stdio: 'inherit', windowsHide: true });
if (result.error) {
  console.error(`kiln: cannot run ${bin}: ${result.error.message}`);
  process.exit(1);
}
if (result.signal) {
  // Stop the way the binary stopped, so that a shell sees the same status.
  process.kill(process.pid, result.signal);
}
process.exit(result.status === null ? 1 : result.status);
