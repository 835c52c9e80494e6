// StackTimer: one clock timer at the earliest deadline, due tasks in deadline order, stop() forgets all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../util/clock.ts';
import { StackTimer } from './stack-timer.ts';

test('one clock timer however many tasks; tasks run in deadline order; afterRun once per firing', () => {
  const clock = new FakeClock();
  const ran: string[] = [];
  let firings = 0;
  const timer = new StackTimer<string>(clock, (task, now) => ran.push(`${task}@${now}`), () => firings++);
  timer.schedule(30, 'c');
  timer.schedule(10, 'a');
  timer.schedule(20, 'b');
  timer.schedule(10, 'a2');
  assert.equal(clock.pendingTimers(), 1, 'a single clock timer');
  clock.advance(10);
  assert.deepEqual(ran.sort(), ['a2@10', 'a@10'], 'both tasks due at 10 ran together');
  assert.equal(firings, 1);
  assert.equal(clock.pendingTimers(), 1, 're-armed for the next deadline');
  clock.advance(25);
  assert.deepEqual(ran.slice(2), ['b@20', 'c@30']);
  assert.equal(clock.pendingTimers(), 0, 'nothing left: no timer');
});

test('stop() cancels the clock timer and ignores later tasks', () => {
  const clock = new FakeClock();
  const ran: string[] = [];
  const timer = new StackTimer<string>(clock, (task) => ran.push(task), () => {});
  timer.schedule(5, 'x');
  timer.stop();
  timer.schedule(6, 'y');
  assert.equal(clock.pendingTimers(), 0, 'no clock timer after stop');
  clock.advance(100);
  assert.deepEqual(ran, [], 'nothing ran');
});
