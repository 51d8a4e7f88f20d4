// kiln SFC host: long-lived Node process speaking newline-delimited JSON on
// stdin/stdout. Compiles Vue and Svelte single-file components with the
// compilers installed in the *project* (resolved from the request's root).
//
// Invariant: stdout carries protocol lines only. Everything else -> stderr.
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

// ---------------------------------------------------------------- stdout guard
const writeOut = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, enc, cb) => process.stderr.write(chunk, enc, cb);
for (const k of ['log', 'info', 'debug', 'dir', 'table']) console[k] = console.error.bind(console);

function send(obj) {
  writeOut(JSON.stringify(obj) + '\n');
}

// ------------------------------------------------------------ project loaders
const projects = new Map(); // root -> { require, vue?, svelte?, ... }

function project(root) {
  root = path.resolve(root || process.cwd());
  let p = projects.get(root);
  if (!p) {
    p = { root, require: createRequire(path.join(root, 'package.json')) };
    projects.set(root, p);
  }
  return p;
}

function tryReq(req, id) {
  try {
    return req(id);
  } catch {
    return null;
  }
}

function vueOf(p) {
  if (p.vue === undefined) {
    p.vue = null;
    const meta = tryReq(p.require, 'vue/package.json');
    if (meta && Number(meta.version.split('.')[0]) >= 3) {
      // `vue/compiler-sfc` (not @vue/compiler-sfc): its index registers the
      // project's `typescript`, needed to resolve imported prop types.
      const sfcPath = p.require.resolve('vue/compiler-sfc');
      const sfcReq = createRequire(sfcPath);
      p.vue = {
        version: meta.version,
        sfc: p.require(sfcPath),
        // source-map-js is a dependency of @vue/compiler-sfc; resolve it
        // from there so the host needs no packages of its own.
        smj:
          tryReq(createRequire(sfcReq.resolve('@vue/compiler-sfc')), 'source-map-js') ??
          tryReq(p.require, 'source-map-js'),
      };
    }
  }
  return p.vue;
}

function svelteOf(p) {
  if (p.svelte === undefined) {
    p.svelte = null;
    const meta = tryReq(p.require, 'svelte/package.json');
    if (meta && Number(meta.version.split('.')[0]) >= 5) {
      p.svelte = { version: meta.version, compiler: p.require('svelte/compiler') };
    }
  }
  return p.svelte;
}

async function svelteConfigOf(p) {
  if (p.svelteConfig === undefined) {
    p.svelteConfig = {};
    for (const n of ['svelte.config.js', 'svelte.config.mjs', 'svelte.config.cjs']) {
      const f = path.join(p.root, n);
      if (fs.existsSync(f)) {
        const m = await import(pathToFileURL(f).href);
        p.svelteConfig = m.default ?? {};
        p.svelteConfigFile = f;
        break;
      }
    }
  }
  return p.svelteConfig;
}

// -------------------------------------------------------------------- helpers
const toPosix = (s) => s.split(path.sep).join('/');

function lineCol(code, offset) {
  let line = 1, last = -1;
  for (let i = 0; i < offset && i < code.length; i++) if (code.charCodeAt(i) === 10) { line++; last = i; }
  return { line, column: offset - last };
}

function frameAt(code, line, column) {
  const lines = code.split(/\r?\n/);
  const out = [];
  for (let l = Math.max(1, line - 2); l <= Math.min(lines.length, line + 2); l++) {
    out.push(`${String(l).padStart(4)} | ${lines[l - 1]}`);
    if (l === line) out.push(`     | ${' '.repeat(Math.max(0, column - 1))}^`);
  }
  return out.join('\n');
}

