import { label } from './shared.js';
export function run() { return label('lazy'); }
