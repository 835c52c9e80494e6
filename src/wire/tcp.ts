// TCP segment codec (RFC 9293 §3.1): parseTcp verifies the checksum and options, writeTcp emits a segment.
import { readU16, readU32, writeU16, writeU32 } from './byte-order.ts';
import { checksumFinish, checksumSum, pseudoHeaderSum } from './checksum.ts';
import { IpProtocol } from './ipv4.ts';
import { MAX_TCP_OPTIONS_LENGTH, NO_TCP_OPTIONS, parseTcpOptions, tcpOptionsLength, writeTcpOptions } from './tcp-options.ts';
import type { TcpSegment } from './tcp-segment.ts';
import { assertField, assertRoom, WireError } from './wire-error.ts';

export const TCP_MIN_HEADER_LENGTH = 20;

/**
 * Parses the TCP segment `bytes` (exactly the IPv4 payload) sent from srcAddr to dstAddr.
 * Order of checks: length, checksum over pseudo-header + segment (RFC 9293 §3.1), data offset, options.
 * The payload is a zero-copy subarray.
 */
export function parseTcp(bytes: Uint8Array, srcAddr: number, dstAddr: number): TcpSegment {
  const length = bytes.length;
  if (length < TCP_MIN_HEADER_LENGTH) {
    throw new WireError('ERR_TCP_TRUNCATED', `TCP: ${length} bytes, header needs at least 20`);
  }
  const sum = checksumSum(bytes, 0, length, pseudoHeaderSum(srcAddr, dstAddr, IpProtocol.TCP, length));
  if (checksumFinish(sum) !== 0) throw new WireError('ERR_TCP_CHECKSUM', 'TCP: checksum mismatch');
  const headerLength = (bytes[12]! >>> 4) * 4;
  if (headerLength < TCP_MIN_HEADER_LENGTH || headerLength > length) {
    throw new WireError(
      'ERR_TCP_DATA_OFFSET',
      `TCP: data offset ${headerLength / 4} outside 5..${Math.min(15, length >>> 2)} for a ${length}-byte segment`,
    );
  }
  return {
    srcPort: readU16(bytes, 0),
    dstPort: readU16(bytes, 2),
    seq: readU32(bytes, 4),
    ack: readU32(bytes, 8),
    flags: bytes[13]!,
    window: readU16(bytes, 14),
    urgentPointer: readU16(bytes, 18),
    options: headerLength === TCP_MIN_HEADER_LENGTH ? NO_TCP_OPTIONS : parseTcpOptions(bytes, TCP_MIN_HEADER_LENGTH, headerLength),
    payload: bytes.subarray(headerLength),
  };
}

/** Bytes writeTcp will emit for `segment`: header, options and payload. */
export function tcpSegmentLength(segment: TcpSegment): number {
  return TCP_MIN_HEADER_LENGTH + tcpOptionsLength(segment.options) + segment.payload.length;
}

/**
 * Writes header, options (Linux order, 4-byte aligned) and payload at buf[offset] with the checksum over
 * the pseudo-header (RFC 9293 §3.1). Returns the bytes written. When segment.payload already sits at its
 * destination inside buf (same ArrayBuffer and position) it is not copied.
 */
export function writeTcp(segment: TcpSegment, srcAddr: number, dstAddr: number, buf: Uint8Array, offset: number): number {
  const { payload } = segment;
  const optionsLength = tcpOptionsLength(segment.options);
  if (optionsLength > MAX_TCP_OPTIONS_LENGTH) {
    throw new WireError('ERR_TCP_OPTIONS_TOO_LONG', `TCP options need ${optionsLength} bytes, at most 40 fit`);
  }
  const headerLength = TCP_MIN_HEADER_LENGTH + optionsLength;
  const total = headerLength + payload.length;
  if (total > 0xffff) throw new WireError('ERR_WIRE_FIELD_RANGE', `TCP segment of ${total} bytes exceeds 65535`);
  assertField(segment.srcPort, 0xffff, 'TCP srcPort');
  assertField(segment.dstPort, 0xffff, 'TCP dstPort');
  assertField(segment.seq, 0xffffffff, 'TCP seq');
  assertField(segment.ack, 0xffffffff, 'TCP ack');
  assertField(segment.flags, 0xff, 'TCP flags');
  assertField(segment.window, 0xffff, 'TCP window');
  assertField(segment.urgentPointer, 0xffff, 'TCP urgentPointer');
  assertRoom(buf, offset, total, 'TCP segment');

  writeU16(buf, offset, segment.srcPort);
  writeU16(buf, offset + 2, segment.dstPort);
  writeU32(buf, offset + 4, segment.seq);
  writeU32(buf, offset + 8, segment.ack);
  buf[offset + 12] = (headerLength >>> 2) << 4;
  buf[offset + 13] = segment.flags;
  writeU16(buf, offset + 14, segment.window);
  writeU16(buf, offset + 16, 0);
  writeU16(buf, offset + 18, segment.urgentPointer);
  if (optionsLength > 0) writeTcpOptions(segment.options, buf, offset + TCP_MIN_HEADER_LENGTH);
  const payloadAt = offset + headerLength;
  if (payload.length > 0 && !(payload.buffer === buf.buffer && payload.byteOffset === buf.byteOffset + payloadAt)) {
    buf.set(payload, payloadAt);
  }
  const sum = checksumSum(buf, offset, offset + total, pseudoHeaderSum(srcAddr, dstAddr, IpProtocol.TCP, total));
  writeU16(buf, offset + 16, checksumFinish(sum));
  return total;
}
