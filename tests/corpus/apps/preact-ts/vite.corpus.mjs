// Vite's build of this starter without @preact/preset-vite: the automatic JSX runtime from
// preact (the preset's alias of react to preact/compat is unused by the starter).
export default { oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } } };
