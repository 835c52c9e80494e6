// A small NewReno congestion window (RFC 5681 §3.1-3.2, RFC 6582): slow start, congestion avoidance,
// fast recovery with window inflation, loss window after a retransmission timeout.

const MAX_CWND = 1 << 30;

export class NewReno {
  cwnd: number;
  ssthresh = MAX_CWND;
  private mss: number;
  private avoidanceCredit = 0;

  constructor(mss: number) {
    this.mss = mss;
    this.cwnd = initialWindow(mss);
  }

  /** Re-bases on the negotiated MSS (after the handshake). */
  setMss(mss: number): void {
    this.mss = mss;
    this.cwnd = initialWindow(mss);
  }

  /** New data acknowledged outside recovery (RFC 5681 §3.1). */
  onAck(acked: number): void {
    if (this.cwnd < this.ssthresh) {
      this.cwnd = Math.min(MAX_CWND, this.cwnd + Math.min(acked, this.mss));
      return;
    }
    this.avoidanceCredit += acked;
    if (this.avoidanceCredit >= this.cwnd) {
      this.avoidanceCredit -= this.cwnd;
      this.cwnd = Math.min(MAX_CWND, this.cwnd + this.mss);
    }
  }

  /** Third duplicate ACK (RFC 5681 §3.2 steps 2-3). */
  enterRecovery(flight: number): void {
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.mss);
    this.cwnd = this.ssthresh + 3 * this.mss;
  }

  /** Each further duplicate ACK during recovery inflates the window (step 4). */
  onDupAckInRecovery(): void {
    this.cwnd = Math.min(MAX_CWND, this.cwnd + this.mss);
  }

  /** RFC 6582 §3.2 step 3 partial ACK: deflate by the amount acked, add back one MSS if >= MSS acked. */
  onPartialAck(acked: number): void {
    this.cwnd = Math.max(this.mss, this.cwnd - acked + (acked >= this.mss ? this.mss : 0));
  }

  /** Full ACK: leave recovery (RFC 6582 §3.2 step 3, option 1). */
  exitRecovery(flight: number): void {
    this.cwnd = Math.max(this.mss, Math.min(this.ssthresh, flight + this.mss));
    this.avoidanceCredit = 0;
  }

  /** Retransmission timeout (RFC 5681 §3.1 eq. 4 and the loss window). */
  onTimeout(flight: number): void {
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.mss);
    this.cwnd = this.mss;
    this.avoidanceCredit = 0;
  }
}

/** RFC 6928 initial window: min(10*MSS, max(2*MSS, 14600)). */
function initialWindow(mss: number): number {
  return Math.min(10 * mss, Math.max(2 * mss, 14600));
}
