// SipHash-2-4 reference vectors and RFC 6528 ISN properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../util/seeded-random.ts';
import { createIsnSource, isnClock, sipHash24, sipHashKeyedHash } from './isn.ts';

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i);

test('SipHash-2-4 matches the reference vectors (key 00..0f, message 00..n-1)', () => {
  assert.equal(sipHash24(KEY, new Uint8Array(0)), 0x726fdb47dd0e0e31n);
  assert.equal(sipHash24(KEY, Uint8Array.from({ length: 15 }, (_, i) => i)), 0xa129ca6149be45e5n);
  assert.equal(sipHash24(KEY, Uint8Array.from({ length: 8 }, (_, i) => i)), 0x93f5f5799a932462n);
  assert.equal(sipHash24(KEY, Uint8Array.of(0)), 0x74f839c593dc67fdn);
  assert.equal(sipHash24(KEY, Uint8Array.of(0, 1)), 0x0d6c8009d9a94f5an);
  assert.equal(sipHash24(KEY, Uint8Array.of(0, 1, 2)), 0x85676696d7fb7e2dn);
});

/** The straightforward BigInt SipHash-2-4 (the previous implementation), as a differential reference. */
function referenceSipHash(key: Uint8Array, message: Uint8Array): bigint {
  const mask = (1n << 64n) - 1n;
  const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & mask;
  const view = new DataView(key.buffer, key.byteOffset, 16);
  const k0 = view.getBigUint64(0, true);
  const k1 = view.getBigUint64(8, true);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & mask; v1 = rotl(v1, 13n) ^ v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & mask; v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & mask; v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & mask; v1 = rotl(v1, 17n) ^ v2; v2 = rotl(v2, 32n);
  };
  const blocks = Math.floor(message.length / 8);
  for (let i = 0; i < blocks; i++) {
    let m = 0n;
    for (let j = 7; j >= 0; j--) m = (m << 8n) | BigInt(message[i * 8 + j]!);
    v3 ^= m; round(); round(); v0 ^= m;
  }
  let last = BigInt(message.length & 0xff) << 56n;
  for (let j = message.length - 1; j >= blocks * 8; j--) last |= BigInt(message[j]!) << BigInt((j - blocks * 8) * 8);
  v3 ^= last; round(); round(); v0 ^= last;
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  return (v0 ^ v1 ^ v2 ^ v3) & mask;
}

test('the 32-bit SipHash agrees with the BigInt reference for random keys and every length 0..300', () => {
  const rng = seededRandom(2012);
  for (let length = 0; length <= 300; length++) {
    const key = Uint8Array.from({ length: 16 }, () => Math.floor(rng() * 256));
    const message = Uint8Array.from({ length }, () => Math.floor(rng() * 256));
    const expected = referenceSipHash(key, message);
    assert.equal(sipHash24(key, message), expected, `length ${length}`);
    assert.equal(sipHashKeyedHash(key)(message), Number(expected & 0xffffffffn), `keyed, length ${length}`);
  }
});

test('a bad key length is rejected with a clear error', () => {
  assert.throws(() => sipHashKeyedHash(new Uint8Array(8)), /16 bytes/);
});

test('M ticks every 4 microseconds and wraps at 2^32', () => {
  assert.equal(isnClock(0), 0);
  assert.equal(isnClock(1), 250);
  assert.equal(isnClock(0.004), 1);
  assert.equal(isnClock(2 ** 32 / 250), 0);
});

test('ISN = M + F(4-tuple, key): stable per tuple, differs across tuples and keys, advances with time', () => {
  const source = createIsnSource(sipHashKeyedHash(KEY));
  const tuple = { localAddress: 0xa9fea9fe, localPort: 80, remoteAddress: 0x0a000004, remotePort: 40000 };
  const other = { ...tuple, remotePort: 40001 };
  const a = source.iss(tuple, 1000);
  assert.equal(source.iss(tuple, 1000), a);
  assert.equal(source.iss(tuple, 1001), (a + 250) >>> 0);
  assert.notEqual(source.iss(other, 1000), a);
  const otherKey = createIsnSource(sipHashKeyedHash(KEY.map((b) => b ^ 0x55)));
  assert.notEqual(otherKey.iss(tuple, 1000), a);
  assert.notEqual(source.tsOffset(tuple), source.tsOffset(other));
  assert.ok(a >= 0 && a <= 0xffffffff);
});