function normMap(map, file, source) {
  if (!map) return null;
  if (typeof map === 'string') map = JSON.parse(map);
  else if (typeof map.toJSON === 'function') map = map.toJSON();
  else map = JSON.parse(JSON.stringify(map));
  // single-source maps from these compilers: point at the absolute file
  if (Array.isArray(map.sources) && map.sources.length <= 1) {
    map.sources = [file];
    map.sourcesContent = [source];
  }
  map.file = path.basename(file);
  delete map.sourceRoot;
  return map;
}

// Resolve a `src="..."` attribute of an SFC block.
function resolveSrc(p, fromFile, src) {
  if (src.startsWith('.')) return path.resolve(path.dirname(fromFile), src);
  if (path.isAbsolute(src)) return fs.existsSync(src) ? src : path.join(p.root, src);
  // bare specifier (package file); `~pkg` is a legacy webpack spelling
  return createRequire(fromFile).resolve(src.replace(/^~/, ''));
}

// ------------------------------------------------------------------------ vue
const CSS_PRE = new Set(['scss', 'sass', 'less', 'styl', 'stylus']);
const EXPORT_HELPER =
  'function _export_sfc(sfc, props) {\n' +
  '  const target = sfc.__vccOpts || sfc;\n' +
  '  for (const [key, val] of props) target[key] = val;\n' +
  '  return target;\n' +
  '}';

function vueError(e, file, source, fallbackOffsetLoc) {
  if (typeof e === 'string') return { message: e, file };
  const out = { message: e.message, file };
  if (e.loc && e.loc.start) {
    // compiler-core CompilerError: 1-based line and column, whole-file coords
    out.line = e.loc.start.line;
    out.column = e.loc.start.column;
  } else if (e.loc && typeof e.loc.line === 'number') {
    // babel SyntaxError (compileScript): loc is relative to the script block
    // content; column is 0-based
    const base = fallbackOffsetLoc;
    out.line = e.loc.line + (base ? base.line - 1 : 0);
    out.column = e.loc.column + 1 + (base && e.loc.line === 1 ? base.column - 1 : 0);
  }
  if (out.line) out.frame = frameAt(source, out.line, out.column);
  return out;
}

