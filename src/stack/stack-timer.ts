// The stack's ONE clock timer: a deadline queue of tasks (connection timers, delayed SYN-ACKs, first-byte
// holds, TIME-WAIT expiry) with a single clock.setTimeout armed at the earliest deadline.
import type { Clock, TimerId } from '../util/clock.ts';
import { DeadlineQueue, type DeadlineEntry } from './deadline-queue.ts';

/** A one-off callback task for the StackTimer. */
export class CallbackTask implements DeadlineEntry {
  deadline = 0;
  heapIndex = -1;
  readonly run: () => void;
  constructor(run: () => void) {
    this.run = run;
  }
}

export class StackTimer<T extends DeadlineEntry> {
  private readonly clock: Clock;
  private readonly queue = new DeadlineQueue<T>();
  private readonly runTask: (task: T, now: number) => void;
  private readonly afterRun: () => void;
  private readonly onFireBound = (): void => this.onFire();
  private timer: TimerId | undefined;
  private timerAt = Infinity;
  private stopped = false;

  /** `runTask` runs each due task (it must not throw: catch per task); `afterRun` once per firing. */
  constructor(clock: Clock, runTask: (task: T, now: number) => void, afterRun: () => void) {
    this.clock = clock;
    this.runTask = runTask;
    this.afterRun = afterRun;
  }

  /** Queues `task` at absolute time `at` (or moves it there); re-arms the clock timer only when `at` is the new earliest. */
  schedule(at: number, task: T): void {
    if (this.stopped) return;
    this.queue.schedule(task, at);
    if (at < this.timerAt) this.arm(at);
  }

  /** Takes `task` out of the queue (the clock timer may fire once for nothing; it then re-arms). */
  cancel(task: T): void {
    this.queue.remove(task);
  }

  isScheduled(task: T): boolean {
    return this.queue.has(task);
  }

  /** Tasks queued (for memory checks). */
  get size(): number {
    return this.queue.size;
  }

  /** Cancels the clock timer and forgets every task; later schedule() calls are ignored. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.queue.clear();
  }

  private arm(at: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(this.onFireBound, Math.max(0, Math.ceil(at - this.clock.now())));
  }

  private onFire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.stopped) return;
    const now = this.clock.now();
    for (;;) {
      const task = this.queue.popDue(now);
      if (task === undefined) break;
      this.runTask(task, now);
    }
    const next = this.queue.peek();
    if (next !== undefined && !this.stopped) this.arm(next);
    this.afterRun();
  }
}
