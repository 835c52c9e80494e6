// Counters of the userspace stack: packets, bytes, drops by reason (WireError codes included),
// connections, resets and ICMP sent. Plain numbers; a snapshot is a copy.

/** Drop reasons besides WireError codes (ERR_IPV4_*, ERR_TCP_*). */
export const DropReason = {
  NOT_FOR_US: 'not-for-us',
  SOURCE_POLICY: 'source-policy',
  FAULT_SYN_DROP: 'fault-syn-drop',
  FAULT_LOSS_IN: 'fault-loss-in',
  FAULT_LOSS_OUT: 'fault-loss-out',
  SYN_PENDING: 'syn-delayed-duplicate',
  TABLE_FULL: 'table-full',
  LISTENER_NOT_SYN: 'listener-not-syn',
  LISTENER_SYN_FIN: 'listener-syn-fin',
  LISTENER_RST: 'listener-rst',
  LISTENER_BACKLOG: 'listener-backlog-full',
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

export interface StackStatsSnapshot {
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly drops: Readonly<Record<string, number>>;
  readonly connectionsOpened: number;
  readonly connectionsEstablished: number;
  readonly connectionsActive: number;
  readonly connectionsClosed: Readonly<Record<string, number>>;
  readonly resetsSent: number;
  readonly icmpSent: number;
  readonly timerFirings: number;
  /** SYN-ACKs sent as RFC 4987 SYN cookies, and cookie ACKs that opened a connection. */
  readonly synCookiesSent: number;
  readonly synCookiesAccepted: number;
  /** TIME-WAIT entries held now, and entries recycled early because the table was full. */
  readonly timeWaitEntries: number;
  readonly timeWaitRecycled: number;
  /** Idle connections reset to make room for a new one (table or per-source cap full). */
  readonly connectionsEvicted: number;
  /** Stack-internal errors handed to the unexpected-error sink (bugs; 0 in a healthy run). */
  readonly unexpectedErrors: number;
}

export class StackStats {
  packetsIn = 0;
  packetsOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  connectionsOpened = 0;
  connectionsEstablished = 0;
  connectionsActive = 0;
  resetsSent = 0;
  icmpSent = 0;
  timerFirings = 0;
  synCookiesSent = 0;
  synCookiesAccepted = 0;
  timeWaitEntries = 0;
  timeWaitRecycled = 0;
  connectionsEvicted = 0;
  unexpectedErrors = 0;
  private readonly drops = new Map<string, number>();
  private readonly closed = new Map<string, number>();

  drop(reason: string): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }

  dropCount(reason: string): number {
    return this.drops.get(reason) ?? 0;
  }

  totalDrops(): number {
    let n = 0;
    for (const v of this.drops.values()) n += v;
    return n;
  }

  connectionClosed(reason: string): void {
    this.closed.set(reason, (this.closed.get(reason) ?? 0) + 1);
  }

  snapshot(): StackStatsSnapshot {
    return {
      packetsIn: this.packetsIn,
      packetsOut: this.packetsOut,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      drops: Object.fromEntries(this.drops),
      connectionsOpened: this.connectionsOpened,
      connectionsEstablished: this.connectionsEstablished,
      connectionsActive: this.connectionsActive,
      connectionsClosed: Object.fromEntries(this.closed),
      resetsSent: this.resetsSent,
      icmpSent: this.icmpSent,
      timerFirings: this.timerFirings,
      synCookiesSent: this.synCookiesSent,
      synCookiesAccepted: this.synCookiesAccepted,
      timeWaitEntries: this.timeWaitEntries,
      timeWaitRecycled: this.timeWaitRecycled,
      connectionsEvicted: this.connectionsEvicted,
      unexpectedErrors: this.unexpectedErrors,
    };
  }
}
