// StackTimer: one clock timer at the earliest deadline, due tasks in deadline order, cancel, stop() forgets all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../util/clock.ts';
import { CallbackTask, StackTimer } from './stack-timer.ts';

function setup(): { clock: FakeClock; ran: string[]; timer: StackTimer<CallbackTask>; task: (name: string) => CallbackTask; firings: () => number } {
  const clock = new FakeClock();
  const ran: string[] = [];
  let firings = 0;
  const timer = new StackTimer<CallbackTask>(clock, (task) => task.run(), () => firings++);
  const task = (name: string): CallbackTask => new CallbackTask(() => ran.push(`${name}@${clock.now()}`));
  return { clock, ran, timer, task, firings: () => firings };
}

test('one clock timer however many tasks; tasks run in deadline order; afterRun once per firing', () => {
  const { clock, ran, timer, task, firings } = setup();
  timer.schedule(30, task('c'));
  timer.schedule(10, task('a'));
  timer.schedule(20, task('b'));
  timer.schedule(10, task('a2'));
  assert.equal(clock.pendingTimers(), 1, 'a single clock timer');
  clock.advance(10);
  assert.deepEqual(ran.sort(), ['a2@10', 'a@10'], 'both tasks due at 10 ran together');
  assert.equal(firings(), 1);
  assert.equal(clock.pendingTimers(), 1, 're-armed for the next deadline');
  clock.advance(25);
  assert.deepEqual(ran.slice(2), ['b@20', 'c@30']);
  assert.equal(clock.pendingTimers(), 0, 'nothing left: no timer');
});

test('a cancelled task never runs and leaves the queue at once', () => {
  const { clock, ran, timer, task } = setup();
  const x = task('x');
  timer.schedule(5, x);
  timer.schedule(7, task('y'));
  timer.cancel(x);
  assert.equal(timer.size, 1);
  clock.advance(10);
  assert.deepEqual(ran, ['y@7']);
});

test('stop() cancels the clock timer and ignores later tasks', () => {
  const { clock, ran, timer, task } = setup();
  timer.schedule(5, task('x'));
  timer.stop();
  timer.schedule(6, task('y'));
  assert.equal(clock.pendingTimers(), 0, 'no clock timer after stop');
  clock.advance(100);
  assert.deepEqual(ran, [], 'nothing ran');
});
