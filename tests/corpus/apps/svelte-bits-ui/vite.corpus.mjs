// Vite with @sveltejs/vite-plugin-svelte; Bits UI's components come as .svelte sources through
// the package's `svelte` export condition.
import { svelte } from '@sveltejs/vite-plugin-svelte';
export default { plugins: [svelte()] };
