// RFC 6298 retransmission timeout: SRTT/RTTVAR estimation, clamping, exponential backoff.

/** Clock granularity G in ms (RFC 6298 §2). */
const GRANULARITY_MS = 1;

export class RtoEstimator {
  private srttMs: number | undefined;
  private rttvarMs = 0;
  private baseMs: number;
  private backoffShift = 0;
  private readonly minMs: number;
  private readonly maxMs: number;

  constructor(initialMs: number, minMs: number, maxMs: number) {
    this.baseMs = initialMs; // RFC 6298 §2.1: before any sample; not clamped below by min
    this.minMs = minMs;
    this.maxMs = maxMs;
  }

  /** Smoothed RTT, undefined before the first sample. */
  get srtt(): number | undefined {
    return this.srttMs;
  }

  get rttvar(): number {
    return this.rttvarMs;
  }

  /** Current RTO including backoff, clamped to the maximum (RFC 6298 §2.5). */
  get rto(): number {
    return Math.min(this.maxMs, this.baseMs * 2 ** this.backoffShift);
  }

  get backoffCount(): number {
    return this.backoffShift;
  }

  /** Feeds one RTT measurement (RFC 6298 §2.2/§2.3); clears backoff (§5.7 after a new sample). */
  sample(rttMs: number): void {
    const r = Math.max(0, rttMs);
    if (this.srttMs === undefined) {
      this.srttMs = r;
      this.rttvarMs = r / 2;
    } else {
      this.rttvarMs = 0.75 * this.rttvarMs + 0.25 * Math.abs(this.srttMs - r);
      this.srttMs = 0.875 * this.srttMs + 0.125 * r;
    }
    const raw = this.srttMs + Math.max(GRANULARITY_MS, 4 * this.rttvarMs);
    this.baseMs = Math.min(this.maxMs, Math.max(this.minMs, raw));
    this.backoffShift = 0;
  }

  /** RFC 6298 §5.5: the timer expired, double the RTO (capped). */
  backoff(): void {
    if (this.rto < this.maxMs) this.backoffShift++;
  }
}
