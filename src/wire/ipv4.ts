// IPv4 header codec (RFC 791 §3.1): parseIpv4 validates and splits a datagram, writeIpv4Header emits one.
import { readU16, readU32, writeU16, writeU32 } from './byte-order.ts';
import { checksumFinish, checksumSum } from './checksum.ts';
import { assertField, assertRoom, WireError } from './wire-error.ts';

export const IpProtocol = { ICMP: 1, TCP: 6, UDP: 17 } as const;
export type IpProtocol = (typeof IpProtocol)[keyof typeof IpProtocol];

export const IPV4_MIN_HEADER_LENGTH = 20;
export const IPV4_MAX_HEADER_LENGTH = 60;
export const IPV4_MAX_TOTAL_LENGTH = 0xffff;

/** What a sender chooses; writeIpv4Header fills version, IHL, total length and checksum. */
export interface Ipv4Header {
  /** Type of service byte: DSCP (6 bits) + ECN (2 bits), RFC 2474 / RFC 3168. Default 0. */
  readonly tos?: number;
  readonly id: number;
  readonly dontFragment?: boolean;
  /** Only for crafting test packets: parseIpv4 rejects fragments. */
  readonly moreFragments?: boolean;
  /** In 8-byte units (RFC 791), 0..8191. Only for crafting test packets. */
  readonly fragmentOffset?: number;
  readonly ttl: number;
  readonly protocol: number;
  /** Unsigned 32-bit addresses. */
  readonly src: number;
  readonly dst: number;
  /** Raw options, a multiple of 4 bytes, at most 40. */
  readonly options?: Uint8Array;
}

export interface Ipv4Packet {
  readonly tos: number;
  readonly id: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  readonly fragmentOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly src: number;
  readonly dst: number;
  /** IHL * 4. */
  readonly headerLength: number;
  /** The total length field; bytes beyond it in the buffer (link padding) are ignored. */
  readonly totalLength: number;
  /** Raw options (zero-copy; a shared empty array when IHL = 5). Not interpreted. */
  readonly options: Uint8Array;
  /** bytes[headerLength, totalLength), zero-copy. */
  readonly payload: Uint8Array;
}

const NO_OPTIONS = new Uint8Array(0);

/**
 * Parses and validates an IPv4 datagram (RFC 791 §3.1; RFC 1122 §3.2.1.1-§3.2.1.2 checks).
 * Fragments (MF set or offset ≠ 0) are rejected with ERR_IPV4_FRAGMENT: the stack does not reassemble.
 */
export function parseIpv4(bytes: Uint8Array): Ipv4Packet {
  const length = bytes.length;
  if (length < IPV4_MIN_HEADER_LENGTH) {
    throw new WireError('ERR_IPV4_TRUNCATED', `IPv4: ${length} bytes, header needs at least 20`);
  }
  const b0 = bytes[0]!;
  if (b0 >>> 4 !== 4) throw new WireError('ERR_IPV4_VERSION', `IPv4: version field is ${b0 >>> 4}, not 4`);
  const headerLength = (b0 & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER_LENGTH) {
    throw new WireError('ERR_IPV4_HEADER_LENGTH', `IPv4: IHL ${headerLength / 4} is below 5`);
  }
  if (headerLength > length) {
    throw new WireError('ERR_IPV4_TRUNCATED', `IPv4: IHL says ${headerLength} header bytes, buffer holds ${length}`);
  }
  const totalLength = readU16(bytes, 2);
  if (totalLength < headerLength || totalLength > length) {
    throw new WireError(
      'ERR_IPV4_TOTAL_LENGTH',
      `IPv4: total length ${totalLength} outside header length ${headerLength}..buffer length ${length}`,
    );
  }
  if (checksumFinish(checksumSum(bytes, 0, headerLength)) !== 0) {
    throw new WireError('ERR_IPV4_CHECKSUM', 'IPv4: header checksum mismatch');
  }
  const b6 = bytes[6]!;
  const fragmentOffset = ((b6 & 0x1f) << 8) | bytes[7]!;
  const moreFragments = (b6 & 0x20) !== 0;
  if (moreFragments || fragmentOffset !== 0) {
    throw new WireError('ERR_IPV4_FRAGMENT', `IPv4: fragment (MF ${moreFragments ? 1 : 0}, offset ${fragmentOffset * 8})`);
  }
  return {
    tos: bytes[1]!,
    id: readU16(bytes, 4),
    dontFragment: (b6 & 0x40) !== 0,
    moreFragments,
    fragmentOffset,
    ttl: bytes[8]!,
    protocol: bytes[9]!,
    src: readU32(bytes, 12),
    dst: readU32(bytes, 16),
    headerLength,
    totalLength,
    options: headerLength === IPV4_MIN_HEADER_LENGTH ? NO_OPTIONS : bytes.subarray(IPV4_MIN_HEADER_LENGTH, headerLength),
    payload: bytes.subarray(headerLength, totalLength),
  };
}

