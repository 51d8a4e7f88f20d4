export const box = $state({ n: 1 })
export function bump() { box.n++ }
