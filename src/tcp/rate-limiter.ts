// A fixed-window counter for RFC 5961 §7 challenge-ACK (and other unsolicited ACK) rate limiting.

export class WindowRateLimiter {
  private windowStart = Number.NEGATIVE_INFINITY;
  private count = 0;
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(limit: number, windowMs: number) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** True (and counted) if one more event is allowed at `now`. */
  allow(now: number): boolean {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.count = 0;
    }
    if (this.count >= this.limit) return false;
    this.count++;
    return true;
  }
}
