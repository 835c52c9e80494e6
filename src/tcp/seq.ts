// Modulo-2^32 sequence number arithmetic (RFC 9293 §3.4; RFC 1982 serial-number comparison).

/** a < b in sequence space (valid when the distance is below 2^31). */
export function lt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function le(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function gt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export function ge(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** (a + n) mod 2^32 as an unsigned number; n may be negative. */
export function add(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** Signed distance a - b in sequence space, in [-2^31, 2^31) (a distance of exactly 2^31 reads as -2^31). */
export function sub(a: number, b: number): number {
  return (a - b) | 0;
}

/** start <= x < start + size (an empty window contains nothing). */
export function inWindow(x: number, start: number, size: number): boolean {
  return ((x - start) >>> 0) < size;
}

/** The later of a and b in sequence space. */
export function seqMax(a: number, b: number): number {
  return gt(a, b) ? a : b;
}

export function seqMin(a: number, b: number): number {
  return lt(a, b) ? a : b;
}
