// A workspace package that ships TypeScript source, as many monorepos do.
export interface Counter {
  value: number;
  step: number;
}

export function next(c: Counter): Counter {
  return { ...c, value: c.value + c.step };
}

export const label = (c: Counter): string => `Count is ${c.value}`;