/**
 * Writes the IPv4 header for a payload of `payloadLength` bytes at buf[offset] with its checksum
 * (RFC 791 §3.1). The payload itself is the caller's to place after the header. Returns the header length.
 */
export function writeIpv4Header(header: Ipv4Header, payloadLength: number, buf: Uint8Array, offset: number): number {
  const optionsLength = header.options?.length ?? 0;
  if (optionsLength % 4 !== 0 || optionsLength > IPV4_MAX_HEADER_LENGTH - IPV4_MIN_HEADER_LENGTH) {
    throw new WireError('ERR_WIRE_FIELD_RANGE', `IPv4 options must be a multiple of 4 bytes up to 40, got ${optionsLength}`);
  }
  const headerLength = IPV4_MIN_HEADER_LENGTH + optionsLength;
  const totalLength = headerLength + payloadLength;
  if (!Number.isInteger(payloadLength) || payloadLength < 0 || totalLength > IPV4_MAX_TOTAL_LENGTH) {
    throw new WireError('ERR_IPV4_TOTAL_LENGTH', `IPv4: total length ${totalLength} exceeds 65535 or payload length is invalid`);
  }
  const tos = header.tos ?? 0;
  const fragmentOffset = header.fragmentOffset ?? 0;
  assertField(tos, 0xff, 'IPv4 tos');
  assertField(header.id, 0xffff, 'IPv4 id');
  assertField(fragmentOffset, 0x1fff, 'IPv4 fragmentOffset');
  assertField(header.ttl, 0xff, 'IPv4 ttl');
  assertField(header.protocol, 0xff, 'IPv4 protocol');
  assertField(header.src, 0xffffffff, 'IPv4 src');
  assertField(header.dst, 0xffffffff, 'IPv4 dst');
  assertRoom(buf, offset, headerLength, 'IPv4 header');

  buf[offset] = 0x40 | (headerLength >>> 2);
  buf[offset + 1] = tos;
  writeU16(buf, offset + 2, totalLength);
  writeU16(buf, offset + 4, header.id);
  buf[offset + 6] = (header.dontFragment ? 0x40 : 0) | (header.moreFragments ? 0x20 : 0) | (fragmentOffset >>> 8);
  buf[offset + 7] = fragmentOffset & 0xff;
  buf[offset + 8] = header.ttl;
  buf[offset + 9] = header.protocol;
  buf[offset + 10] = 0;
  buf[offset + 11] = 0;
  writeU32(buf, offset + 12, header.src);
  writeU32(buf, offset + 16, header.dst);
  if (optionsLength > 0) buf.set(header.options!, offset + IPV4_MIN_HEADER_LENGTH);
  writeU16(buf, offset + 10, checksumFinish(checksumSum(buf, offset, offset + headerLength)));
  return headerLength;
}
