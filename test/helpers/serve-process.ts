// Spawns `imds-lab serve --listen 127.0.0.1:0` from source for integration tests, waits for the ready line,
// and stops it by PID. Also a small argv-only runner for real clients (curl, python3, openssl).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const READY = /^imds-lab: serving on http:\/\/127\.0\.0\.1:(\d+) \(capture (\w+), profile (.*)\)$/m;

export interface ServeProcess {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly base: string;
  readonly pid: number;
  readonly readyLine: string;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM by PID, wait for exit (SIGKILL after 5 s); returns the exit code. */
  stop(): Promise<number | null>;
}

function waitForExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Waits for serve's ready line on the child's stdout (30 s at most; an early exit rejects with stderr). */
export function waitForReady(child: ChildProcess, stderr: () => string = () => ''): Promise<RegExpExecArray> {
  let stdout = '';
  return new Promise<RegExpExecArray>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 30 s; stdout:\n${stdout}\nstderr:\n${stderr()}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      const m = READY.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolvePromise(m);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before ready; stdout:\n${stdout}\nstderr:\n${stderr()}`));
    });
  });
}

/** The base URL (http://127.0.0.1:PORT) of a serve child once it is ready. */
export async function waitForServeUrl(child: ChildProcess): Promise<string> {
  return `http://127.0.0.1:${(await waitForReady(child))[1]}`;
}

/** Starts the server with `args` after `serve --listen 127.0.0.1:0 --state-dir DIR`. */
export async function startServe(stateDir: string, args: readonly string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--listen', '127.0.0.1:0', '--state-dir', stateDir, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_PROXY: '*', no_proxy: '*' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const killer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 5000);
      process.kill(child.pid, 'SIGTERM');
      const code = await waitForExit(child);
      clearTimeout(killer);
      return code;
    }
    return child.exitCode;
  };
  try {
    const match = await waitForReady(child, () => stderr);
    const port = Number(match[1]);
    return { port, base: `http://127.0.0.1:${port}`, pid: child.pid!, readyLine: match[0], stderr: () => stderr, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function tempStateDir(): Promise<{ readonly path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'imds-lab-serve-test-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Buffer;
}

/** Runs a program with an argv array (never a shell), optional stdin, and collects its output. */
export function run(program: string, args: readonly string[], options: { input?: string | Buffer; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(program, [...args], { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolvePromise({ code, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes });
    });
    child.stdin.end(options.input);
  });
}
