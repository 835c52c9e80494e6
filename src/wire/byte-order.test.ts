// Big-endian field helpers: exact byte layout, unsigned 32-bit reads, extremes, non-zero offsets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readU16, readU32, writeU16, writeU32 } from './byte-order.ts';

test('writes most significant byte first and reads back unsigned values at any offset', () => {
  const buf = new Uint8Array(9);
  writeU32(buf, 1, 0xdeadbeef);
  writeU16(buf, 5, 0xabcd);
  assert.deepEqual(Array.from(buf), [0, 0xde, 0xad, 0xbe, 0xef, 0xab, 0xcd, 0, 0]);
  assert.equal(readU32(buf, 1), 0xdeadbeef, 'unsigned, not negative');
  assert.equal(readU16(buf, 5), 0xabcd);
  for (const v of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff]) {
    writeU32(buf, 4, v);
    assert.equal(readU32(buf, 4), v);
  }
  writeU16(buf, 7, 0xffff);
  assert.equal(readU16(buf, 7), 0xffff);
});
