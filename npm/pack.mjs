#!/usr/bin/env node
// Writes kiln's npm packages from one template: the main package (@kiln-build/kiln: the
// launcher, the config schemas, and one optional dependency per platform) and the package of
// one platform (its binary), all at the version of Cargo.toml.
//
//   node npm/pack.mjs --out DIR                       # the main package and the host's, from
//                                                     # target/release/kiln
//   node npm/pack.mjs --out DIR --binary PATH --platform linux-arm64-musl
//   node npm/pack.mjs --out DIR --main                # the main package only
//   node npm/pack.mjs --out DIR --pack                # also `npm pack` each into DIR
//   node npm/pack.mjs --list                          # the platforms, one per line
//
// Each package is written to DIR/<name without scope> (kiln, linux-x64-gnu, …); with --pack
// its tarball lands in DIR and its path is printed. The repository URL written into the
// packages (npm's provenance checks it) comes from KILN_REPOSITORY, as the release workflow
// sets it.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const SCOPE = '@kiln-build';

// Every platform a package is published for: npm installs only the one whose os, cpu (and,
// on Linux, libc) match the machine. `target` is the Rust target the release workflow builds.
export const PLATFORMS = [
  { key: 'linux-x64-gnu', os: 'linux', cpu: 'x64', libc: 'glibc', target: 'x86_64-unknown-linux-gnu' },
  { key: 'linux-arm64-gnu', os: 'linux', cpu: 'arm64', libc: 'glibc', target: 'aarch64-unknown-linux-gnu' },
  { key: 'linux-x64-musl', os: 'linux', cpu: 'x64', libc: 'musl', target: 'x86_64-unknown-linux-musl' },
  { key: 'linux-arm64-musl', os: 'linux', cpu: 'arm64', libc: 'musl', target: 'aarch64-unknown-linux-musl' },
  { key: 'darwin-x64', os: 'darwin', cpu: 'x64', target: 'x86_64-apple-darwin' },
  { key: 'darwin-arm64', os: 'darwin', cpu: 'arm64', target: 'aarch64-apple-darwin' },
  { key: 'win32-x64', os: 'win32', cpu: 'x64', target: 'x86_64-pc-windows-msvc' },
];

/** The version of the kiln crate, from Cargo.toml's [package] table. */
export function cargoVersion() {
  const text = readFileSync(join(repo, 'Cargo.toml'), 'utf8');
  const pkg = text.split(/^\[/m).find((t) => t.startsWith('package]'));
  const m = pkg && pkg.match(/^version\s*=\s*"([^"]+)"/m);
  if (!m) throw new Error('Cargo.toml: no version in [package]');
  return m[1];
}

/** The platform this script runs on, by the rule the launcher uses. */
export function hostKey() {
  const { platform, arch } = process;
  if (platform !== 'linux') return `${platform}-${arch}`;
  const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
  return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
}

function common(version) {
  const url = process.env.KILN_REPOSITORY || 'https://github.com/OWNER/kiln';
  return {
    version,
    license: 'MIT OR Apache-2.0',
    repository: { type: 'git', url: `git+${url.replace(/\.git$/, '')}.git` },
    homepage: `${url.replace(/\.git$/, '')}#readme`,
  };
}

function write(dir, manifest) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
}

/** The main package: the launcher, the schemas, and every platform package as optional. */
export function writeMain(out, version) {
  const dir = join(out, 'kiln');
  const optionalDependencies = Object.fromEntries(PLATFORMS.map((p) => [`${SCOPE}/${p.key}`, version]));
  write(dir, {
    name: `${SCOPE}/kiln`,
    description: 'Build a frontend source tree into hashed, pre-compressed, CDN-ready files and ship them',
    ...common(version),
    keywords: ['bundler', 'build', 'cdn', 'brotli', 'performance-budget', 's3'],
    bin: { kiln: 'bin/kiln.js' },
    files: ['bin/kiln.js', 'platforms.json', 'schema/*.json', 'README.md'],
    engines: { node: '>=18' },
    optionalDependencies,
  });
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(here, 'kiln', 'bin', 'kiln.js'), join(dir, 'bin', 'kiln.js'));
  chmodSync(join(dir, 'bin', 'kiln.js'), 0o755);
  writeFileSync(join(dir, 'platforms.json'), JSON.stringify(PLATFORMS.map((p) => p.key)) + '\n');
  cpSync(join(repo, 'schema'), join(dir, 'schema'), { recursive: true });
  copyFileSync(join(here, 'kiln', 'README.md'), join(dir, 'README.md'));
  return dir;
}

/** The package of one platform, holding `binary`. */
export function writePlatform(out, version, key, binary) {
  const p = PLATFORMS.find((p) => p.key === key);
  if (!p) throw new Error(`no platform ${key}; the platforms are: ${PLATFORMS.map((p) => p.key).join(', ')}`);
  if (!existsSync(binary)) throw new Error(`${binary}: no such file (build it with cargo build --release)`);
  const exe = p.os === 'win32' ? 'kiln.exe' : 'kiln';
  const dir = join(out, key);
  write(dir, {
    name: `${SCOPE}/${key}`,
    description: `kiln's binary for ${key} (${p.target}); installed by ${SCOPE}/kiln`,
    ...common(version),
    os: [p.os],
    cpu: [p.cpu],
    ...(p.libc ? { libc: [p.libc] } : {}),
    files: [`bin/${exe}`],
    preferUnplugged: true,
  });
  mkdirSync(join(dir, 'bin'));
  copyFileSync(binary, join(dir, 'bin', exe));
  chmodSync(join(dir, 'bin', exe), 0o755);
  return dir;
}

function main() {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      binary: { type: 'string' },
      platform: { type: 'string' },
      main: { type: 'boolean' },
      pack: { type: 'boolean' },
      list: { type: 'boolean' },
    },
  });
  if (values.list) {
    for (const p of PLATFORMS) console.log(`${p.key} ${p.target}`);
    return;
  }
  if (!values.out) throw new Error('--out DIR is required');
  const out = resolve(values.out);
  const version = cargoVersion();
  const dirs = [writeMain(out, version)];
  if (!values.main) {
    const key = values.platform || hostKey();
    const binary = resolve(values.binary || join(repo, 'target', 'release', key.startsWith('win32') ? 'kiln.exe' : 'kiln'));
    dirs.push(writePlatform(out, version, key, binary));
  }
  for (const dir of dirs) {
    if (values.pack) {
      const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: dir, encoding: 'utf8' }).trim();
      console.log(join(out, name.split('\n').pop()));
    } else {
      console.log(dir);
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (e) {
    console.error(`npm/pack.mjs: ${e.message}`);
    process.exit(2);
  }
}
