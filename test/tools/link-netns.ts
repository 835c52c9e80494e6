// Test-only namespace helpers for the link tests: unique names, `ip` argv calls, children inside a namespace.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/** Why privileged tests cannot run here, or undefined when they can (root and /dev/net/tun present). */
export function privilegedSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and TUN devices)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is absent';
  return undefined;
}

/** A unique namespace name carrying the pid and a random suffix. */
export function uniqueNsName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function ip(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs argv inside namespace `ns` and returns stdout. */
export function nsRun(ns: string, argv: readonly string[], timeoutMs = 20_000): string {
  return execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
}

/** Runs argv inside namespace `ns` without blocking the event loop; resolves with stdout, rejects on failure. */
export function nsRunAsync(ns: string, argv: readonly string[], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${argv.join(' ')} failed in ${ns}: ${error.message} ${stderr}`, { cause: error }));
      else resolve(stdout);
    });
  });
}

/** Starts argv inside namespace `ns`; the caller kills it by PID (see stopChild). */
export function nsSpawn(ns: string, argv: readonly string[]): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Kills a child we started (by its PID) and waits for it to exit. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** Resolves with the first stdout line matching `pattern` (rejects on exit or timeout). */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let stderr = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      const hit = lines.find((line) => pattern.test(line));
      if (hit !== undefined) finish(() => resolve(hit));
    };
    const onErr = (chunk: Buffer) => (stderr += chunk.toString('utf8'));
    const onExit = (code: number | null) => finish(() => reject(new Error(`child exited (${code}) before ${pattern}: ${stderr}`)));
    const timer = setTimeout(() => finish(() => reject(new Error(`timeout waiting for ${pattern}: ${stderr}`))), timeoutMs);
    const finish = (fn: () => void) => {
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

/** Creates namespace `name` with lo up and IPv6 off (no router solicitations on our TUNs). */
export function addNetns(name: string): void {
  ip(['netns', 'add', name]);
  try {
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
    nsRun(name, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  } catch (error) {
    deleteNetns(name);
    throw error;
  }
}

/** Deletes namespace `name` if it exists (its interfaces go with it). */
export function deleteNetns(name: string): void {
  try {
    ip(['netns', 'del', name]);
  } catch {
    // already gone
  }
}

export function netnsExists(name: string): boolean {
  return ip(['netns', 'list']).split('\n').some((line) => line.split(' ')[0] === name);
}

/** Polls `check` until it returns true (rejects after timeoutMs). */
export async function until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
