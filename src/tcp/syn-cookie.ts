// SYN cookies (RFC 4987 §3.6) built as Linux builds them (net/ipv4/syncookies.c): the SYN-ACK's ISN carries
// a keyed hash of the 4-tuple, a 60 s counter and an MSS index; the peer's window scale and SACK-permitted
// ride in the low 6 bits of our timestamp (cookie_init_timestamp). Pure: the key is an injected KeyedHash.
import type { KeyedHash } from './isn.ts';
import type { TcpEndpoints } from './tcb-types.ts';

/** MSS values a cookie can carry (Linux msstab): the largest not above the peer's MSS is encoded. */
export const COOKIE_MSS_TABLE: readonly number[] = [536, 1300, 1440, 1460];
/** Length of one counter period (Linux: one minute). */
export const COOKIE_PERIOD_MS = 60_000;
/** A cookie is valid in the period it was made and the next one (Linux MAX_SYNCOOKIE_AGE = 2). */
export const COOKIE_MAX_AGE = 2;
const COOKIE_BITS = 24;
const COOKIE_MASK = (1 << COOKIE_BITS) - 1;
/** Low timestamp bits that carry options (Linux TSBITS = 6): 4 bits window scale, 1 bit SACK-permitted. */
const TS_BITS = 6;
const TS_MASK = (1 << TS_BITS) - 1;
const TS_NO_WSCALE = 0xf;
const TS_SACK = 0x10;

/** What the peer's SYN offered, recovered from a valid cookie ACK. */
export interface CookieOptions {
  /** The encoded MSS (a COOKIE_MSS_TABLE value at most the peer's MSS). */
  readonly mss: number;
  /** The peer's window shift, or undefined when it offered none (or timestamps were off). */
  readonly windowScale: number | undefined;
  readonly sackPermitted: boolean;
  /** The ACK carried timestamps, so the SYN did too and our SYN-ACK echoed them. */
  readonly timestamps: boolean;
}

export interface SynCookies {
  /** The ISN of a stateless SYN-ACK answering a SYN with sequence `peerIsn` and MSS `peerMss`. */
  isn(endpoints: TcpEndpoints, peerIsn: number, peerMss: number, now: number): number;
  /** The MSS a cookie carries if `ack - 1` is a valid cookie for a SYN at `seq - 1`; else undefined. */
  check(endpoints: TcpEndpoints, seq: number, ack: number, now: number): number | undefined;
}

/** Index of the largest table MSS not above `peerMss` (0 when the peer's is below 536). */
export function cookieMssIndex(peerMss: number): number {
  for (let i = COOKIE_MSS_TABLE.length - 1; i > 0; i--) if (peerMss >= COOKIE_MSS_TABLE[i]!) return i;
  return 0;
}

function counter(now: number): number {
  return Math.floor(now / COOKIE_PERIOD_MS) >>> 0;
}

const message = new Uint8Array(17);
const view = new DataView(message.buffer);

function hashOf(hash: KeyedHash, e: TcpEndpoints, count: number, tag: number): number {
  view.setUint32(0, e.localAddress >>> 0);
  view.setUint16(4, e.localPort);
  view.setUint32(6, e.remoteAddress >>> 0);
  view.setUint16(10, e.remotePort);
  view.setUint32(12, count >>> 0);
  message[16] = tag;
  return hash(message) >>> 0;
}

/**
 * cookie = H1(tuple) + peerIsn + (count << 24) + ((H2(tuple, count) + mssIndex) mod 2^24), as Linux's
 * secure_tcp_syn_cookie; checking subtracts back and accepts counts at most COOKIE_MAX_AGE - 1 periods old.
 */
export function createSynCookies(hash: KeyedHash): SynCookies {
  return {
    isn(endpoints, peerIsn, peerMss, now) {
      const count = counter(now);
      const data = (hashOf(hash, endpoints, count, 4) + cookieMssIndex(peerMss)) & COOKIE_MASK;
      return (hashOf(hash, endpoints, 0, 3) + peerIsn + (count & 0xff) * 2 ** COOKIE_BITS + data) >>> 0;
    },
    check(endpoints, seq, ack, now) {
      const peerIsn = (seq - 1) >>> 0;
      const cookie = (ack - 1) >>> 0;
      const rest = (cookie - hashOf(hash, endpoints, 0, 3) - peerIsn) >>> 0;
      const count = counter(now);
      const age = (count - (rest >>> COOKIE_BITS)) & 0xff;
      if (age >= COOKIE_MAX_AGE) return undefined;
      const index = (rest - hashOf(hash, endpoints, count - age, 4)) & COOKIE_MASK;
      return COOKIE_MSS_TABLE[index];
    },
  };
}

/**
 * Our SYN-ACK timestamp with the peer's options in its low 6 bits (never later than `tsNow`, so the
 * connection's clock does not step back afterwards): window shift (0xf = none) and SACK-permitted.
 */
export function encodeCookieTimestamp(tsNow: number, windowScale: number | undefined, sackPermitted: boolean): number {
  const options = (windowScale ?? TS_NO_WSCALE) | (sackPermitted ? TS_SACK : 0);
  let ts = ((tsNow & ~TS_MASK) | options) >>> 0;
  if (((ts - tsNow) | 0) > 0) ts = (ts - (TS_MASK + 1)) >>> 0;
  return ts;
}

/**
 * The options of a cookie ACK: from its echoed timestamp (tsEcr), or none without timestamps (what is
 * lost then, as on Linux: window scaling and SACK). Four bits hold shifts 0..14 and 15 for none.
 */
export function decodeCookieOptions(mss: number, tsEcr: number | undefined): CookieOptions {
  if (tsEcr === undefined) return { mss, windowScale: undefined, sackPermitted: false, timestamps: false };
  const wscale = tsEcr & TS_NO_WSCALE;
  return { mss, windowScale: wscale === TS_NO_WSCALE ? undefined : wscale, sackPermitted: (tsEcr & TS_SACK) !== 0, timestamps: true };
}
