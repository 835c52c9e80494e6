// Runs one timeline on one VM: enters each phase on the injected clock (a virtual clock runs a 70-second
// story in milliseconds), applies its HTTP fault / network fault / refusal, and undoes it when the phase ends.
import type { Clock, TimerId } from '../util/clock.ts';
import { ControlError, CONTROL_ERROR_CODES, fieldError } from './control-error.ts';
import type { ControlledVm } from './controlled-vm.ts';
import { netSpecOf, type TimelinePhase, type TimelineSpec } from './timeline-spec.ts';

export interface PhaseRecord {
  readonly phase: number;
  readonly label: string;
  /** Clock.now() when the phase began (virtual milliseconds with a virtual clock). */
  readonly at: number;
  /** The clock's wall time then (ISO 8601). */
  readonly wallTime: string;
}

export interface TimelineStatus {
  readonly name: string;
  readonly state: 'running' | 'done' | 'stopped';
  /** Current phase index (-1 once done or stopped). */
  readonly phase: number;
  readonly label: string | null;
  /** Milliseconds since the current phase began. */
  readonly phaseElapsedMs: number;
  /** Milliseconds since the timeline started. */
  readonly elapsedMs: number;
  readonly phases: number;
  readonly history: readonly PhaseRecord[];
  /** The last error of an asynchronous step (re-listening), if any. */
  readonly error: string | null;
}

interface Applied {
  faultIds: number[];
  netSnapshot: { value: unknown } | null;
  refused: boolean;
}

/** Checks that this VM can run every phase (net faults need capture tun). */
export function checkTimelineFits(spec: TimelineSpec, vm: ControlledVm): void {
  spec.phases.forEach((phase, i) => {
    const where = `timeline.phases[${i}]`;
    if (phase.net !== null) {
      if (!vm.net) throw fieldError(`${where}.net`, `network faults need the tun capture (VM ${vm.name} is served in ${vm.capture} mode)`);
      vm.net.check(netSpecOf(phase.net));
    }
    if (phase.refuse && !vm.net && !vm.listener) throw fieldError(`${where}.refuse`, `VM ${vm.name} offers no way to refuse connections`);
  });
}

export class TimelineRun {
  private readonly spec: TimelineSpec;
  private readonly vm: ControlledVm;
  private readonly clock: Clock;
  private index = -1;
  private state: TimelineStatus['state'] = 'running';
  private timer: TimerId | undefined;
  private applied: Applied = { faultIds: [], netSnapshot: null, refused: false };
  private readonly records: PhaseRecord[] = [];
  private startedAt = 0;
  private phaseStartedAt = 0;
  private chain: Promise<void> = Promise.resolve();
  private lastError: string | null = null;

  constructor(spec: TimelineSpec, vm: ControlledVm, clock: Clock) {
    this.spec = spec;
    this.vm = vm;
    this.clock = clock;
  }

  /** Enters the first phase; resolves once its effects are in force. */
  start(): Promise<void> {
    this.startedAt = this.clock.now();
    this.enter(0);
    return this.idle();
  }

  /** Resolves when asynchronous steps queued so far (listener close/re-listen) are done. */
  async idle(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.chain;
      await seen;
    } while (seen !== this.chain);
  }

  /** Undoes the current phase and stops; idempotent. */
  stop(): Promise<void> {
    if (this.state === 'running') {
      if (this.timer) this.clock.clearTimeout(this.timer);
      this.timer = undefined;
      this.undo();
      this.index = -1;
      this.state = 'stopped';
    }
    return this.idle();
  }

  get running(): boolean {
    return this.state === 'running';
  }

  status(): TimelineStatus {
    const now = this.clock.now();
    const phase = this.index >= 0 ? this.spec.phases[this.index] : undefined;
    return {
      name: this.spec.name,
      state: this.state,
      phase: this.index,
      label: phase?.label ?? null,
      phaseElapsedMs: phase ? now - this.phaseStartedAt : 0,
      elapsedMs: now - this.startedAt,
      phases: this.spec.phases.length,
      history: [...this.records],
      error: this.lastError,
    };
  }

  private enter(index: number): void {
    this.timer = undefined;
    this.undo();
    if (index >= this.spec.phases.length) {
      if (!this.spec.loop) {
        this.index = -1;
        this.state = 'done';
        return;
      }
      index = 0;
    }
    const phase = this.spec.phases[index]!;
    this.index = index;
    this.phaseStartedAt = this.clock.now();
    this.records.push({ phase: index, label: phase.label, at: this.phaseStartedAt, wallTime: new Date(this.clock.wallTime()).toISOString() });
    if (this.records.length > 10_000) this.records.shift();
    this.apply(phase);
    if (phase.durationMs !== null) this.timer = this.clock.setTimeout(() => this.enter(index + 1), phase.durationMs);
  }

  private apply(phase: TimelinePhase): void {
    const applied: Applied = { faultIds: [], netSnapshot: null, refused: false };
    for (const fault of phase.http) applied.faultIds.push(this.vm.faults.add(fault));
    const netSpec = phase.net !== null ? netSpecOf(phase.net) : phase.refuse && this.vm.net ? 'rst' : null;
    if (netSpec !== null && this.vm.net) {
      applied.netSnapshot = { value: this.vm.net.current() };
      this.vm.net.set(netSpec);
    } else if (phase.refuse && this.vm.listener) {
      const gate = this.vm.listener;
      applied.refused = true;
      this.queue(() => gate.refuse());
    }
    this.applied = applied;
  }

  private undo(): void {
    const { faultIds, netSnapshot, refused } = this.applied;
    for (const id of faultIds) this.vm.faults.remove(id);
    if (netSnapshot && this.vm.net) this.vm.net.restore(netSnapshot.value);
    if (refused && this.vm.listener) {
      const gate = this.vm.listener;
      this.queue(() => gate.accept());
    }
    this.applied = { faultIds: [], netSnapshot: null, refused: false };
  }

  private queue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((error: unknown) => {
      this.lastError = error instanceof Error ? error.message : String(error);
    });
  }
}

/** One timeline per VM at a time. */
export class TimelineRegistry {
  private readonly runs = new Map<string, TimelineRun>();

  async start(vm: ControlledVm, spec: TimelineSpec, clock: Clock, replace: boolean): Promise<TimelineRun> {
    const current = this.runs.get(vm.name);
    if (current?.running) {
      if (!replace) throw new ControlError(CONTROL_ERROR_CODES.conflict, `VM ${vm.name} already runs timeline "${current.status().name}" (stop it, or pass replace: true)`, { field: 'replace' });
      await current.stop();
    }
    checkTimelineFits(spec, vm);
    const run = new TimelineRun(spec, vm, clock);
    this.runs.set(vm.name, run);
    await run.start();
    return run;
  }

  get(vmName: string): TimelineRun | undefined {
    return this.runs.get(vmName);
  }

  /** Waits for every timeline's queued asynchronous steps. */
  async idle(): Promise<void> {
    await Promise.all([...this.runs.values()].map((r) => r.idle()));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.runs.values()].map((r) => r.stop()));
  }
}
