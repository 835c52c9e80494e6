// An indexed binary min-heap of deadline entries: the stack's one clock timer is armed at its top. Each entry
// records its own heap position, so it is re-scheduled or removed in place (O(log n)) and a closed
// connection leaves the queue at once instead of waiting for its old deadline.

/** Something with a deadline that can sit in a DeadlineQueue (heapIndex -1: not queued). */
export interface DeadlineEntry {
  deadline: number;
  heapIndex: number;
}

export class DeadlineQueue<T extends DeadlineEntry> {
  private readonly heap: T[] = [];

  get size(): number {
    return this.heap.length;
  }

  /** Earliest deadline, or undefined when empty. */
  peek(): number | undefined {
    return this.heap[0]?.deadline;
  }

  has(entry: T): boolean {
    return entry.heapIndex >= 0 && this.heap[entry.heapIndex] === entry;
  }

  /** Queues `entry` at `deadline`, or moves it there if already queued. */
  schedule(entry: T, deadline: number): void {
    if (this.has(entry)) {
      const earlier = deadline < entry.deadline;
      entry.deadline = deadline;
      if (earlier) this.up(entry.heapIndex);
      else this.down(entry.heapIndex);
      return;
    }
    entry.deadline = deadline;
    entry.heapIndex = this.heap.length;
    this.heap.push(entry);
    this.up(entry.heapIndex);
  }

  /** Takes `entry` out of the queue (nothing if it is not queued). */
  remove(entry: T): void {
    if (!this.has(entry)) return;
    const i = entry.heapIndex;
    const last = this.heap.pop()!;
    entry.heapIndex = -1;
    if (last === entry) return;
    this.heap[i] = last;
    last.heapIndex = i;
    this.up(i);
    this.down(last.heapIndex);
  }

  /** Removes and returns the earliest entry if its deadline is <= now. */
  popDue(now: number): T | undefined {
    const top = this.heap[0];
    if (top === undefined || top.deadline > now) return undefined;
    this.remove(top);
    return top;
  }

  clear(): void {
    for (const entry of this.heap) entry.heapIndex = -1;
    this.heap.length = 0;
  }

  private up(start: number): void {
    const heap = this.heap;
    const entry = heap[start]!;
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p.deadline <= entry.deadline) break;
      heap[i] = p;
      p.heapIndex = i;
      i = parent;
    }
    heap[i] = entry;
    entry.heapIndex = i;
  }

  private down(start: number): void {
    const heap = this.heap;
    const n = heap.length;
    const entry = heap[start]!;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && heap[r]!.deadline < heap[l]!.deadline ? r : l;
      const child = heap[c]!;
      if (child.deadline >= entry.deadline) break;
      heap[i] = child;
      child.heapIndex = i;
      i = c;
    }
    heap[i] = entry;
    entry.heapIndex = i;
  }
}
