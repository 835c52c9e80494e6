// Runs a lab plan step by step, transactionally: when a step fails, what already ran is undone in reverse
// order (kill spawned programs, run undo argv, undo the lines of a batch that ran, remove written files), then
// the error names the step. A parallel group runs its independent steps a few at a time.
import { LabError } from './lab-error.ts';
import type { LabRunner } from '../process/lab-runner.ts';
import { stopProcess } from '../process/lab-runner.ts';
import { mapLimit } from '../util/map-limit.ts';
import { batchArgv, batchInput, formatArgv, formatStep, type BatchStep, type LabStep, type Readiness } from './lab-step.ts';

/** A step that ran, with the PID of a spawned program (never a parallel group: its steps are recorded one by one). */
export interface DoneStep {
  readonly step: LabStep;
  readonly pid?: number;
  /** A batch that stopped at a failed line: how many lines ran before it (all when absent). */
  readonly linesDone?: number;
}

export type ExecutorEvent =
  | { readonly type: 'step'; readonly index: number; readonly total: number; readonly step: LabStep }
  | { readonly type: 'waiting'; readonly id: string; readonly elapsedMs: number }
  | { readonly type: 'rollback'; readonly steps: number };

export interface ExecuteOptions {
  readonly onEvent?: (event: ExecutorEvent) => void;
  /** Called after every step with everything done so far (the CLI persists it for `down`). */
  readonly onProgress?: (done: readonly DoneStep[]) => void;
}

function tail(text: string | null, lines = 12): string {
  if (!text) return '';
  return text.trimEnd().split('\n').slice(-lines).map((l) => `    ${l}`).join('\n');
}

async function isReady(runner: LabRunner, ready: Readiness, log: string): Promise<boolean> {
  if (ready.kind === 'log') return new RegExp(ready.match).test(runner.readFile(log) ?? '');
  const result = await runner.run(ready.argv, { timeoutMs: 5000 });
  return result.code === 0 && (ready.match === undefined || new RegExp(ready.match, 'm').test(result.stdout));
}

/** What exists after a step failed part-way: a spawned program's PID, or a batch's lines that ran. */
function failedWith(error: LabError, partial: DoneStep): LabError {
  return Object.assign(error, { partial });
}

/** iproute2's "Command failed -:N" (1-based line of stdin); null when it did not say (killed, crashed). */
export function failedBatchLine(stderr: string): number | null {
  const m = /Command failed -:(\d+)/.exec(stderr);
  return m ? Number(m[1]) : null;
}

async function runBatch(runner: LabRunner, step: BatchStep): Promise<void> {
  const argv = batchArgv(step.namespace);
  const result = await runner.run(argv, { input: batchInput(step.lines.map((l) => l.args)) });
  if (result.code === 0) return;
  const line = failedBatchLine(result.stderr);
  const detail = result.stderr.replace(/Command failed -:\d+\s*/g, '').trim() || result.stdout.trim();
  const which = line !== null && step.lines[line - 1] ? ` line ${line} (${formatArgv(step.lines[line - 1]!.args)})` : '';
  // Unknown line: every line may have run; undoing a line that did not is harmless (the rollback runs with -force).
  const partial: DoneStep = line !== null ? { step, linesDone: Math.min(line - 1, step.lines.length) } : { step };
  throw failedWith(new LabError('ERR_LAB_STEP', `${formatArgv(argv)}${which} failed (exit ${result.code}): ${detail}`), partial);
}

async function runStep(runner: LabRunner, step: Exclude<LabStep, { kind: 'parallel' }>, options: ExecuteOptions): Promise<number | undefined> {
  switch (step.kind) {
    case 'run': {
      const result = await runner.run(step.argv, step.input === undefined ? {} : { input: step.input });
      if (result.code !== 0) {
        throw new LabError('ERR_LAB_STEP', `${formatArgv(step.argv)} failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`);
      }
      return undefined;
    }
    case 'batch':
      await runBatch(runner, step);
      return undefined;
    case 'write-file':
      runner.writeFile(step.path, step.content, step.mode);
      return undefined;
    case 'spawn': {
      const pid = await runner.spawnBackground(step.argv, step.log);
      const start = runner.now();
      for (;;) {
        if (!runner.isAlive(pid)) {
          throw failedWith(new LabError('ERR_LAB_STEP', `${step.id} exited before it was ready: ${formatArgv(step.argv)}\n${tail(runner.readFile(step.log))}`), { step, pid });
        }
        if (await isReady(runner, step.ready, step.log)) return pid;
        const elapsed = runner.now() - start;
        if (elapsed > step.readyTimeoutMs) {
          throw failedWith(
            new LabError('ERR_LAB_STEP', `${step.id} was not ready after ${Math.round(elapsed / 1000)} s: ${formatArgv(step.argv)}\n${tail(runner.readFile(step.log))}`),
            { step, pid },
          );
        }
        options.onEvent?.({ type: 'waiting', id: step.id, elapsedMs: elapsed });
        await runner.sleep(100);
      }
    }
  }
}

