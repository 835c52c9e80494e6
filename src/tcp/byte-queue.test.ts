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

test('peek inside one block is a stable zero-copy view; later appends and drops never change it', () => {
  const q = new ByteQueue();
  q.append(Uint8Array.of(1, 2, 3, 4));
  const view = q.peek(1, 2);
  assert.deepEqual(view, Uint8Array.of(2, 3));
  const taken = q.take(4);
  q.append(Uint8Array.of(9, 9, 9, 9, 9, 9));
  q.drop(6);
  q.append(new Uint8Array(40_000).fill(7));
  assert.deepEqual(view, Uint8Array.of(2, 3));
  assert.deepEqual(taken, Uint8Array.of(1, 2, 3, 4));
  assert.equal(q.peek(0, 0).length, 0);
  assert.equal(q.peek(50_000, 10).length, 0);
});

test('peek agrees with a flat reference for random appends, drops and ranges', () => {
  const q = new ByteQueue();
  let flat: number[] = [];
  let x = 12345;
  const next = (below: number): number => {
    x = (x * 1103515245 + 12345) >>> 0;
    return x % below;
  };
  for (let round = 0; round < 400; round++) {
    const chunk = Uint8Array.from({ length: next(20_000) }, () => next(256));
    q.append(chunk);
    flat.push(...chunk);
    const dropped = next(q.length + 1);
    q.drop(dropped);
    flat = flat.slice(dropped);
    assert.equal(q.length, flat.length);
    const offset = next(q.length + 1);
    const length = next(40_000);
    assert.deepEqual(Array.from(q.peek(offset, length)), flat.slice(offset, offset + length), `round ${round}`);
  }
});
