import { fileURLToPath } from 'node:url';

export default {
  resolve: { alias: { 'next/image': fileURLToPath(new URL('./shims/next-image.jsx', import.meta.url)) } },
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
};
