// Namespace test topology: uniquely named client/host namespaces joined by a veth pair, with
// spawn/exec helpers (argv arrays only) and a teardown that removes everything it created.
import { execFile, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

export interface ExecResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  readonly ms: number;
}

/** Why privileged tests cannot run here, or undefined when they can. */
export function privilegedSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and TUN)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is absent';
  return undefined;
}

export function uniqueSuffix(): string {
  return `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
}

/** Runs `ip` with argv synchronously; throws with stderr on failure. */
export function ip(args: readonly string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

export function netnsList(): string[] {
  return ip(['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n !== '');
}

/** Runs argv inside namespace `ns` and collects its output (never through a shell). */
export function execIn(ns: string, argv: readonly string[], options: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = execFile(
      'ip',
      ['netns', 'exec', ns, ...argv],
      { encoding: 'buffer', timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout,
          stderr,
          ms: performance.now() - started,
        });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export interface Topology {
  readonly client: string;
  readonly host: string;
  readonly clientAddress: string;
  readonly gateway: string;
  /** Starts a long-running process inside a namespace; it is killed (by PID) in destroy(). */
  spawnIn(ns: string, argv: readonly string[]): ChildProcess;
  destroy(): Promise<void>;
}

export interface TopologyOptions {
  /** Put 169.254.169.254/32 on the host namespace's lo (socket mode). */
  readonly imdsOnHostLo?: boolean;
  /** Extra addresses on the client's eth0 (e.g. a secondary IP). */
  readonly clientSecondary?: readonly string[];
}

/**
 * client ns: eth0 10.1.0.4/24, default and 169.254.169.254/32 via 10.1.0.1;
 * host ns: h0 10.1.0.1/24, ip_forward on. Nothing is created in the root namespace.
 */
export function createTopology(options: TopologyOptions = {}): Topology {
  const suffix = uniqueSuffix();
  const client = `imdslab-c-${suffix}`;
  const host = `imdslab-h-${suffix}`;
  const children = new Set<ChildProcess>();
  const created: string[] = [];
  const destroy = async (): Promise<void> => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid, 'SIGTERM');
        const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
    }
    for (const ns of created.reverse()) {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  };
  try {
    ip(['netns', 'add', client]);
    created.push(client);
    ip(['netns', 'add', host]);
    created.push(host);
    ip(['-n', host, 'link', 'add', 'h0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', client]);
    ip(['-n', host, 'link', 'set', 'lo', 'up']);
    ip(['-n', client, 'link', 'set', 'lo', 'up']);
    ip(['-n', host, 'addr', 'add', '10.1.0.1/24', 'dev', 'h0']);
    ip(['-n', client, 'addr', 'add', '10.1.0.4/24', 'dev', 'eth0']);
    for (const extra of options.clientSecondary ?? []) ip(['-n', client, 'addr', 'add', `${extra}/24`, 'dev', 'eth0']);
    ip(['-n', host, 'link', 'set', 'h0', 'up']);
    ip(['-n', client, 'link', 'set', 'eth0', 'up']);
    ip(['-n', client, 'route', 'add', 'default', 'via', '10.1.0.1']);
    ip(['-n', client, 'route', 'add', '169.254.169.254/32', 'via', '10.1.0.1', 'dev', 'eth0']);
    if (options.imdsOnHostLo) ip(['-n', host, 'addr', 'add', '169.254.169.254/32', 'dev', 'lo']);
    const sysctl = spawnSync('ip', ['netns', 'exec', host, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'], { encoding: 'utf8' });
    if (sysctl.status !== 0) throw new Error(`sysctl ip_forward failed: ${sysctl.stderr}`);
  } catch (error) {
    for (const ns of created.reverse()) spawnSync('ip', ['netns', 'del', ns]);
    throw error;
  }
  return {
    client,
    host,
    clientAddress: '10.1.0.4',
    gateway: '10.1.0.1',
    spawnIn(ns, argv) {
      const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      return child;
    },
    destroy,
  };
}

/** SIGTERM (then SIGKILL after graceMs) a child we started, by PID; resolves with its exit code. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  }, graceMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/** Resolves once `predicate` holds for the accumulated output of `stream`, or rejects after timeoutMs. */
export function waitForOutput(child: ChildProcess, predicate: (text: string) => boolean, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      if (predicate(text)) finish(undefined);
    };
    const onExit = (code: number | null): void => finish(new Error(`process exited (${code}) before ready; output:\n${text}`));
    const timer = setTimeout(() => finish(new Error(`timed out waiting for output; got:\n${text}`)), timeoutMs);
    const finish = (error: Error | undefined): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(text);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}