async function compileVue(req) {
  const p = project(req.root);
  const vue = vueOf(p);
  if (!vue) throw new Error(`vue >= 3 is not resolvable from ${p.root}`);
  const { sfc, smj } = vue;
  const file = req.file;
  const source = req.code;
  const production = req.production !== false;
  const opts = req.options || {};
  const customElement = opts.customElement ?? /\.ce\.vue$/.test(file);
  const deps = new Set();
  const warnings = [];
  const errors = [];

  const { descriptor, errors: parseErrors } = sfc.parse(source, { filename: file, sourceMap: true });
  if (parseErrors.length) {
    return { errors: parseErrors.map((e) => vueError(e, file, source)), warnings };
  }

  // scope id: kiln normally sends it; otherwise same formula as plugin-vue
  // (production: sha256(posix path relative to root + source)[0..8])
  const id =
    req.scopeId ||
    createHash('sha256')
      .update(toPosix(path.relative(p.root, file)) + (production ? source : ''))
      .digest('hex')
      .slice(0, 8);
  descriptor.id = id;
  const scopeId = `data-v-${id}`;
  const hasScoped = descriptor.styles.some((s) => s.scoped);

  // <template src>: read it and compile it as if it were inline
  if (descriptor.template?.src) {
    const f = resolveSrc(p, file, descriptor.template.src);
    deps.add(f);
    const t = descriptor.template;
    t.content = fs.readFileSync(f, 'utf-8');
    t.ast = undefined;
    t.map = undefined;
    delete t.src;
  }

  const lang = descriptor.scriptSetup?.lang || descriptor.script?.lang || 'js';
  const isTS = /^tsx?$/.test(lang);
  const expressionPlugins = isTS ? ['typescript'] : [];
  let isCustomElementTag;
  if (Array.isArray(opts.isCustomElement) && opts.isCustomElement.length) {
    const res = opts.isCustomElement.map((s) => new RegExp(s));
    isCustomElementTag = (tag) => res.some((r) => r.test(tag));
  }
  const templateOptions = (bindings) =>
    descriptor.template && {
      id,
      filename: file,
      scoped: hasScoped,
      slotted: descriptor.slotted,
      isProd: production,
      inMap: descriptor.template.map,
      ast: descriptor.template.ast,
      ssr: false,
      ssrCssVars: descriptor.cssVars,
      // build mode in plugin-vue: every asset url (relative AND absolute)
      // becomes an import so the bundler can resolve/emit it
      transformAssetUrls: { includeAbsolute: true },
      preprocessLang: descriptor.template.lang && descriptor.template.lang !== 'html' ? descriptor.template.lang : undefined,
      compilerOptions: {
        ...(opts.compilerOptions || {}),
        ...(isCustomElementTag ? { isCustomElement: isCustomElementTag } : {}),
        scopeId: hasScoped ? scopeId : undefined,
        bindingMetadata: bindings,
        expressionPlugins,
        sourceMap: true,
      },
    };

  // ---- script
  let scriptCode = 'const _sfc_main = {}';
  let scriptMap = null;
  let bindings;
  let inlined = false;
  if (descriptor.script?.src && !descriptor.scriptSetup) {
    // <script src>: a real module; let the bundler resolve it like Vite does
    const spec = JSON.stringify(descriptor.script.src);
    scriptCode = `import _sfc_main from ${spec}\nexport * from ${spec}`;
  } else if (descriptor.script || descriptor.scriptSetup) {
    let script;
    try {
      inlined = !!descriptor.scriptSetup && !!descriptor.template;
      script = sfc.compileScript(descriptor, {
        id,
        isProd: production,
        inlineTemplate: !!descriptor.scriptSetup,
        templateOptions: templateOptions(undefined),
        sourceMap: true,
        genDefaultAs: '_sfc_main',
        customElement,
        propsDestructure: opts.propsDestructure,
        fs: undefined,
      });
    } catch (e) {
      const block = descriptor.scriptSetup || descriptor.script;
      return { errors: [vueError(e, file, source, block?.loc.start)], warnings, deps: [...deps] };
    }
    scriptCode = script.content;
    scriptMap = script.map || null;
    bindings = script.bindings;
    for (const d of script.deps || []) deps.add(d); // type files read for props/emits
    for (const w of script.warnings || []) warnings.push({ message: String(w), file });
  }

  // ---- template (when not inlined into <script setup>)
  let templateCode = '';
  let templateMap = null;
  if (descriptor.template && !inlined) {
    const r = sfc.compileTemplate({ ...templateOptions(bindings), source: descriptor.template.content });
    for (const e of r.errors) errors.push(vueError(e, file, source));
    for (const t of r.tips) warnings.push({ message: t, file });
    templateCode = r.code.replace(/\nexport (function|const) (render)/, '\n$1 _sfc_$2');
    templateMap = r.map || null;
  }
  if (errors.length) return { errors, warnings, deps: [...deps] };

  // ---- styles
  const styles = [];
  let cssModules = null;
  for (let i = 0; i < descriptor.styles.length; i++) {
    const s = descriptor.styles[i];
    let content = s.content;
    let base = s.loc.start;
    if (s.src) {
      const f = resolveSrc(p, file, s.src);
      deps.add(f);
      content = fs.readFileSync(f, 'utf-8');
      base = { line: 1, column: 1 };
    }
    const styleLang = s.lang || 'css';
    const r = await sfc.compileStyleAsync({
      filename: s.src ? resolveSrc(p, file, s.src) : file,
      id: scopeId,
      isProd: production,
      source: content,
      scoped: !!s.scoped,
      modules: !!s.module,
      preprocessLang: CSS_PRE.has(styleLang) ? styleLang : undefined,
      preprocessCustomRequire: (name) => p.require(name),
    });
    if (r.errors.length) {
      for (const e of r.errors) {
        const out = { message: e.reason || e.message, file };
        if (e.line) {
          out.line = base.line + e.line - 1;
          out.column = e.line === 1 ? base.column + (e.column || 1) - 1 : e.column || 1;
          out.frame = frameAt(source, out.line, out.column);
        }
        errors.push(out);
      }
      continue;
    }
    for (const d of r.dependencies || []) deps.add(d); // @import/@use seen by the preprocessor
    if (s.module) {
      const name = typeof s.module === 'string' ? s.module : '$style';
      (cssModules ||= {})[name] = r.modules || {};
    }
    styles.push({
      code: r.code,
      lang: 'css',
      srcLang: styleLang,
      scoped: !!s.scoped,
      module: s.module === undefined || s.module === false ? null : s.module,
      index: i,
    });
  }
  if (errors.length) return { errors, warnings, deps: [...deps] };

  // ---- assemble (script first so its map lines need no offset)
  const attached = [];
  if (templateCode) attached.push(['render', '_sfc_render']);
  if (hasScoped) attached.push(['__scopeId', JSON.stringify(scopeId)]);
  if (cssModules) attached.push(["__cssModules", "_sfc_cssModules"]);
  if (customElement) attached.push(['styles', JSON.stringify(styles.map((s) => s.code))]);
  if (opts.prodDevtools) attached.push(['__file', JSON.stringify(path.basename(file))]);

  const tail = [];
  if (cssModules) tail.push(`const _sfc_cssModules = ${JSON.stringify(cssModules, null, 1)}`);
  if (attached.length) {
    tail.push(EXPORT_HELPER);
    tail.push(`export default /*#__PURE__*/_export_sfc(_sfc_main, [${attached.map(([k, v]) => `['${k}',${v}]`).join(',')}])`);
  } else {
    tail.push('export default _sfc_main');
  }
  const code = [scriptCode, templateCode, ...tail].join('\n');

  // ---- source map: script map, plus template map shifted below the script
  let map = scriptMap ? normMap(scriptMap, file, source) : null;
  if (templateMap && smj) {
    const gen = map
      ? smj.SourceMapGenerator.fromSourceMap(new smj.SourceMapConsumer(map))
      : new smj.SourceMapGenerator({ file: path.basename(file) });
    const offset = scriptCode.split('\n').length; // template starts on the next line
    new smj.SourceMapConsumer(normMap(templateMap, file, source)).eachMapping((m) => {
      if (m.source == null) return;
      gen.addMapping({
        source: file,
        original: { line: m.originalLine, column: m.originalColumn },
        generated: { line: m.generatedLine + offset, column: m.generatedColumn },
        name: m.name ?? undefined,
      });
    });
    gen.setSourceContent(file, source);
    map = normMap(gen.toJSON(), file, source);
  }

  const custom = descriptor.customBlocks.map((b) => {
    let content = b.content;
    if (b.src) {
      const f = resolveSrc(p, file, b.src);
      deps.add(f);
      content = fs.readFileSync(f, 'utf-8');
    }
    return { type: b.type, attrs: b.attrs, content, line: b.loc.start.line, src: b.src ?? null };
  });

  return {
    code,
    map,
    lang: isTS ? lang : 'js', // 'ts'/'tsx': kiln must strip types (swc) before bundling
    scopeId: id,
    styles: customElement ? [] : styles,
    custom,
    deps: [...deps],
    errors,
    warnings,
  };
}

