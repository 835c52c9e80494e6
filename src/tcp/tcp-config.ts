// TCP tunables with defaults and validation: buffers, MSS, options offered, RTO bounds, timers, limits.
import { ImdsLabError } from '../util/errors.ts';

export class TcpConfigError extends ImdsLabError {}

export interface TcpConfig {
  /** MSS we advertise (RFC 9293 §3.7.1); for IPv4 over a 1500-byte MTU: 1460. */
  readonly mss: number;
  /** Bytes the app may queue for sending (bounded send buffer). */
  readonly sendBufferSize: number;
  /** Receive buffer; the advertised window is its free space (RFC 9293 §3.8.6.2). */
  readonly receiveBufferSize: number;
  /** Offer/accept RFC 7323 window scaling (used only if both sides offer it). */
  readonly windowScaling: boolean;
  /** Offer/accept RFC 7323 timestamps (RTTM and PAWS; used only if both sides offer). */
  readonly timestamps: boolean;
  /** Maximum segment lifetime in ms; TIME-WAIT lasts 2*MSL (RFC 9293 §3.4.2). */
  readonly mslMs: number;
  /** RFC 6298 §2.1 initial RTO. */
  readonly rtoInitialMs: number;
  /** RFC 6298 §2.4 lower bound (RFC says 1 s; Linux uses 200 ms). */
  readonly rtoMinMs: number;
  /** RFC 6298 §2.5 upper bound. */
  readonly rtoMaxMs: number;
  /** Consecutive retransmission timeouts of one segment before ETIMEDOUT (RFC 9293 §3.8.3 R2). */
  readonly maxRetransmits: number;
  /** SYN (active open) retransmissions before ETIMEDOUT. */
  readonly synRetries: number;
  /** SYN-ACK retransmissions before a SYN-RECEIVED Tcb gives up. */
  readonly synAckRetries: number;
  /** Hard cap on the SYN-RECEIVED lifetime in ms. */
  readonly synReceivedTimeoutMs: number;
  /**
   * Half-open (SYN-RECEIVED) connections a listener keeps at once; past it, SYN cookies (or drops). Sized like
   * Linux's tcp_max_syn_backlog (1024 on a small machine): cookies are for floods, not for a busy client.
   */
  readonly synBacklog: number;
  /**
   * Half-open connections one remote address may hold (each VM has its own); past it, SYN cookies. A quarter
   * of synBacklog (as maxConnectionsPerSource is of the table): an ordinary burst from one client (a load
   * generator opening hundreds at once) stays stateful, so a lost segment is retransmitted by us rather than
   * left to a cookie handshake that has no state to retry from.
   */
  readonly synBacklogPerSource: number;
  /** Answer SYNs with RFC 4987 SYN cookies once a backlog bound is reached (Linux tcp_syncookies=1). */
  readonly synCookies: boolean;
  /** FIN-WAIT-2 lifetime after close() (orphaned; Linux tcp_fin_timeout). */
  readonly finWait2TimeoutMs: number;
  /** RFC 5961 §7 challenge-ACK rate limit: at most `challengeAckLimit` per `challengeAckWindowMs`. */
  readonly challengeAckLimit: number;
  readonly challengeAckWindowMs: number;
  /** Out-of-order reassembly bounds (bytes are also bounded by the receive window). */
  readonly reassemblyMaxBytes: number;
  readonly reassemblyMaxSegments: number;
  /** Nagle's algorithm (RFC 9293 §3.7.4); node:http calls setNoDelay, so default off. */
  readonly nagle: boolean;
  /** Delayed ACK timeout in ms (RFC 9293 §3.8.6.3); 0 = ACK every data segment at once. */
  readonly delayedAckMs: number;
}

export const defaultTcpConfig: TcpConfig = Object.freeze({
  mss: 1460,
  sendBufferSize: 256 * 1024,
  receiveBufferSize: 256 * 1024,
  windowScaling: true,
  timestamps: true,
  mslMs: 30_000,
  rtoInitialMs: 1000,
  rtoMinMs: 200,
  rtoMaxMs: 60_000,
  maxRetransmits: 12,
  synRetries: 5,
  synAckRetries: 5,
  synReceivedTimeoutMs: 60_000,
  synBacklog: 1024,
  synBacklogPerSource: 256,
  synCookies: true,
  finWait2TimeoutMs: 60_000,
  challengeAckLimit: 10,
  challengeAckWindowMs: 5000,
  reassemblyMaxBytes: 256 * 1024,
  reassemblyMaxSegments: 64,
  nagle: false,
  delayedAckMs: 0,
});

const LIMITS: Record<keyof TcpConfig, readonly [number, number] | 'boolean'> = {
  mss: [64, 65495],
  sendBufferSize: [1, 1 << 30],
  receiveBufferSize: [1, 1 << 30],
  windowScaling: 'boolean',
  timestamps: 'boolean',
  mslMs: [0, 600_000],
  rtoInitialMs: [1, 600_000],
  rtoMinMs: [1, 600_000],
  rtoMaxMs: [1, 3_600_000],
  maxRetransmits: [0, 100],
  synRetries: [0, 100],
  synAckRetries: [0, 100],
  synReceivedTimeoutMs: [1, 3_600_000],
  synBacklog: [1, 1 << 20],
  synBacklogPerSource: [1, 1 << 20],
  synCookies: 'boolean',
  finWait2TimeoutMs: [1, 3_600_000],
  challengeAckLimit: [1, 1_000_000],
  challengeAckWindowMs: [1, 3_600_000],
  reassemblyMaxBytes: [0, 1 << 30],
  reassemblyMaxSegments: [0, 1 << 20],
  nagle: 'boolean',
  delayedAckMs: [0, 500],
};

/** Merges `overrides` over the defaults and validates every field; throws TcpConfigError naming the field. */
export function resolveTcpConfig(overrides: Partial<TcpConfig> = {}): TcpConfig {
  const merged: Record<string, unknown> = { ...defaultTcpConfig };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in LIMITS)) throw new TcpConfigError('ERR_TCP_CONFIG', `tcp config: unknown field ${key}`);
    if (value !== undefined) merged[key] = value;
  }
  for (const [key, limit] of Object.entries(LIMITS)) {
    const value = merged[key];
    if (limit === 'boolean') {
      if (typeof value !== 'boolean') throw new TcpConfigError('ERR_TCP_CONFIG', `tcp config: ${key} must be a boolean`);
    } else if (typeof value !== 'number' || !Number.isInteger(value) || value < limit[0] || value > limit[1]) {
      throw new TcpConfigError('ERR_TCP_CONFIG', `tcp config: ${key} must be an integer in [${limit[0]}, ${limit[1]}]`);
    }
  }
  const config = merged as unknown as TcpConfig;
  if (config.rtoMinMs > config.rtoMaxMs) {
    throw new TcpConfigError('ERR_TCP_CONFIG', 'tcp config: rtoMinMs must not exceed rtoMaxMs');
  }
  return Object.freeze(config);
}
