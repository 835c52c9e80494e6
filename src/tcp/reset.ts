// RST replies for segments that match no connection (RFC 9293 §3.10.7.1, "If the state is CLOSED").
import { TcpFlags, type TcpOptions, type TcpSegment } from '../wire/tcp-segment.ts';
import { add, seq } from './seq.ts';

// Shared and frozen (the payload is empty, so nothing can be written into it).
const NO_OPTIONS: TcpOptions = Object.freeze({});
const NO_PAYLOAD = new Uint8Array(0);

/** SEG.LEN: payload bytes plus one for SYN and one for FIN (RFC 9293 §3.4). */
export function segmentLength(segment: TcpSegment): number {
  let length = segment.payload.length;
  if (segment.flags & TcpFlags.SYN) length++;
  if (segment.flags & TcpFlags.FIN) length++;
  return length;
}

/**
 * The reset to send in reply to `segment` arriving for a closed port/connection, or undefined when
 * none may be sent (an incoming RST is never answered). Ports are swapped; addresses are the caller's.
 * If ACK is on: <SEQ=SEG.ACK><CTL=RST>; otherwise <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 */
export function resetForClosed(segment: TcpSegment): TcpSegment | undefined {
  if (segment.flags & TcpFlags.RST) return undefined;
  const base = {
    srcPort: segment.dstPort,
    dstPort: segment.srcPort,
    window: 0,
    urgentPointer: 0,
    options: NO_OPTIONS,
    payload: NO_PAYLOAD,
  };
  if (segment.flags & TcpFlags.ACK) {
    return { ...base, seq: seq(segment.ack), ack: 0, flags: TcpFlags.RST };
  }
  return { ...base, seq: 0, ack: add(seq(segment.seq), segmentLength(segment)), flags: TcpFlags.RST | TcpFlags.ACK };
}
