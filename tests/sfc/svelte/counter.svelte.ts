import type { Foo } from './nope'
let value = $state<number>(0)
export const counter = {
  get value(): number { return value },
  inc(by: number = 1): void { value += by },
}
export type { Foo }
