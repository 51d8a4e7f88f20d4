// Vite's build of create-vue's starter as its vite.config.ts makes it, without
// vite-plugin-vue-devtools (a dev-server tool): @vitejs/plugin-vue and the `@` alias.
import { fileURLToPath, URL } from 'node:url';
import vue from '@vitejs/plugin-vue';
export default { plugins: [vue()], resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } } };
