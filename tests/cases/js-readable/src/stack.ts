export class Stack<T> {
  private items: T[] = [];
  push(item: T): void {
    this.items.push(item);
  }
  peek(): T | undefined {
    return this.items[this.items.length - 1];
  }
}

export function unusedHelper(): string {
  return 'dropped when minified';
}