/** Runs one step and records it in `done` (with what exists when it fails part-way). */
async function runRecorded(runner: LabRunner, step: Exclude<LabStep, { kind: 'parallel' }>, options: ExecuteOptions, done: DoneStep[]): Promise<void> {
  let pid: number | undefined;
  try {
    pid = await runStep(runner, step, options);
  } catch (error) {
    const partial = (error as { partial?: DoneStep }).partial;
    if (partial) done.push(partial);
    throw error;
  }
  done.push(pid === undefined ? { step } : { step, pid });
  options.onProgress?.(done);
}

/** A parallel group: `concurrency` steps at a time; after a failure the running ones finish and no more start. */
async function runParallel(runner: LabRunner, group: Extract<LabStep, { kind: 'parallel' }>, options: ExecuteOptions, done: DoneStep[]): Promise<void> {
  const failures: unknown[] = [];
  await mapLimit(group.steps, group.concurrency, async (step) => {
    if (failures.length > 0) return;
    try {
      await runRecorded(runner, step, options, done);
    } catch (error) {
      failures.push(error);
    }
  });
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    const first = failures[0] as Error;
    throw new LabError('ERR_LAB_STEP', `${first.message} (and ${failures.length - 1} more in the same parallel group)`, { cause: first });
  }
}

/** Undoes `done` in reverse order; returns warnings for undo steps that failed (it never throws). */
export async function rollback(runner: LabRunner, done: readonly DoneStep[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const item of [...done].reverse()) {
    const step = item.step;
    try {
      if (step.kind === 'spawn') {
        if (item.pid !== undefined) await stopProcess(runner, item.pid);
      } else if (step.kind === 'write-file') {
        runner.removeFile(step.removeOnUndo ?? step.path);
      } else if (step.kind === 'batch') {
        // The lines that ran, undone last first, in one `ip -force -batch` (every undo line is tried).
        const undo = step.lines.slice(0, item.linesDone ?? step.lines.length).flatMap((l) => (l.undo ? [l.undo] : [])).reverse();
        if (undo.length === 0) continue;
        const argv = batchArgv(step.namespace, true);
        const result = await runner.run(argv, { input: batchInput(undo) });
        if (result.code !== 0) warnings.push(`${formatArgv(argv)}: ${result.stderr.trim()}`);
      } else if (step.kind === 'run' && step.undo) {
        const result = await runner.run(step.undo);
        if (result.code !== 0) warnings.push(`${formatArgv(step.undo)}: ${result.stderr.trim()}`);
      }
    } catch (error) {
      warnings.push(`undo of ${formatStep(step).split('\n')[0]}: ${(error as Error).message}`);
    }
  }
  return warnings;
}

/** Runs every step; on failure rolls back and throws ERR_LAB_SETUP naming the failed step. */
export async function executePlan(runner: LabRunner, steps: readonly LabStep[], options: ExecuteOptions = {}): Promise<DoneStep[]> {
  const done: DoneStep[] = [];
  for (const [index, step] of steps.entries()) {
    options.onEvent?.({ type: 'step', index, total: steps.length, step });
    try {
      if (step.kind === 'parallel') await runParallel(runner, step, options, done);
      else await runRecorded(runner, step, options, done);
    } catch (error) {
      options.onEvent?.({ type: 'rollback', steps: done.length });
      const warnings = await rollback(runner, done);
      options.onProgress?.([]);
      const note = warnings.length ? `\n  rollback warnings:\n${warnings.map((w) => `    ${w}`).join('\n')}` : '';
      throw new LabError('ERR_LAB_SETUP', `lab setup failed at step ${index + 1}/${steps.length}, rolled back ${done.length} step(s): ${(error as Error).message}${note}`, {
        cause: error,
      });
    }
  }
  return done;
}

/** How many DoneSteps a plan records when every step runs (a parallel group counts its steps). */
export function countSteps(steps: readonly LabStep[]): number {
  return steps.reduce((n, s) => n + (s.kind === 'parallel' ? s.steps.length : 1), 0);
}
