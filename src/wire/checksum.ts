// RFC 1071 internet checksum (incremental sum + finish) and the TCP/UDP pseudo-header sum (RFC 9293 §3.1).
// A leaf module: ipv4.ts, tcp.ts and icmp.ts all use it, none of them imports another.

// Host byte order, checked once: the wide path below relies on little-endian 32-bit loads.
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const WIDE_MIN_BYTES = 64;

// One cached 32-bit view of the last ArrayBuffer seen: packets from one pool or send buffer share it,
// so the wide path does not allocate a view per call.
let cachedBuffer: ArrayBufferLike | undefined;
let cachedWords: Uint32Array = new Uint32Array(0);

function wordsOf(buffer: ArrayBufferLike, lastWord: number): Uint32Array {
  if (buffer !== cachedBuffer || lastWord > cachedWords.length) {
    cachedBuffer = buffer;
    cachedWords = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
  }
  return cachedWords;
}

/**
 * Adds the 16-bit big-endian words of bytes[start, end) to `initial` without folding (RFC 1071 §4.1).
 * An odd final byte is padded with a zero low byte. For incremental use every chunk but the last must
 * have even length. The result stays exact up to 2^53, far beyond any IPv4 datagram.
 */
export function checksumSum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  const absolute = bytes.byteOffset + start;
  if (end - start < WIDE_MIN_BYTES || !LITTLE_ENDIAN || (absolute & 1) !== 0) return sumBytes(bytes, start, end, initial);
  // RFC 1071 §2(B): the sum is byte-order independent, so add little-endian 32-bit words (each is
  // congruent to the sum of its two 16-bit halves mod 0xffff) and swap the folded result back.
  const head = absolute & 2;
  const aligned = start + head;
  const words = (end - aligned) >>> 2;
  const first = (bytes.byteOffset + aligned) >>> 2;
  const view = wordsOf(bytes.buffer, first + words);
  let le = 0;
  let i = first;
  const last = first + words;
  for (const stop = last - (words & 3); i < stop; i += 4) le += view[i]! + view[i + 1]! + view[i + 2]! + view[i + 3]!;
  for (; i < last; i++) le += view[i]!;
  le = le % 0xffff || (le === 0 ? 0 : 0xffff);
  let sum = initial + (((le & 0xff) << 8) | (le >>> 8));
  if (head !== 0) sum += (bytes[start]! << 8) | bytes[start + 1]!;
  return sumBytes(bytes, aligned + words * 4, end, sum);
}

/** The byte-at-a-time path: any alignment, any length. */
function sumBytes(bytes: Uint8Array, start: number, end: number, initial: number): number {
  let sum = initial;
  let i = start;
  const even = end - ((end - start) & 1);
  const stop8 = even - ((even - start) & 7);
  for (; i < stop8; i += 8) {
    sum +=
      ((bytes[i]! << 8) | bytes[i + 1]!) +
      ((bytes[i + 2]! << 8) | bytes[i + 3]!) +
      ((bytes[i + 4]! << 8) | bytes[i + 5]!) +
      ((bytes[i + 6]! << 8) | bytes[i + 7]!);
  }
  for (; i < even; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (even < end) sum += bytes[even]! << 8;
  return sum;
}

/** Folds the carries of an unfolded sum into 16 bits and returns its one's complement (RFC 1071 §4.1). */
export function checksumFinish(sum: number): number {
  // Two folds suffice below 2^32; larger sums first reduce with a division.
  let s = sum > 0xffffffff ? (sum % 0xffff) || 0xffff : sum;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** The internet checksum of bytes[start, end). Over a block that embeds its own checksum it is 0 when valid. */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return checksumFinish(checksumSum(bytes, start, end));
}

/** Unfolded sum of the IPv4 pseudo-header: source, destination, zero + protocol, upper-layer length. */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}
