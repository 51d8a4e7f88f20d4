// Vite's build of this starter, as its own vite.config.ts makes it: @sveltejs/vite-plugin-svelte.
import { svelte } from '@sveltejs/vite-plugin-svelte';
export default { plugins: [svelte()] };
