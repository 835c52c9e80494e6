// Fixed one-second rate windows per key on an injected clock (what rate-limiter-flexible's RateLimiterMemory
// counts, but it reads Date.now itself; a virtual-clock lab and FakeClock tests need IMDS time instead).
import type { Clock } from '../util/clock.ts';

export class FixedWindowCounter {
  private readonly clock: Clock;
  private readonly windowMs: number;
  /** Per key: when its current window started and how many requests it took. Keys are VM names: few. */
  private readonly windows = new Map<string, { start: number; used: number }>();

  constructor(clock: Clock, windowMs = 1000) {
    this.clock = clock;
    this.windowMs = windowMs;
  }

  /** Takes one request for `key` when fewer than `limit` were taken in its window; else the ms until the window ends. A key's window starts at its first request. */
  take(key: string, limit: number): number | null {
    const now = this.clock.now();
    let window = this.windows.get(key);
    if (window === undefined || now >= window.start + this.windowMs) {
      window = { start: now, used: 0 };
      this.windows.set(key, window);
    }
    if (window.used >= limit) return Math.max(1, window.start + this.windowMs - now);
    window.used++;
    return null;
  }
}
