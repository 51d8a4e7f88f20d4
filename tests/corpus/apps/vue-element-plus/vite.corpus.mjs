// Vite with @vitejs/plugin-vue, Element Plus registered globally as its docs' quick start does.
import vue from '@vitejs/plugin-vue';
export default { plugins: [vue()] };
