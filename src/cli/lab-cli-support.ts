// What the lab commands (up, down, status, exec, run, doctor, demo) share: option parsing helpers and
// progress on a TTY. The set-up helpers they share with the library entry live in src/lab/lab-setup.ts.
import type { ExecutorEvent } from '../lab/executor.ts';
import { LabError } from '../lab/lab-error.ts';
import { formatStep } from '../lab/lab-step.ts';
import { CAPTURE_MODES, checkLabName, type CaptureMode } from '../lab/lab-naming.ts';
import { MAX_LAB_VMS } from '../lab/lab-scale-set.ts';
import type { CliIo } from './cli-command.ts';


export const DEFAULT_LAB_NAME = 'imds';
export const DEFAULT_CAPTURE: CaptureMode = 'tun';

export function parseCapture(value: string | undefined): CaptureMode {
  const capture = value ?? DEFAULT_CAPTURE;
  if (!(CAPTURE_MODES as readonly string[]).includes(capture)) throw new LabError('ERR_LAB_USAGE', `--capture: expected tun or socket, got ${JSON.stringify(capture)}`);
  return capture as CaptureMode;
}

export function parseName(value: string | undefined): string {
  const name = value ?? DEFAULT_LAB_NAME;
  checkLabName(name);
  return name;
}

/** Parses --vms N. */
export function parseVmCount(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_LAB_VMS) throw new LabError('ERR_LAB_USAGE', `--vms: expected 1..${MAX_LAB_VMS}, got ${JSON.stringify(value)}`);
  return n;
}

/** Progress for slow steps: a single rewritten line on a TTY, nothing otherwise (unless verbose). */
export function progressReporter(io: CliIo, verbose: boolean): (event: ExecutorEvent) => void {
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  return (event) => {
    let line = '';
    // A batch or parallel group spans several lines: verbose prints them all, the TTY line shows the first.
    if (event.type === 'step') line = `[${event.index + 1}/${event.total}] ${formatStep(event.step)}`;
    else if (event.type === 'waiting') line = `  waiting for ${event.id} … ${(event.elapsedMs / 1000).toFixed(1)} s`;
    else line = `setup failed: rolling back ${event.steps} step(s)`;
    if (verbose && event.type !== 'waiting') io.stderr.write(`${line}\n`);
    else if (tty) {
      const width = (io.stderr as NodeJS.WriteStream).columns ?? 100;
      const first = line.split('\n')[0]!;
      const text = first.length > width - 1 || first !== line ? `${first.slice(0, width - 2)}…` : first;
      io.stderr.write(`\r\x1b[K${text}`);
    }
    if (tty && !verbose && event.type === 'rollback') io.stderr.write('\n');
  };
}

export function clearProgress(io: CliIo): void {
  if ((io.stderr as NodeJS.WriteStream).isTTY === true) io.stderr.write('\r\x1b[K');
}
