// The executor's window on the system: run an argv, start a background program, signals, files, sleep.
// process-runner.ts implements it with child_process (argv arrays only); tests use a fake. Used by lab/ and capture/.

export interface CommandResult {
  /** Exit code; -1 when the program could not be started or was killed. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly timeoutMs?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Written to the program's stdin, which is then closed (e.g. `ip -batch -`, `nft -f -`). */
  readonly input?: string;
}

export interface LabRunner {
  /** Runs argv to completion; never throws for a non-zero exit. */
  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
  /** Starts argv detached with stdout+stderr appended to `logPath`; returns its PID. */
  spawnBackground(argv: readonly string[], logPath: string): Promise<number>;
  /** True while the process exists and is not a zombie. */
  isAlive(pid: number): boolean;
  /** Sends a signal; false when the process is gone. */
  kill(pid: number, signal: NodeJS.Signals): boolean;
  writeFile(path: string, content: string, mode?: number): void;
  readFile(path: string): string | null;
  removeFile(path: string): void;
  sleep(ms: number): Promise<void>;
  /** Monotonic milliseconds. */
  now(): number;
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL; resolves when the process is gone (or after the SIGKILL wait). */
export async function stopProcess(runner: LabRunner, pid: number, graceMs = 2000): Promise<void> {
  if (!runner.isAlive(pid)) return;
  runner.kill(pid, 'SIGTERM');
  const deadline = runner.now() + graceMs;
  while (runner.isAlive(pid) && runner.now() < deadline) await runner.sleep(50);
  if (!runner.isAlive(pid)) return;
  runner.kill(pid, 'SIGKILL');
  const hard = runner.now() + 2000;
  while (runner.isAlive(pid) && runner.now() < hard) await runner.sleep(50);
}
