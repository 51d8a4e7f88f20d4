// Vite's build of this starter without @vitejs/plugin-react (Fast Refresh is a dev-server
// feature): Vite 8's own Oxc transform with the automatic JSX runtime.
export default { oxc: { jsx: { runtime: 'automatic', importSource: 'react' } } };
