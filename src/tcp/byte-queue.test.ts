// ByteQueue: append/peek/drop/take across block boundaries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteQueue } from './byte-queue.ts';

test('peek, drop and take across blocks keep byte order', () => {
  const q = new ByteQueue();
  const data = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff);
  for (let i = 0; i < data.length; i += 1234) q.append(data.subarray(i, i + 1234));
  assert.equal(q.length, data.length);
  assert.deepEqual(q.peek(16_380, 10), data.subarray(16_380, 16_390));
  assert.deepEqual(q.peek(69_995, 100), data.subarray(69_995));
  q.drop(20_000);
  assert.deepEqual(q.take(5), data.subarray(20_000, 20_005));
  assert.equal(q.length, 49_995);
  assert.deepEqual(q.peek(0, 49_995), data.subarray(20_005));
  q.drop(1e9);
  assert.equal(q.length, 0);
  assert.equal(q.peek(0, 10).length, 0);
  q.append(Uint8Array.of(1, 2, 3));
  assert.deepEqual(q.take(10), Uint8Array.of(1, 2, 3));
});

test('append copies: later changes to the caller buffer do not leak in', () => {
  const q = new ByteQueue();
  const source = Uint8Array.of(9, 9, 9);
  q.append(source);
  source.fill(0);
  assert.deepEqual(q.peek(0, 3), Uint8Array.of(9, 9, 9));
});
