// TCP segment codec (RFC 9293 §3.1): parseTcp verifies the checksum and options, writeTcp emits a segment.
import { checksumFinish, checksumSum, pseudoHeaderSum } from './checksum.ts';
import { MAX_TCP_OPTIONS_LENGTH, NO_TCP_OPTIONS, parseTcpOptions, tcpOptionsLength, writeTcpOptions } from './tcp-options.ts';
import type { TcpSegment } from './tcp-segment.ts';
import { assertField, assertRoom, WireError } from './wire-error.ts';

export const TCP_MIN_HEADER_LENGTH = 20;
const TCP_PROTOCOL = 6;

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
  const sum = checksumSum(bytes, 0, length, pseudoHeaderSum(srcAddr, dstAddr, TCP_PROTOCOL, length));
  if (checksumFinish(sum) !== 0) throw new WireError('ERR_TCP_CHECKSUM', 'TCP: checksum mismatch');
  const headerLength = (bytes[12]! >>> 4) * 4;
  if (headerLength < TCP_MIN_HEADER_LENGTH || headerLength > length) {
    throw new WireError(
      'ERR_TCP_DATA_OFFSET',
      `TCP: data offset ${headerLength / 4} outside 5..${Math.min(15, length >>> 2)} for a ${length}-byte segment`,
    );
  }
  return {
    srcPort: (bytes[0]! << 8) | bytes[1]!,
    dstPort: (bytes[2]! << 8) | bytes[3]!,
    seq: ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0,
    ack: ((bytes[8]! << 24) | (bytes[9]! << 16) | (bytes[10]! << 8) | bytes[11]!) >>> 0,
    flags: bytes[13]!,
    window: (bytes[14]! << 8) | bytes[15]!,
    urgentPointer: (bytes[18]! << 8) | bytes[19]!,
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

  const { seq, ack } = segment;
  buf[offset] = segment.srcPort >>> 8;
  buf[offset + 1] = segment.srcPort & 0xff;
  buf[offset + 2] = segment.dstPort >>> 8;
  buf[offset + 3] = segment.dstPort & 0xff;
  buf[offset + 4] = seq >>> 24;
  buf[offset + 5] = (seq >>> 16) & 0xff;
  buf[offset + 6] = (seq >>> 8) & 0xff;
  buf[offset + 7] = seq & 0xff;
  buf[offset + 8] = ack >>> 24;
  buf[offset + 9] = (ack >>> 16) & 0xff;
  buf[offset + 10] = (ack >>> 8) & 0xff;
  buf[offset + 11] = ack & 0xff;
  buf[offset + 12] = (headerLength >>> 2) << 4;
  buf[offset + 13] = segment.flags;
  buf[offset + 14] = segment.window >>> 8;
  buf[offset + 15] = segment.window & 0xff;
  buf[offset + 16] = 0;
  buf[offset + 17] = 0;
  buf[offset + 18] = segment.urgentPointer >>> 8;
  buf[offset + 19] = segment.urgentPointer & 0xff;
  if (optionsLength > 0) writeTcpOptions(segment.options, buf, offset + TCP_MIN_HEADER_LENGTH);
  const payloadAt = offset + headerLength;
  if (payload.length > 0 && !(payload.buffer === buf.buffer && payload.byteOffset === buf.byteOffset + payloadAt)) {
    buf.set(payload, payloadAt);
  }
  const sum = checksumSum(buf, offset, offset + total, pseudoHeaderSum(srcAddr, dstAddr, TCP_PROTOCOL, total));
  const checksum = checksumFinish(sum);
  buf[offset + 16] = checksum >>> 8;
  buf[offset + 17] = checksum & 0xff;
  return total;
}
