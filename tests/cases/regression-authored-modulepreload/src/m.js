import { dep } from './dep.js';
document.title = dep;
