// Helpers for the lab's namespace tests: run the imds-lab CLI as a child process (argv only), curl from a
// lab's VM namespace with timing, unique lab names, and a check that nothing of ours is left behind.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const IMDS_URL = 'http://169.254.169.254/metadata/instance/compute/vmId?api-version=2021-02-01&format=text';

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export function exec(argv: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Result> {
  const start = performance.now();
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 32 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr, ms: performance.now() - start });
    });
  });
}

/** A lab test context: its own state root, so tests never touch /run/imds-lab. */
export class LabTestContext {
  readonly runDir: string;
  readonly prefix: string;
  readonly env: NodeJS.ProcessEnv;
  private counter = 0;
  readonly names = new Set<string>();

  constructor(tag: string) {
    this.runDir = mkdtempSync(join(tmpdir(), `imds-lab-${tag}-`));
    // 1 letter + 5 base36 + 2 hex = 8 chars; + counter: lab names stay short (namespaces <name>-host).
    this.prefix = `${tag[0]}${(process.pid % 60_000_000).toString(36).padStart(5, '0')}${randomBytes(1).toString('hex')}`;
    // No proxy variables from the machine: the scenarios set their own.
    const env: NodeJS.ProcessEnv = { ...process.env, IMDS_LAB_RUN_DIR: this.runDir };
    for (const k of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy']) delete env[k];
    this.env = env;
  }

  name(): string {
    const name = `${this.prefix}${(this.counter++).toString(36)}`;
    this.names.add(name);
    return name;
  }

  cli(args: readonly string[], timeoutMs = 120_000): Promise<Result> {
    return exec([process.execPath, '--import', 'tsx', MAIN, ...args], { env: this.env, timeoutMs });
  }

  /** curl inside the lab's VM namespace with the scenario environment (through imds-lab exec). */
  curl(name: string, curlArgs: readonly string[]): Promise<Result> {
    return this.cli(['exec', '--name', name, '--', 'curl', '-sS', '-H', 'Metadata: true', ...curlArgs]);
  }

  /** Namespaces of this context's labs that still exist. */
  async leftovers(): Promise<string[]> {
    const list = await exec(['ip', 'netns', 'list']);
    return list.stdout
      .split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter((n) => n.startsWith(this.prefix));
  }

  /** Removes every lab this context made (for `finally`), then its state root. */
  async cleanup(): Promise<void> {
    for (const name of this.names) await this.cli(['down', '--name', name]);
    for (const ns of await this.leftovers()) await exec(['ip', 'netns', 'del', ns]);
    rmSync(this.runDir, { recursive: true, force: true });
  }
}

/** Parses `curl -w '\n%{http_code}'` output into body and status. */
export function splitStatus(stdout: string): { body: string; status: number } {
  const cut = stdout.lastIndexOf('\n');
  return { body: stdout.slice(0, cut), status: Number(stdout.slice(cut + 1)) };
}
