// Vite's build of this starter, as its own vite.config.ts makes it: @vitejs/plugin-vue.
import vue from '@vitejs/plugin-vue';
export default { plugins: [vue()] };
