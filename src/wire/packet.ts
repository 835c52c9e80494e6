// Whole-packet helpers for the stack's hot path: build IPv4+TCP / IPv4+ICMP packets, parse IPv4 down to TCP.
import { icmpQuote, ICMP_HEADER_LENGTH, IcmpType, type IcmpUnreachableCode, writeIcmp } from './icmp.ts';
import { IpProtocol, IPV4_MIN_HEADER_LENGTH, type Ipv4Packet, parseIpv4, writeIpv4Header } from './ipv4.ts';
import { parseTcp, tcpSegmentLength, writeTcp } from './tcp.ts';
import type { TcpSegment } from './tcp-segment.ts';
import { assertRoom, WireError } from './wire-error.ts';

/** The IPv4 fields a caller picks for a packet it sends; the rest is derived. */
export interface PacketAddressing {
  readonly src: number;
  readonly dst: number;
  /** Default 64 (Linux net.ipv4.ip_default_ttl). */
  readonly ttl?: number;
  /** Default 0. */
  readonly id?: number;
  /** Default 0. */
  readonly tos?: number;
  /** Default true, as Linux sets for TCP with path-MTU discovery (RFC 1191). */
  readonly dontFragment?: boolean;
}

export interface TcpPacket {
  readonly ip: Ipv4Packet;
  readonly tcp: TcpSegment;
}

export const DEFAULT_TTL = 64;

/** Bytes buildTcpPacket needs for `segment` (no IPv4 options). */
export function tcpPacketLength(segment: TcpSegment): number {
  return IPV4_MIN_HEADER_LENGTH + tcpSegmentLength(segment);
}

function writeHeader(ip: PacketAddressing, protocol: number, payloadLength: number, buf: Uint8Array, offset: number): void {
  writeIpv4Header(
    {
      tos: ip.tos ?? 0,
      id: ip.id ?? 0,
      dontFragment: ip.dontFragment ?? true,
      ttl: ip.ttl ?? DEFAULT_TTL,
      protocol,
      src: ip.src,
      dst: ip.dst,
    },
    payloadLength,
    buf,
    offset,
  );
}

/**
 * Builds an IPv4+TCP packet. Without `buf` it allocates exactly the packet; with `buf` it writes at
 * buf[offset] and returns the zero-copy view of the packet inside `buf`.
 */
export function buildTcpPacket(ip: PacketAddressing, segment: TcpSegment, buf?: Uint8Array, offset = 0): Uint8Array {
  const tcpLength = tcpSegmentLength(segment);
  const total = IPV4_MIN_HEADER_LENGTH + tcpLength;
  const out = buf ?? new Uint8Array(total);
  assertRoom(out, offset, total, 'IPv4+TCP packet');
  writeTcp(segment, ip.src, ip.dst, out, offset + IPV4_MIN_HEADER_LENGTH);
  writeHeader(ip, IpProtocol.TCP, tcpLength, out, offset);
  return buf === undefined ? out : out.subarray(offset, offset + total);
}

/** Parses an IPv4 datagram carrying TCP; a different protocol is ERR_IPV4_PROTOCOL. */
export function parseTcpPacket(bytes: Uint8Array): TcpPacket {
  const ip = parseIpv4(bytes);
  if (ip.protocol !== IpProtocol.TCP) {
    throw new WireError('ERR_IPV4_PROTOCOL', `IPv4: protocol ${ip.protocol} is not TCP`);
  }
  return { ip, tcp: parseTcp(ip.payload, ip.src, ip.dst) };
}

/**
 * Builds an IPv4 packet carrying ICMP destination-unreachable `code` that quotes `offending` (its IPv4
 * header + 8 data bytes, RFC 792 / RFC 1812 §4.3.2.3). `ip.dst` is normally the offending packet's source.
 * Check mayAnswerWithIcmpError first.
 */
export function buildIcmpUnreachablePacket(
  ip: PacketAddressing,
  code: IcmpUnreachableCode,
  offending: Uint8Array,
  buf?: Uint8Array,
  offset = 0,
): Uint8Array {
  const quote = icmpQuote(offending);
  const icmpLength = ICMP_HEADER_LENGTH + quote.length;
  const total = IPV4_MIN_HEADER_LENGTH + icmpLength;
  const out = buf ?? new Uint8Array(total);
  assertRoom(out, offset, total, 'IPv4+ICMP packet');
  // Copy the quote first: `offending` may share memory with `out`, as when a reply reuses a receive buffer.
  const body = buf !== undefined && quote.buffer === out.buffer ? quote.slice() : quote;
  writeIcmp({ type: IcmpType.DESTINATION_UNREACHABLE, code, rest: 0, body }, out, offset + IPV4_MIN_HEADER_LENGTH);
  writeHeader({ ...ip, dontFragment: ip.dontFragment ?? false }, IpProtocol.ICMP, icmpLength, out, offset);
  return buf === undefined ? out : out.subarray(offset, offset + total);
}
