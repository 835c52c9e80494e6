// Injected time: a monotonic millisecond clock with timers, plus wall time; FakeClock drives tests.
export type TimerId = { readonly id: number };

export interface Clock {
  /** Monotonic milliseconds (arbitrary origin). Use for timers and RTT. */
  now(): number;
  /** Wall-clock epoch milliseconds. Use for dates shown to users (tokens, attested documents). */
  wallTime(): number;
  setTimeout(callback: () => void, ms: number): TimerId;
  clearTimeout(timer: TimerId): void;
}

let nextId = 1;

export const systemClock: Clock = {
  now: () => performance.now(),
  wallTime: () => Date.now(),
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, Math.max(0, ms));
    handle.unref?.();
    const timer = { id: nextId++, handle };
    return timer;
  },
  clearTimeout(timer) {
    clearTimeout((timer as unknown as { handle: NodeJS.Timeout }).handle);
  },
};

/** A clock that only moves when told to; timers fire in deadline order during advance(). */
export class FakeClock implements Clock {
  private monotonic: number;
  private wall: number;
  private readonly timers = new Map<number, { at: number; seq: number; callback: () => void }>();
  private seq = 0;

  constructor(options: { now?: number; wallTime?: number } = {}) {
    this.monotonic = options.now ?? 0;
    this.wall = options.wallTime ?? Date.UTC(2026, 0, 1);
  }

  now(): number {
    return this.monotonic;
  }

  wallTime(): number {
    return this.wall;
  }

  setTimeout(callback: () => void, ms: number): TimerId {
    const id = nextId++;
    this.timers.set(id, { at: this.monotonic + Math.max(0, ms), seq: this.seq++, callback });
    return { id };
  }

  clearTimeout(timer: TimerId): void {
    this.timers.delete(timer.id);
  }

  /** Number of pending timers (for leak assertions in tests). */
  pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing due timers in order (timers set while advancing also fire). */
  advance(ms: number): void {
    const target = this.monotonic + ms;
    for (;;) {
      let nextKey: number | undefined;
      let next: { at: number; seq: number; callback: () => void } | undefined;
      for (const [key, timer] of this.timers) {
        if (timer.at <= target && (!next || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq))) {
          next = timer;
          nextKey = key;
        }
      }
      if (!next || nextKey === undefined) break;
      this.timers.delete(nextKey);
      this.wall += next.at - this.monotonic;
      this.monotonic = next.at;
      next.callback();
    }
    this.wall += target - this.monotonic;
    this.monotonic = target;
  }
}
