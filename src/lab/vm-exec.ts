// Runs a user's program inside a lab namespace (`ip netns exec NS CMD…`, argv only) with a given
// environment, streaming its output, and returns its exit code (128+signal when killed); or captures it (library mode).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { LabError } from './lab-error.ts';

export interface ExecStreams {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Pass the caller's stdin through (interactive use); default: no stdin. */
  readonly inheritStdin?: boolean;
}

const SIGNALS: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

export function execInNamespace(namespace: string, argv: readonly string[], env: Readonly<Record<string, string | undefined>>, streams: ExecStreams): Promise<number> {
  if (argv.length === 0) return Promise.reject(new LabError('ERR_LAB_USAGE', 'no command given (use: -- CMD [ARGS…])'));
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', namespace, ...argv], {
      env: { ...env },
      stdio: [streams.inheritStdin ? 'inherit' : 'ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(streams.stdout, { end: false });
    child.stderr.pipe(streams.stderr, { end: false });
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.once('error', (error) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      reject(new LabError('ERR_LAB_EXEC', `cannot run ip netns exec ${namespace}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? 128 + (signal ? (SIGNALS[signal] ?? 1) : 1));
    });
  });
}

export interface CapturedRun {
  /** Exit code (128+signal when killed, e.g. 137 after a timeout). */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall milliseconds the command took. */
  readonly ms: number;
}

/** Runs CMD in a lab namespace and captures its output (library mode: Lab.exec). Never rejects for a non-zero exit. */
export function captureInNamespace(
  namespace: string,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  options: { readonly timeoutMs?: number; readonly input?: string | Uint8Array } = {},
): Promise<CapturedRun> {
  if (argv.length === 0) return Promise.reject(new LabError('ERR_LAB_USAGE', 'exec: no command given'));
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', namespace, ...argv], { env: { ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    const timer = options.timeoutMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new LabError('ERR_LAB_EXEC', `cannot run ip netns exec ${namespace}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? 128 + (signal ? (SIGNALS[signal] ?? 1) : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: performance.now() - start,
      });
    });
  });
}

/** Starts CMD in a lab namespace with piped stdio (library mode: the control relay). */
export function spawnInNamespace(namespace: string, argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ChildProcessWithoutNullStreams {
  return spawn('ip', ['netns', 'exec', namespace, ...argv], { env: { ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
}