// --------------------------------------------------------------------- svelte
const SVELTE_CONTROLLED = new Set(['generate', 'filename', 'format', 'dev', 'hmr', 'css', 'rootDir']);

function svelteDiag(d, file, source) {
  const out = { message: d.message, file, code: d.code };
  if (d.start) {
    out.line = d.start.line;
    out.column = d.start.column + 1; // svelte columns are 0-based
    out.frame = d.frame || frameAt(source, out.line, out.column);
  }
  return out;
}

// Built-in replacement for vitePreprocess() style handling: sass/scss/less
// with the project's own packages. Plain CSS is left to kiln.
function builtinStylePreprocess(p, deps) {
  return {
    name: 'kiln-style',
    async style({ attributes, content, filename }) {
      const lang = attributes.lang;
      if (lang === 'scss' || lang === 'sass') {
        const sass = tryReq(p.require, 'sass') || tryReq(p.require, 'sass-embedded');
        if (!sass) throw new Error(`<style lang="${lang}"> needs the "sass" package installed in the project`);
        const r = await sass.compileStringAsync(content, {
          syntax: lang === 'sass' ? 'indented' : 'scss',
          url: pathToFileURL(filename),
          loadPaths: [path.dirname(filename)],
        });
        for (const u of r.loadedUrls) if (u.protocol === 'file:' && u.pathname !== pathToFileURL(filename).pathname) deps.add(decodeURIComponent(u.pathname));
        return { code: r.css };
      }
      if (lang === 'less') {
        const less = tryReq(p.require, 'less');
        if (!less) throw new Error('<style lang="less"> needs the "less" package installed in the project');
        const r = await (less.default || less).render(content, { filename });
        for (const f of r.imports || []) deps.add(f);
        return { code: r.css };
      }
    },
  };
}

