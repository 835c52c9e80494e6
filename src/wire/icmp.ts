// ICMP codec (RFC 792): parse/write any message, build destination-unreachable quoting the offending datagram.
import { readU16, readU32, writeU16, writeU32 } from './byte-order.ts';
import { checksumFinish, checksumSum } from './checksum.ts';
import type { Ipv4Packet } from './ipv4.ts';
import { assertField, assertRoom, WireError } from './wire-error.ts';

export const IcmpType = {
  ECHO_REPLY: 0,
  DESTINATION_UNREACHABLE: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAMETER_PROBLEM: 12,
} as const;
export type IcmpType = (typeof IcmpType)[keyof typeof IcmpType];

/** Destination-unreachable codes we send (RFC 792; 13 from RFC 1812 §5.2.7.1). */
export const IcmpUnreachableCode = { NET: 0, HOST: 1, PROTOCOL: 2, PORT: 3, ADMIN_PROHIBITED: 13 } as const;
export type IcmpUnreachableCode = (typeof IcmpUnreachableCode)[keyof typeof IcmpUnreachableCode];

export const ICMP_HEADER_LENGTH = 8;

export interface IcmpMessage {
  readonly type: number;
  readonly code: number;
  /** The 4 bytes after the checksum as an unsigned 32-bit number (id/seq for echo, unused or MTU for errors). */
  readonly rest: number;
  /** Everything after the 8-byte header (zero-copy when parsed); for errors, the quoted datagram. */
  readonly body: Uint8Array;
}

/** Parses an ICMP message (the whole IPv4 payload) and verifies its checksum (RFC 792). */
export function parseIcmp(bytes: Uint8Array): IcmpMessage {
  if (bytes.length < ICMP_HEADER_LENGTH) {
    throw new WireError('ERR_ICMP_TRUNCATED', `ICMP: ${bytes.length} bytes, header needs 8`);
  }
  if (checksumFinish(checksumSum(bytes)) !== 0) throw new WireError('ERR_ICMP_CHECKSUM', 'ICMP: checksum mismatch');
  return {
    type: bytes[0]!,
    code: bytes[1]!,
    rest: readU32(bytes, 4),
    body: bytes.subarray(ICMP_HEADER_LENGTH),
  };
}

/** Writes `message` at buf[offset] with its checksum; returns the bytes written. */
export function writeIcmp(message: IcmpMessage, buf: Uint8Array, offset: number): number {
  assertField(message.type, 0xff, 'ICMP type');
  assertField(message.code, 0xff, 'ICMP code');
  assertField(message.rest, 0xffffffff, 'ICMP rest');
  const total = ICMP_HEADER_LENGTH + message.body.length;
  assertRoom(buf, offset, total, 'ICMP message');
  buf[offset] = message.type;
  buf[offset + 1] = message.code;
  writeU16(buf, offset + 2, 0);
  writeU32(buf, offset + 4, message.rest);
  buf.set(message.body, offset + ICMP_HEADER_LENGTH);
  writeU16(buf, offset + 2, checksumFinish(checksumSum(buf, offset, offset + total)));
  return total;
}

/**
 * The part of `offending` (a raw IPv4 datagram) an ICMP error quotes: its header plus the first 8 data
 * bytes (RFC 792), never past its total length. Throws ERR_IPV4_TRUNCATED / ERR_IPV4_VERSION when
 * `offending` is not even an IPv4 header.
 */
export function icmpQuote(offending: Uint8Array): Uint8Array {
  if (offending.length < 20) throw new WireError('ERR_IPV4_TRUNCATED', `ICMP quote: ${offending.length} bytes is no IPv4 header`);
  if (offending[0]! >>> 4 !== 4) throw new WireError('ERR_IPV4_VERSION', 'ICMP quote: not an IPv4 datagram');
  const totalLength = readU16(offending, 2);
  const limit = Math.min(offending.length, Math.max(totalLength, 20));
  return offending.subarray(0, Math.min(limit, (offending[0]! & 0x0f) * 4 + 8));
}

/** Writes a destination-unreachable message (type 3, RFC 792) quoting `offending`; returns the bytes written. */
export function writeIcmpDestinationUnreachable(
  code: IcmpUnreachableCode,
  offending: Uint8Array,
  buf: Uint8Array,
  offset: number,
): number {
  return writeIcmp({ type: IcmpType.DESTINATION_UNREACHABLE, code, rest: 0, body: icmpQuote(offending) }, buf, offset);
}

const ERROR_TYPES: ReadonlySet<number> = new Set([3, 4, 5, 11, 12]);

/**
 * RFC 1122 §3.2.2 / RFC 1812 §4.3.2.7: an ICMP error must not answer an ICMP error, a non-initial fragment,
 * or a datagram whose source is not a single host (0.0.0.0, loopback, multicast, broadcast, class E) or
 * whose destination is multicast or broadcast.
 */
export function mayAnswerWithIcmpError(ip: Ipv4Packet): boolean {
  if (ip.fragmentOffset !== 0) return false;
  if (ip.protocol === 1 && (ip.payload.length === 0 || ERROR_TYPES.has(ip.payload[0]!))) return false;
  const srcTop = ip.src >>> 24;
  if (ip.src === 0 || srcTop === 127 || srcTop >= 224) return false;
  if (ip.dst >>> 24 >= 224) return false;
  return true;
}
