// Tests of the deadline min-heap behind the stack's single timer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../util/seeded-random.ts';
import { DeadlineQueue } from './deadline-queue.ts';

test('pops items in deadline order, only when due', () => {
  const q = new DeadlineQueue<string>();
  q.push(30, 'c');
  q.push(10, 'a');
  q.push(20, 'b');
  assert.equal(q.peek(), 10);
  assert.equal(q.popDue(5), undefined);
  assert.equal(q.popDue(25), 'a');
  assert.equal(q.popDue(25), 'b');
  assert.equal(q.popDue(25), undefined);
  assert.equal(q.size, 1);
  assert.equal(q.popDue(30), 'c');
  assert.equal(q.peek(), undefined);
});

test('random pushes come out sorted', () => {
  const q = new DeadlineQueue<number>();
  const r = seededRandom(11);
  const values = Array.from({ length: 2000 }, () => Math.floor(r() * 1e6));
  for (const v of values) q.push(v, v);
  const out: number[] = [];
  for (let x = q.popDue(Infinity); x !== undefined; x = q.popDue(Infinity)) out.push(x);
  assert.deepEqual(out, [...values].sort((a, b) => a - b));
});
