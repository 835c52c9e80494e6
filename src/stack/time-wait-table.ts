// The stack's TIME-WAIT entries (small TimeWaitState per 4-tuple, not connections), bounded like Linux's
// tcp_max_tw_buckets: when full, the oldest entry is recycled. Kept in deadline order (Map insertion order).
import type { TimeWaitState } from '../tcp/time-wait.ts';

export class TimeWaitTable {
  private readonly entries = new Map<number, TimeWaitState>();
  /** Entries dropped before their deadline to make room (monotonic). */
  recycled = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: number): TimeWaitState | undefined {
    return this.entries.get(key);
  }

  /** Adds (or replaces) the entry of `key` at the end; recycles the oldest entries past the capacity. */
  add(key: number, state: TimeWaitState): void {
    this.entries.delete(key);
    while (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value as number;
      this.entries.delete(oldest);
      this.recycled++;
    }
    this.entries.set(key, state);
  }

  /** After the entry's deadline moved (a retransmitted FIN restarted 2*MSL): keep deadline order. */
  restarted(key: number): void {
    const state = this.entries.get(key);
    if (state === undefined) return;
    this.entries.delete(key);
    this.entries.set(key, state);
  }

  delete(key: number): void {
    this.entries.delete(key);
  }

  /** Drops every entry whose deadline is <= now; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (const [key, state] of this.entries) {
      if (state.deadline > now) break;
      this.entries.delete(key);
      n++;
    }
    return n;
  }

  /** Deadline of the oldest entry (undefined when empty). */
  nextDeadline(): number | undefined {
    for (const state of this.entries.values()) return state.deadline;
    return undefined;
  }

  clear(): void {
    this.entries.clear();
  }
}
