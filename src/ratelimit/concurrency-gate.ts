// A per-key concurrency gate: at most `limit` holders at once (a number, or read on every acquire so a
// profile change applies to new requests); each holder releases exactly once.
export class ConcurrencyGate {
  private readonly limit: () => number;
  private readonly holders = new Map<string, number>();

  constructor(limit: number | (() => number)) {
    const read = typeof limit === 'function' ? limit : () => limit;
    const first = read();
    if (!Number.isInteger(first) || first < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${first}`);
    this.limit = read;
  }

  /** Takes a slot for `key`; returns its release function, or null when the key is at the limit. */
  tryAcquire(key: string): (() => void) | null {
    const current = this.holders.get(key) ?? 0;
    if (current >= this.limit()) return null;
    this.holders.set(key, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const now = (this.holders.get(key) ?? 1) - 1;
      if (now <= 0) this.holders.delete(key);
      else this.holders.set(key, now);
    };
  }

  /** Current holders for `key` (for tests and stats). */
  inUse(key: string): number {
    return this.holders.get(key) ?? 0;
  }
}
