// Modulo-2^32 serial-number arithmetic (RFC 9293 §3.4; RFC 1982) on a branded type: a Seq is made only by
// seq() (which normalises to unsigned 32 bits) or by the arithmetic here, so no `>>> 0` is needed elsewhere.

declare const seqBrand: unique symbol;

/**
 * A modulo-2^32 serial number: a TCP sequence or acknowledgment number, or an RFC 7323 timestamp value
 * (which compares the same way). Always an unsigned 32-bit integer.
 */
export type Seq = number & { readonly [seqBrand]: true };

/** The serial number `n` (mod 2^32): the one way from a plain number (a parsed field, a constant) to a Seq. */
export function seq(n: number): Seq {
  return (n >>> 0) as Seq;
}

/** a < b in sequence space (valid when the distance is below 2^31). */
export function lt(a: Seq, b: Seq): boolean {
  return ((a - b) | 0) < 0;
}

export function le(a: Seq, b: Seq): boolean {
  return ((a - b) | 0) <= 0;
}

export function gt(a: Seq, b: Seq): boolean {
  return ((a - b) | 0) > 0;
}

export function ge(a: Seq, b: Seq): boolean {
  return ((a - b) | 0) >= 0;
}

/** (a + n) mod 2^32; n may be negative. */
export function add(a: Seq, n: number): Seq {
  return ((a + n) >>> 0) as Seq;
}

/** Signed distance a - b in sequence space, in [-2^31, 2^31) (a distance of exactly 2^31 reads as -2^31). */
export function sub(a: Seq, b: Seq): number {
  return (a - b) | 0;
}

/** start <= x < start + size (an empty window contains nothing). */
export function inWindow(x: Seq, start: Seq, size: number): boolean {
  return ((x - start) >>> 0) < size;
}

/** The later of a and b in sequence space. */
export function seqMax(a: Seq, b: Seq): Seq {
  return gt(a, b) ? a : b;
}

export function seqMin(a: Seq, b: Seq): Seq {
  return lt(a, b) ? a : b;
}
