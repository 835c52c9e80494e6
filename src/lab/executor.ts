// Runs a lab plan step by step, transactionally: when a step fails, what already ran is undone in reverse
// order (kill spawned programs, run undo argv, remove written files), then the error names the step.
import { LabError } from './lab-error.ts';
import type { LabRunner } from '../process/lab-runner.ts';
import { stopProcess } from '../process/lab-runner.ts';
import { formatArgv, formatStep, type LabStep, type Readiness } from './lab-step.ts';

/** A step that ran, with the PID of a spawned program. */
export interface DoneStep {
  readonly step: LabStep;
  readonly pid?: number;
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

async function runStep(runner: LabRunner, step: LabStep, options: ExecuteOptions): Promise<number | undefined> {
  switch (step.kind) {
    case 'run': {
      const result = await runner.run(step.argv);
      if (result.code !== 0) {
        throw new LabError('ERR_LAB_STEP', `${formatArgv(step.argv)} failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`);
      }
      return undefined;
    }
    case 'write-file':
      runner.writeFile(step.path, step.content, step.mode);
      return undefined;
    case 'spawn': {
      const pid = await runner.spawnBackground(step.argv, step.log);
      const start = runner.now();
      for (;;) {
        if (!runner.isAlive(pid)) {
          throw Object.assign(new LabError('ERR_LAB_STEP', `${step.id} exited before it was ready: ${formatArgv(step.argv)}\n${tail(runner.readFile(step.log))}`), { pid });
        }
        if (await isReady(runner, step.ready, step.log)) return pid;
        const elapsed = runner.now() - start;
        if (elapsed > step.readyTimeoutMs) {
          throw Object.assign(
            new LabError('ERR_LAB_STEP', `${step.id} was not ready after ${Math.round(elapsed / 1000)} s: ${formatArgv(step.argv)}\n${tail(runner.readFile(step.log))}`),
            { pid },
          );
        }
        options.onEvent?.({ type: 'waiting', id: step.id, elapsedMs: elapsed });
        await runner.sleep(100);
      }
    }
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
      } else if (step.undo) {
        const result = await runner.run(step.undo);
        if (result.code !== 0) warnings.push(`${formatArgv(step.undo)}: ${result.stderr.trim()}`);
      }
    } catch (error) {
      warnings.push(`undo of ${formatStep(step)}: ${(error as Error).message}`);
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
      const pid = await runStep(runner, step, options);
      done.push(pid === undefined ? { step } : { step, pid });
      options.onProgress?.(done);
    } catch (error) {
      const pid = (error as { pid?: number }).pid;
      if (step.kind === 'spawn' && pid !== undefined) done.push({ step, pid });
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
