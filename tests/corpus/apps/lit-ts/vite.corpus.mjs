// Vite's build of the Lit + TypeScript starter. Vite 8 reads experimentalDecorators and
// useDefineForClassFields from tsconfig.json; said again here so the comparison does not
// depend on that discovery.
export default {
  oxc: {
    decorator: { legacy: true },
    assumptions: { setPublicClassFields: true },
    typescript: { removeClassFieldsWithoutInitializer: true },
  },
};
