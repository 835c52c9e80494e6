// SipHash-2-4 reference vectors and RFC 6528 ISN properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIsnSource, isnClock, sipHash24, sipHashKeyedHash } from './isn.ts';

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i);

test('SipHash-2-4 matches the reference vectors (key 00..0f, message 00..n-1)', () => {
  assert.equal(sipHash24(KEY, new Uint8Array(0)), 0x726fdb47dd0e0e31n);
  assert.equal(sipHash24(KEY, Uint8Array.from({ length: 15 }, (_, i) => i)), 0xa129ca6149be45e5n);
  assert.equal(sipHash24(KEY, Uint8Array.from({ length: 8 }, (_, i) => i)), 0x93f5f5799a932462n);
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