async function compileSvelte(req) {
  const p = project(req.root);
  const sv = svelteOf(p);
  if (!sv) throw new Error(`svelte >= 5 is not resolvable from ${p.root}`);
  const file = req.file;
  const production = req.production !== false;
  const config = await svelteConfigOf(p);
  const deps = new Set();
  if (p.svelteConfigFile) deps.add(p.svelteConfigFile);
  let code = req.code;
  let preMap;

  // preprocess: the project's own preprocessors, except vitePreprocess(),
  // which would need Vite; it is replaced by the built-in style handler.
  const groups = [].concat(config.preprocess || []).map((g) => (g?.name === 'vite-preprocess' ? builtinStylePreprocess(p, deps) : g));
  if (!groups.length && /<style[^>]*\blang=["']?(scss|sass|less)/.test(code)) groups.push(builtinStylePreprocess(p, deps));
  if (groups.length) {
    try {
      const r = await sv.compiler.preprocess(code, groups, { filename: file });
      code = r.code;
      preMap = r.map;
      for (const d of r.dependencies || []) deps.add(d);
    } catch (e) {
      return { errors: [{ message: `preprocess: ${e.message}`, file }], warnings: [], deps: [...deps] };
    }
  }

  const user = { ...(config.compilerOptions || {}) };
  for (const k of SVELTE_CONTROLLED) delete user[k];
  let out;
  try {
    out = sv.compiler.compile(code, {
      ...user,
      filename: file,
      rootDir: p.root, // cssHash = svelte-<hash(path relative to root)>, independent of cwd
      generate: 'client',
      dev: !production,
      hmr: false,
      css: 'external',
      ...(preMap ? { sourcemap: preMap } : {}),
    });
  } catch (e) {
    return { errors: [svelteDiag(e, file, req.code)], warnings: [], deps: [...deps] };
  }
  const css = out.css?.code?.trim() ? out.css.code : null;
  return {
    code: out.js.code,
    map: normMap(out.js.map, file, req.code),
    css,
    cssMap: css ? normMap(out.css.map, file, req.code) : null,
    runes: out.metadata?.runes ?? null,
    deps: [...deps],
    errors: [],
    warnings: out.warnings.map((w) => svelteDiag(w, file, req.code)),
  };
}

// TS -> JS for .svelte.ts when kiln did not strip it already.
function stripTs(p, code, file) {
  const nodeModule = createRequire(import.meta.url)('node:module');
  const ts = tryReq(p.require, 'typescript');
  if (ts) {
    const r = ts.transpileModule(code, {
      fileName: file,
      compilerOptions: {
        target: ts.ScriptTarget.ESNext,
        module: ts.ModuleKind.ESNext,
        verbatimModuleSyntax: false,
        isolatedModules: true,
        useDefineForClassFields: true,
        sourceMap: false,
      },
      reportDiagnostics: false,
    });
    return r.outputText.replace(/\n\/\/# sourceMappingURL=.*$/, '');
  }
  if (typeof nodeModule.stripTypeScriptTypes === 'function') return nodeModule.stripTypeScriptTypes(code, { mode: 'strip' });
  throw new Error(`${file}: TypeScript must be stripped before compileModule (send "lang":"js" after stripping, or install typescript)`);
}

async function compileSvelteModule(req) {
  const p = project(req.root || path.dirname(req.file));
  const sv = svelteOf(p);
  if (!sv) throw new Error(`svelte >= 5 is not resolvable from ${p.root}`);
  const file = req.file;
  const isTs = (req.lang ?? (/\.ts$/.test(file) ? 'ts' : 'js')) === 'ts';
  let code = req.code;
  if (isTs) code = stripTs(p, code, file);
  try {
    const out = sv.compiler.compileModule(code, {
      filename: file,
      rootDir: p.root,
      generate: 'client',
      dev: req.production === false,
    });
    return {
      code: out.js.code,
      // only meaningful w.r.t. the original when no host-side stripping happened
      map: isTs ? null : normMap(out.js.map, file, req.code),
      errors: [],
      warnings: out.warnings.map((w) => svelteDiag(w, file, code)),
    };
  } catch (e) {
    return { errors: [svelteDiag(e, file, code)], warnings: [] };
  }
}

// ------------------------------------------------------------------ transform
const pluginModules = new Map();
async function runTransform(req) {
  let mod = pluginModules.get(req.module);
  if (!mod) {
    mod = await import(pathToFileURL(req.module).href);
    pluginModules.set(req.module, mod);
  }
  const fn = mod.transform ?? mod.default?.transform;
  if (typeof fn !== 'function') throw new Error(`${req.module} exports no transform(code, id)`);
  const r = await fn(req.code, req.file);
  if (r == null) return { code: null, map: null }; // plugin declined: keep input
  if (typeof r === 'string') return { code: r, map: null };
  let map = r.map ?? null;
  if (typeof map === 'string') map = JSON.parse(map);
  else if (map && typeof map.toJSON === 'function') map = map.toJSON();
  return { code: r.code, map };
}

// ------------------------------------------------------------------ dispatch
async function handle(req) {
  switch (req.op) {
    case 'hello': {
      const p = project(req.root);
      return { vue: vueOf(p)?.version ?? null, svelte: svelteOf(p)?.version ?? null, node: process.version };
    }
    case 'vue':
      return compileVue(req);
    case 'svelte':
      return compileSvelte(req);
    case 'svelte-module':
      return compileSvelteModule(req);
    case 'transform':
      return runTransform(req);
    default:
      throw new Error(`unknown op ${JSON.stringify(req.op)}`);
  }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
let chain = Promise.resolve();
rl.on('line', (line) => {
  if (!line.trim()) return;
  chain = chain.then(async () => {
    let req;
    try {
      req = JSON.parse(line);
    } catch (e) {
      send({ id: null, errors: [{ message: `bad request line: ${e.message}` }] });
      return;
    }
    try {
      send({ id: req.id, ...(await handle(req)) });
    } catch (e) {
      send({ id: req.id, errors: [{ message: e?.message ?? String(e), file: req.file, stack: e?.stack }] });
    }
  });
});
rl.on('close', () => chain.then(() => process.exit(0)));
process.on('unhandledRejection', (e) => console.error('[kiln-host] unhandled rejection', e));
process.on('uncaughtException', (e) => console.error('[kiln-host] uncaught exception', e));
