// Tests of the indexed deadline min-heap behind the stack's single timer: order, in-place moves, removal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../util/seeded-random.ts';
import { DeadlineQueue, type DeadlineEntry } from './deadline-queue.ts';

interface Item extends DeadlineEntry {
  readonly name: string;
}
const item = (name: string): Item => ({ name, deadline: 0, heapIndex: -1 });

test('pops items in deadline order, only when due', () => {
  const q = new DeadlineQueue<Item>();
  const [a, b, c] = [item('a'), item('b'), item('c')];
  q.schedule(c, 30);
  q.schedule(a, 10);
  q.schedule(b, 20);
  assert.equal(q.peek(), 10);
  assert.equal(q.popDue(5), undefined);
  assert.equal(q.popDue(25), a);
  assert.equal(q.popDue(25), b);
  assert.equal(q.popDue(25), undefined);
  assert.equal(q.size, 1);
  assert.equal(q.popDue(30), c);
  assert.equal(q.peek(), undefined);
  assert.equal(c.heapIndex, -1);
});

test('re-scheduling moves an entry in place; it is queued once', () => {
  const q = new DeadlineQueue<Item>();
  const [a, b] = [item('a'), item('b')];
  q.schedule(a, 10);
  q.schedule(b, 20);
  q.schedule(a, 30);
  assert.equal(q.size, 2);
  assert.equal(q.popDue(25), b);
  q.schedule(a, 5);
  assert.equal(q.popDue(5), a);
  assert.equal(q.size, 0);
});

test('a removed entry is gone at once (nothing of it is kept)', () => {
  const q = new DeadlineQueue<Item>();
  const items = Array.from({ length: 50 }, (_, i) => item(String(i)));
  items.forEach((x, i) => q.schedule(x, (i * 37) % 50));
  for (const x of items.filter((_, i) => i % 3 === 0)) q.remove(x);
  q.remove(items[0]!); // twice: no effect
  assert.equal(q.size, 50 - 17);
  const out: string[] = [];
  for (let x = q.popDue(Infinity); x !== undefined; x = q.popDue(Infinity)) out.push(x.name);
  const expected = items.filter((_, i) => i % 3 !== 0).sort((x, y) => x.deadline - y.deadline).map((x) => x.name);
  assert.deepEqual(out, expected);
});

test('random schedules, moves and removals come out sorted', () => {
  const q = new DeadlineQueue<Item>();
  const r = seededRandom(11);
  const items = Array.from({ length: 2000 }, (_, i) => item(String(i)));
  for (const x of items) q.schedule(x, Math.floor(r() * 1e6));
  for (let i = 0; i < 1000; i++) {
    const x = items[Math.floor(r() * items.length)]!;
    if (r() < 0.3) q.remove(x);
    else q.schedule(x, Math.floor(r() * 1e6));
  }
  const live = items.filter((x) => x.heapIndex >= 0);
  assert.equal(q.size, live.length);
  const out: number[] = [];
  for (let x = q.popDue(Infinity); x !== undefined; x = q.popDue(Infinity)) out.push(x.deadline);
  assert.deepEqual(out, live.map((x) => x.deadline).sort((a, b) => a - b));
});
