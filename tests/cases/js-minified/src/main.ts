import { Stack } from './stack';
import * as colors from './colors';
import legacy from './legacy.cjs';

const s = new Stack<string>();
s.push(colors.red);
export const top = s.peek();
export const count = legacy.count;
export { colors };
