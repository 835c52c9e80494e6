// TIME-WAIT as small state (like Linux's timewait buckets): the 4-tuple's ports, both sequence numbers,
// timestamps and the deadline, and what a segment for it gets (RFC 9293 §3.10.7.4, RFC 6191, RFC 1337).
import { TcpFlags, type TcpOptions, type TcpSegment } from '../wire/tcp-segment.ts';
import { add, gt, lt, seq, type Seq } from './seq.ts';

/** Out-of-window segments get at most one ACK per this interval (Linux tcp_invalid_ratelimit). */
export const TIME_WAIT_ACK_INTERVAL_MS = 500;

/** What is left of a connection in TIME-WAIT; a plain object (about 100 bytes), no buffers. */
export interface TimeWaitState {
  readonly localPort: number;
  readonly remotePort: number;
  /** SND.NXT after our FIN. */
  readonly sndNxt: Seq;
  /** RCV.NXT after the peer's FIN. */
  readonly rcvNxt: Seq;
  /** The window field of our last segment (scaled units). */
  readonly window: number;
  readonly tsEnabled: boolean;
  readonly tsOffset: number;
  tsRecent: Seq;
  /** Absolute ms at which the entry goes (2*MSL after the last FIN). */
  deadline: number;
  /** When the last rate-limited ACK went out. */
  lastAckAt: number;
}

/** What to do with a segment that hit a TIME-WAIT entry. */
export type TimeWaitVerdict =
  /** Send this ACK; `restart` when it answers a retransmitted FIN (the deadline moved to now + 2*MSL). */
  | { readonly kind: 'ack'; readonly segment: TcpSegment; readonly restart: boolean }
  /** A new SYN that is clearly newer (RFC 6191): forget the entry, hand the SYN to the listener. */
  | { readonly kind: 'reuse' }
  | { readonly kind: 'drop'; readonly reason: 'time-wait-rst' | 'time-wait-ack' | 'time-wait-limited' | 'time-wait-no-ack' };

/** The ACK this entry sends: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, with timestamps if negotiated. */
export function timeWaitAck(tw: TimeWaitState, now: number): TcpSegment {
  const options: TcpOptions = tw.tsEnabled ? { timestamps: { tsVal: (Math.floor(now) + tw.tsOffset) >>> 0, tsEcr: tw.tsRecent } } : {};
  return {
    srcPort: tw.localPort,
    dstPort: tw.remotePort,
    seq: tw.sndNxt,
    ack: tw.rcvNxt,
    flags: TcpFlags.ACK,
    window: tw.window,
    urgentPointer: 0,
    options,
    payload: new Uint8Array(0),
  };
}

/**
 * RFC 9293 §3.10.7.4 in TIME-WAIT: a RST is ignored (RFC 1337); a SYN newer than the old connection (its
 * timestamp above TS.Recent, or without timestamps its sequence above RCV.NXT; RFC 6191) may reuse the
 * tuple; the peer's retransmitted FIN is ACKed and restarts 2*MSL; other out-of-window segments, SYNs
 * and PAWS failures (RFC 7323 §5) get a rate-limited ACK (RFC 5961 §4 challenge for a SYN); an
 * in-window pure ACK is dropped. `twoMslMs` is the full TIME-WAIT length.
 */
export function timeWaitSegment(tw: TimeWaitState, seg: TcpSegment, now: number, twoMslMs: number): TimeWaitVerdict {
  const flags = seg.flags;
  if (flags & TcpFlags.RST) return { kind: 'drop', reason: 'time-wait-rst' };
  const ts = tw.tsEnabled ? seg.options.timestamps : undefined;
  if ((flags & (TcpFlags.SYN | TcpFlags.ACK)) === TcpFlags.SYN) {
    const newer = ts !== undefined ? gt(seq(ts.tsVal), tw.tsRecent) : gt(seq(seg.seq), tw.rcvNxt);
    if (newer) return { kind: 'reuse' };
    return limitedAck(tw, now);
  }
  if (ts !== undefined && lt(seq(ts.tsVal), tw.tsRecent)) return limitedAck(tw, now); // PAWS
  if (!(flags & TcpFlags.ACK)) return { kind: 'drop', reason: 'time-wait-no-ack' };
  const end = add(seq(seg.seq), seg.payload.length + (flags & TcpFlags.FIN ? 1 : 0) + (flags & TcpFlags.SYN ? 1 : 0));
  if (flags & TcpFlags.FIN && end === tw.rcvNxt && !(flags & TcpFlags.SYN)) {
    // The retransmitted FIN: our last ACK was lost. Acknowledge it and restart the 2*MSL timeout.
    if (ts !== undefined) tw.tsRecent = seq(ts.tsVal);
    tw.deadline = now + twoMslMs;
    return { kind: 'ack', segment: timeWaitAck(tw, now), restart: true };
  }
  if (seq(seg.seq) === tw.rcvNxt && seg.payload.length === 0 && !(flags & (TcpFlags.SYN | TcpFlags.FIN))) {
    return { kind: 'drop', reason: 'time-wait-ack' };
  }
  return limitedAck(tw, now);
}

function limitedAck(tw: TimeWaitState, now: number): TimeWaitVerdict {
  if (now - tw.lastAckAt < TIME_WAIT_ACK_INTERVAL_MS) return { kind: 'drop', reason: 'time-wait-limited' };
  tw.lastAckAt = now;
  return { kind: 'ack', segment: timeWaitAck(tw, now), restart: false };
}
