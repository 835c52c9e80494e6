// Big-endian (network byte order, RFC 791 Appendix B) 16- and 32-bit field access shared by the codecs.
// Callers check bounds first (an index past the end would read as 0, never throw).

export function readU16(bytes: Uint8Array, i: number): number {
  return (bytes[i]! << 8) | bytes[i + 1]!;
}

/** An unsigned 32-bit value (0..2^32-1). */
export function readU32(bytes: Uint8Array, i: number): number {
  return ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
}

export function writeU16(buf: Uint8Array, i: number, value: number): void {
  buf[i] = value >>> 8;
  buf[i + 1] = value & 0xff;
}

export function writeU32(buf: Uint8Array, i: number, value: number): void {
  buf[i] = value >>> 24;
  buf[i + 1] = (value >>> 16) & 0xff;
  buf[i + 2] = (value >>> 8) & 0xff;
  buf[i + 3] = value & 0xff;
}
