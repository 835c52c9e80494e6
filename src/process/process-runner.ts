// The real LabRunner: child_process.execFile/spawn with argv arrays (never a shell), /proc for liveness.
import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CommandResult, LabRunner, RunOptions } from './lab-runner.ts';

const exited = new Set<number>();

function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

export const processRunner: LabRunner = {
  run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return new Promise((resolve) => {
      const child = execFile(
        argv[0]!,
        argv.slice(1),
        // Without options.env the child inherits this process's environment (child_process's default).
        { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024, ...(options.env ? { env: { ...options.env } } : {}), encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (!error) return resolve({ code: 0, stdout, stderr });
          const e = error as NodeJS.ErrnoException & { code?: number | string };
          const code = typeof e.code === 'number' ? e.code : -1;
          resolve({ code, stdout: stdout ?? '', stderr: stderr || (typeof e.code === 'string' ? `${argv[0]}: ${e.code} ${e.message}` : e.message) });
        },
      );
      if (options.input !== undefined) {
        // A program that exits before reading all of its input (EPIPE) reports that through its exit code.
        child.stdin?.on('error', () => {});
        child.stdin?.end(options.input);
      }
    });
  },

  spawnBackground(argv: readonly string[], logPath: string): Promise<number> {
    mkdirSync(dirname(logPath), { recursive: true });
    const fd = openSync(logPath, 'a');
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
      closeSync(fd);
      child.once('error', reject);
      child.once('spawn', () => {
        const pid = child.pid!;
        child.once('exit', () => exited.add(pid));
        child.unref();
        resolve(pid);
      });
    });
  },

  isAlive(pid: number): boolean {
    if (exited.has(pid)) return false;
    const state = procState(pid);
    return state !== null && state !== 'Z' && state !== 'X';
  },

  kill(pid: number, signal: NodeJS.Signals): boolean {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  },

  writeFile(path: string, content: string, mode = 0o644): void {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content, { mode });
  },

  readFile(path: string): string | null {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  },

  removeFile(path: string): void {
    rmSync(path, { force: true, recursive: true });
  },

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  },

  now(): number {
    return performance.now();
  },
};
