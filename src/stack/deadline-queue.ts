// A binary min-heap of (deadline, item) pairs: the stack's one clock timer is armed at its top.
// Entries are never removed in place; the owner skips stale ones when they come due (lazy deletion).

export class DeadlineQueue<T> {
  private readonly at: number[] = [];
  private readonly items: T[] = [];

  get size(): number {
    return this.at.length;
  }

  /** Earliest deadline, or undefined when empty. */
  peek(): number | undefined {
    return this.at[0];
  }

  push(deadline: number, item: T): void {
    const at = this.at;
    const items = this.items;
    let i = at.length;
    at.push(deadline);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (at[parent]! <= deadline) break;
      at[i] = at[parent]!;
      items[i] = items[parent]!;
      i = parent;
    }
    at[i] = deadline;
    items[i] = item;
  }

  /** Removes and returns the earliest item if its deadline is <= now. */
  popDue(now: number): T | undefined {
    const at = this.at;
    if (at.length === 0 || at[0]! > now) return undefined;
    const items = this.items;
    const top = items[0]!;
    const lastAt = at.pop()!;
    const lastItem = items.pop()!;
    const n = at.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && at[r]! < at[l]! ? r : l;
        if (at[c]! >= lastAt) break;
        at[i] = at[c]!;
        items[i] = items[c]!;
        i = c;
      }
      at[i] = lastAt;
      items[i] = lastItem;
    }
    return top;
  }

  clear(): void {
    this.at.length = 0;
    this.items.length = 0;
  }
}
