// RFC 6528 initial sequence numbers: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
// M a 4-microsecond timer derived from the passed-in `now` (ms). F is an injected keyed hash; a pure
// SipHash-2-4 (Aumasson & Bernstein) is provided here so the stack only has to supply 16 random key bytes.
import { ImdsLabError } from '../util/errors.ts';
import type { TcpEndpoints } from './tcb-types.ts';

/** A keyed pseudo-random function with the secret key baked in: message -> unsigned 32-bit number. */
export type KeyedHash = (message: Uint8Array) => number;

export interface IsnSource {
  /** RFC 6528 §3 ISN for a new connection on this 4-tuple at `now` ms. */
  iss(endpoints: TcpEndpoints, now: number): number;
  /** RFC 7323 §5.4 per-connection timestamp offset (stable per 4-tuple and key). */
  tsOffset(endpoints: TcpEndpoints): number;
}

const MASK64 = (1n << 64n) - 1n;

function rotl(x: bigint, b: bigint): bigint {
  return ((x << b) | (x >> (64n - b))) & MASK64;
}

/** SipHash-2-4 of `message` under the 16-byte `key`, as an unsigned 64-bit bigint. */
export function sipHash24(key: Uint8Array, message: Uint8Array): bigint {
  if (key.length !== 16) throw new ImdsLabError('ERR_SIPHASH_KEY', `siphash key must be 16 bytes, got ${key.length}`);
  const view = new DataView(key.buffer, key.byteOffset, 16);
  const k0 = view.getBigUint64(0, true);
  const k1 = view.getBigUint64(8, true);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & MASK64;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK64;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & MASK64;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & MASK64;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const fullBlocks = Math.floor(message.length / 8);
  for (let i = 0; i < fullBlocks; i++) {
    let m = 0n;
    for (let j = 7; j >= 0; j--) m = (m << 8n) | BigInt(message[i * 8 + j]!);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  let last = BigInt(message.length & 0xff) << 56n;
  for (let j = message.length - 1; j >= fullBlocks * 8; j--) {
    last |= BigInt(message[j]!) << BigInt((j - fullBlocks * 8) * 8);
  }
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  return (v0 ^ v1 ^ v2 ^ v3) & MASK64;
}

/** A KeyedHash from SipHash-2-4 under `key` (16 secret random bytes, e.g. from node:crypto in the stack). */
export function sipHashKeyedHash(key: Uint8Array): KeyedHash {
  const copy = Uint8Array.from(key);
  sipHash24(copy, new Uint8Array(0)); // validates the key length once
  return (message) => Number(sipHash24(copy, message) & 0xffffffffn);
}

function tupleBytes(endpoints: TcpEndpoints, tag: number): Uint8Array {
  const bytes = new Uint8Array(13);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, endpoints.localAddress >>> 0);
  view.setUint16(4, endpoints.localPort);
  view.setUint32(6, endpoints.remoteAddress >>> 0);
  view.setUint16(10, endpoints.remotePort);
  bytes[12] = tag;
  return bytes;
}

/** RFC 6528 M: a timer ticking every 4 microseconds, from `now` in milliseconds, modulo 2^32. */
export function isnClock(now: number): number {
  return Math.floor(now * 250) % 4294967296 >>> 0;
}

export function createIsnSource(hash: KeyedHash): IsnSource {
  return {
    iss: (endpoints, now) => (isnClock(now) + (hash(tupleBytes(endpoints, 1)) >>> 0)) >>> 0,
    tsOffset: (endpoints) => hash(tupleBytes(endpoints, 2)) >>> 0,
  };
}
