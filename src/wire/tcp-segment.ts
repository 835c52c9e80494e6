// A parsed TCP segment as the TCP core sees it (RFC 9293 §3.1); produced by parseTcp, consumed by writeTcp.

export const TcpFlags = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/**
 * Parsed options (parseTcpOptions) always carry all five keys, undefined when absent, and the shared
 * frozen NO_TCP_OPTIONS when the segment has none: test presence with `!== undefined`, never mutate.
 */
export interface TcpOptions {
  /** RFC 9293 §3.7.1. Parsed as sent, 0 included: clamping (e.g. MSS < 64) is the TCP core's policy. */
  readonly mss?: number;
  /** RFC 7323 §2: shift count (0..14); parse clamps a received value above 14 to 14 (§2.3). */
  readonly windowScale?: number;
  /** RFC 2018 */
  readonly sackPermitted?: boolean;
  readonly sackBlocks?: readonly { readonly left: number; readonly right: number }[];
  /** RFC 7323 §3 */
  readonly timestamps?: { readonly tsVal: number; readonly tsEcr: number };
}

export interface TcpSegment {
  readonly srcPort: number;
  readonly dstPort: number;
  /** Unsigned 32-bit sequence number. */
  readonly seq: number;
  readonly ack: number;
  /** Bitmask of TcpFlags. */
  readonly flags: number;
  /** Raw 16-bit window field (unscaled). */
  readonly window: number;
  readonly urgentPointer: number;
  readonly options: TcpOptions;
  readonly payload: Uint8Array;
}
