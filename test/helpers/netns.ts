// Namespace helpers for privileged tests and benches: unique names, `ip` argv calls, processes inside a
// namespace, the client/host test topology, and a safety net that removes what this process created
// (namespaces, children) at exit or on SIGINT/SIGTERM even when a test failed or timed out.
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after } from 'node:test';

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

/** A unique namespace name: `prefix-<pid>-<random>`. */
export function uniqueNsName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

// --- the safety net: what this process created and has not removed yet

const ownNamespaces = new Set<string>();
const ownChildren = new Map<ChildProcess, string>();

function track(child: ChildProcess, ns: string): ChildProcess {
  ownChildren.set(child, ns);
  child.once('exit', () => ownChildren.delete(child));
  return child;
}

function alive(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

function killQuietly(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (alive(child)) process.kill(child.pid!, signal);
  } catch {
    // already gone
  }
}

/** Synchronous last resort: SIGKILL our children (by PID), delete our namespaces. */
export function removeLeftovers(): void {
  for (const child of ownChildren.keys()) killQuietly(child, 'SIGKILL');
  for (const ns of ownNamespaces) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  ownNamespaces.clear();
}

process.once('exit', removeLeftovers);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    removeLeftovers();
    // Keep the default outcome (termination) unless someone else (the test runner) handles the signal.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

/**
 * Call once at the top level of a privileged test file: after all its tests (also after a failed or timed-out
 * one, whose body may never reach its `finally`) everything this process created is removed. The exit and
 * signal handlers above are the backstop when the file's process ends some other way.
 */
export function removeLeftoversAfterTests(): void {
  after(removeLeftovers);
}

// --- ip and namespaces

/** Runs `ip` with argv synchronously; throws with stderr on failure. */
export function ip(args: readonly string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed (${r.status}): ${(r.stderr ?? '').trim()}`);
  return r.stdout;
}

export function netnsList(): string[] {
  return ip(['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n !== '');
}

export function netnsExists(name: string): boolean {
  return netnsList().includes(name);
}

/** Creates namespace `name` with lo up and IPv6 off (no router solicitations on our TUNs); removed at exit at the latest. */
export function addNetns(name: string, options: { ipv6?: boolean } = {}): void {
  ip(['netns', 'add', name]);
  ownNamespaces.add(name);
  try {
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
    if (!options.ipv6) nsRun(name, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  } catch (error) {
    deleteNetns(name);
    throw error;
  }
}

/** Deletes namespace `name` if it exists (its interfaces go with it); kills our children still inside it. */
export function deleteNetns(name: string): void {
  for (const [child, ns] of ownChildren) if (ns === name) killQuietly(child, 'SIGKILL');
  spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  ownNamespaces.delete(name);
}

// --- processes inside a namespace (argv arrays, never a shell)

/** Runs argv inside namespace `ns` and collects its output; never rejects. */
export function execIn(ns: string, argv: readonly string[], options: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = execFile(
      'ip',
      ['netns', 'exec', ns, ...argv],
      { encoding: 'buffer', timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr, ms: performance.now() - started });
      },
    );
    track(child, ns);
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs argv inside namespace `ns` synchronously and returns stdout (throws on failure). */
export function nsRun(ns: string, argv: readonly string[], timeoutMs = 20_000): string {
  return execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
}

/** Runs argv inside namespace `ns` without blocking the event loop; resolves with stdout, rejects on failure. */
export async function nsRunAsync(ns: string, argv: readonly string[], timeoutMs = 20_000): Promise<string> {
  const r = await execIn(ns, argv, { timeoutMs });
  const out = r.stdout.toString('utf8');
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed in ${ns} (exit ${r.code}${r.signal ? `, ${r.signal}` : ''}): ${r.stderr.toString('utf8')}${out}`);
  return out;
}

/** Starts argv inside namespace `ns` (stdio piped); stop it with stopChild, or it is killed with its namespace. */
export function nsSpawn(ns: string, argv: readonly string[]): ChildProcess {
  return track(spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] }), ns);
}

/** SIGTERM (then SIGKILL after graceMs) a child we started, by PID; resolves with its exit code. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<number | null> {
  if (!alive(child)) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  killQuietly(child, 'SIGTERM');
  const timer = setTimeout(() => killQuietly(child, 'SIGKILL'), graceMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/** Resolves once `predicate` holds for the accumulated stdout+stderr of `child`, or rejects after timeoutMs. */
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

/** Resolves with the first stdout line matching `pattern` (rejects on exit or timeout, with stderr). */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let stderr = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      const hit = lines.find((line) => pattern.test(line));
      if (hit !== undefined) finish(() => resolve(hit));
    };
    const onErr = (chunk: Buffer): void => {
      stderr += chunk.toString('utf8');
    };
    const onExit = (code: number | null): void => finish(() => reject(new Error(`child exited (${code}) before ${pattern}: ${stderr}`)));
    const timer = setTimeout(() => finish(() => reject(new Error(`timeout waiting for ${pattern}: ${stderr}`))), timeoutMs);
    const finish = (fn: () => void): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onErr);
      child.off('exit', onExit);
      fn();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onErr);
    child.once('exit', onExit);
  });
}

/** Polls `check` until it returns true (rejects after timeoutMs). */
export async function until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// --- the client/host topology of the IMDS namespace tests

export interface Topology {
  readonly client: string;
  readonly host: string;
  readonly clientAddress: string;
  readonly gateway: string;
  /** Starts a long-running process inside a namespace; it is killed (by PID) in destroy(). */
  spawnIn(ns: string, argv: readonly string[]): ChildProcess;
  /** Stops every process we started in the two namespaces, then deletes them. Never throws. */
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
  const created: string[] = [];
  const destroy = async (): Promise<void> => {
    const ours = [...ownChildren].filter(([, ns]) => created.includes(ns)).map(([child]) => child);
    // SIGTERM first (a serve process removes its TUN and route), SIGKILL whatever is left after 3 s.
    await Promise.all(ours.map((child) => Promise.race([stopChild(child, 3000), new Promise((r) => setTimeout(r, 5000))])));
    for (const ns of created.splice(0).reverse()) deleteNetns(ns);
  };
  try {
    for (const ns of [client, host]) {
      addNetns(ns, { ipv6: true });
      created.push(ns);
    }
    ip(['-n', host, 'link', 'add', 'h0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', client]);
    ip(['-n', host, 'addr', 'add', '10.1.0.1/24', 'dev', 'h0']);
    ip(['-n', client, 'addr', 'add', '10.1.0.4/24', 'dev', 'eth0']);
    for (const extra of options.clientSecondary ?? []) ip(['-n', client, 'addr', 'add', `${extra}/24`, 'dev', 'eth0']);
    ip(['-n', host, 'link', 'set', 'h0', 'up']);
    ip(['-n', client, 'link', 'set', 'eth0', 'up']);
    ip(['-n', client, 'route', 'add', 'default', 'via', '10.1.0.1']);
    ip(['-n', client, 'route', 'add', '169.254.169.254/32', 'via', '10.1.0.1', 'dev', 'eth0']);
    if (options.imdsOnHostLo) ip(['-n', host, 'addr', 'add', '169.254.169.254/32', 'dev', 'lo']);
    nsRun(host, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  } catch (error) {
    for (const ns of created.splice(0).reverse()) deleteNetns(ns);
    throw error;
  }
  return {
    client,
    host,
    clientAddress: '10.1.0.4',
    gateway: '10.1.0.1',
    spawnIn(ns, argv) {
      return track(spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] }), ns);
    },
    destroy,
  };
}
