// SYN option negotiation: MSS clamping (RFC 9293 §3.7.1, RFC 6691), RFC 7323 window scale and
// timestamps (used only when both SYNs carry them), SACK-permitted accepted but never used.
import type { TcpOptions } from '../wire/tcp-segment.ts';
import type { TcpConfig } from './tcp-config.ts';

/** RFC 9293 §3.7.1: assumed send MSS when the peer's SYN has no MSS option. */
export const DEFAULT_IPV4_MSS = 536;
/** Smallest MSS we honour; hostile values (0, 1, ...) are raised to this so segments always carry data. */
export const MIN_MSS = 64;
/** RFC 7323 §2.3: largest shift count. */
export const MAX_WINDOW_SHIFT = 14;
/** Bytes the timestamps option takes in every segment (10 plus 2 NOP padding). */
export const TIMESTAMP_OPTION_BYTES = 12;

export interface Negotiated {
  /** Both SYNs carried window scale (RFC 7323 §2.2). */
  readonly windowScaling: boolean;
  /** MSS the peer accepts (clamped) and our own config.mss, whichever is smaller. */
  readonly sndMss: number;
  /** Shift applied to windows the peer sends us. */
  readonly sndWscale: number;
  /** Shift applied to windows we send. */
  readonly rcvWscale: number;
  readonly timestamps: boolean;
  /** Peer sent SACK-permitted; we do not send SACK blocks and ignore received ones (allowed by RFC 2018). */
  readonly peerSackPermitted: boolean;
}

/** The receive-window shift we offer: the smallest that lets the buffer (plus rounding slack) fit 16 bits. */
export function receiveWindowShift(receiveBufferSize: number): number {
  let shift = 0;
  while (shift < MAX_WINDOW_SHIFT && 65534 * 2 ** shift < receiveBufferSize) shift++;
  return shift;
}

/** Clamps an MSS received in a SYN (absent -> 536; 0 or tiny -> MIN_MSS). */
export function clampPeerMss(mss: number | undefined): number {
  if (mss === undefined || !Number.isFinite(mss)) return DEFAULT_IPV4_MSS;
  return Math.max(MIN_MSS, Math.min(65535, Math.floor(mss)));
}

/** Options for our SYN (active open): MSS always, window scale and timestamps per config. */
export function ourSynOptions(config: TcpConfig, tsVal: number): TcpOptions {
  const options: { mss: number; windowScale?: number; timestamps?: { tsVal: number; tsEcr: number } } = {
    mss: config.mss,
  };
  if (config.windowScaling) options.windowScale = receiveWindowShift(config.receiveBufferSize);
  if (config.timestamps) options.timestamps = { tsVal: tsVal >>> 0, tsEcr: 0 };
  return options;
}

/** What both sides agreed on, from our config and the peer's SYN options. */
export function negotiate(config: TcpConfig, peer: TcpOptions): Negotiated {
  const scaling = config.windowScaling && peer.windowScale !== undefined;
  const peerShift = Math.max(0, Math.min(MAX_WINDOW_SHIFT, Math.floor(peer.windowScale ?? 0)));
  return {
    windowScaling: scaling,
    sndMss: Math.min(clampPeerMss(peer.mss), config.mss),
    sndWscale: scaling ? peerShift : 0,
    rcvWscale: scaling ? receiveWindowShift(config.receiveBufferSize) : 0,
    timestamps: config.timestamps && peer.timestamps !== undefined,
    peerSackPermitted: peer.sackPermitted === true,
  };
}
