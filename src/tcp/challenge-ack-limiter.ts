// The RFC 5961 §7 challenge-ACK limiter: a fixed-window counter for challenge ACKs and other unsolicited
// ACKs (and SYN-ACK resends) a Tcb may send, so two stacks can never ACK each other forever.

export class ChallengeAckLimiter {
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
