// Public types around a Tcb: the connection 4-tuple, close reasons, the event handler and counters.

/** The connection's 4-tuple. Addresses are unsigned 32-bit IPv4 numbers (src/util/ipv4-address.ts). */
export interface TcpEndpoints {
  readonly localAddress: number;
  readonly localPort: number;
  readonly remoteAddress: number;
  readonly remotePort: number;
}

/** Why a Tcb reached CLOSED; the error-like values match Node's socket error codes. */
export const TcpCloseReason = {
  /** Graceful: both FINs exchanged and acknowledged (after TIME-WAIT or LAST-ACK). */
  NORMAL: 'normal',
  /** The peer sent an acceptable RST in a synchronized state (RFC 9293 §3.10.7.4). */
  RESET: 'ECONNRESET',
  /** The retransmission limit (RFC 6298 + retry limit), SYN-RECEIVED timeout or FIN-WAIT-2 timeout expired. */
  TIMEOUT: 'ETIMEDOUT',
  /** Active open answered by RST in SYN-SENT (RFC 9293 §3.10.7.3). */
  REFUSED: 'ECONNREFUSED',
  /** Local abort(), or close() with unread data (RFC 2525 §2.17): we sent RST. */
  ABORTED: 'ECONNABORTED',
  /** TIME-WAIT ended early because a new SYN reused the 4-tuple (RFC 6191); see TcbVerdict. */
  REUSED: 'reused',
} as const;

export type TcpCloseReason = (typeof TcpCloseReason)[keyof typeof TcpCloseReason];

/**
 * Events from a Tcb to its owner (stack / TcpSocket). Every method is optional.
 * Events are queued while the Tcb processes a call and delivered at the END of that public call
 * (handleSegment, onTimer, write, read, shutdownWrite, close, abort), when the Tcb is consistent;
 * handlers may call back into the Tcb (read, write, close ...). After any call (and after events),
 * the owner must drain `takeOutgoing()` and re-arm its timer from `pollAt()`.
 */
export interface TcbHandler {
  /** Handshake completed: SYN-SENT/SYN-RECEIVED -> ESTABLISHED (or CLOSE-WAIT if the FIN came with it). */
  established?(): void;
  /** New in-order bytes are available: `readableLength` grew. */
  readable?(): void;
  /** Send-buffer space was freed by an ACK: `writableSpace` grew. */
  writable?(): void;
  /** The peer's FIN arrived in order: after the bytes already readable, the stream ends (EOF). */
  peerFin?(): void;
  /** Reached CLOSED; the owner removes the Tcb from its tables. Delivered exactly once. */
  closed?(reason: TcpCloseReason): void;
}

/** Why a Tcb dropped a segment without using it (RFC 9293 §3.10.7.3-4, RFC 5961, RFC 7323 §5). */
export const TcbDropReason = {
  /** SYN-SENT: the ACK does not cover our SYN (answered with RST). */
  SYN_SENT_BAD_ACK: 'syn-sent-bad-ack',
  /** SYN-SENT: a RST without ACK. */
  SYN_SENT_RST_NO_ACK: 'syn-sent-rst-without-ack',
  /** SYN-SENT: neither SYN nor RST. */
  SYN_SENT_NO_SYN: 'syn-sent-no-syn',
  /** PAWS: a timestamp older than TS.Recent (ACKed). */
  PAWS: 'paws',
  /** A RST outside the window (RFC 5961 §3.2, silently). */
  RST_OUT_OF_WINDOW: 'rst-out-of-window',
  /** Outside the receive window (ACKed, rate-limited when it has no data). */
  OUT_OF_WINDOW: 'out-of-window',
  /** In a synchronized state without ACK. */
  NO_ACK: 'no-ack',
} as const;
export type TcbDropReason = (typeof TcbDropReason)[keyof typeof TcbDropReason];

/** Per-connection counters (monotonic), for the stack's statistics. */
export interface TcbStats {
  segmentsIn: number;
  segmentsOut: number;
  bytesIn: number;
  bytesOut: number;
  retransmits: number;
  fastRetransmits: number;
  timeouts: number;
  challengeAcks: number;
  challengeAcksSuppressed: number;
  /** Segments dropped, per reason. */
  readonly drops: Record<TcbDropReason, number>;
  outOfOrderSegments: number;
  zeroWindowProbes: number;
}

/**
 * Result of Tcb.handleSegment. 'reuse' means: this Tcb was in TIME-WAIT, the segment is a SYN
 * that may open a new incarnation (RFC 9293 §3.10.7.4, RFC 6191); the Tcb is now CLOSED (closed
 * event with reason 'reused') and the owner must hand the SAME segment to the port's TcpListener.
 */
export type TcbVerdict = 'ok' | 'reuse';
