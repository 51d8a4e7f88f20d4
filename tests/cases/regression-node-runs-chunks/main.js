import { label } from './shared.js';
const lazy = await import('./lazy.js');
console.log(label('main'), lazy.run(), globalThis.evaluations);
