// Control-socket flood before the namespace proof (issue 11 point 5): starts `serve --control`, pushes
// LINES lines of BYTES bytes at its control socket from inside a fresh network namespace without passing
// the proof, and prints the responder's RSS before and its peak (VmHWM) after. Root only.
// Usage: node --import tsx scripts/bench-control-flood.ts [LINES=100] [BYTES=4194304]
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, startServe } from '../test/helpers/serve-process.ts';
import { uniqueSuffix } from '../test/helpers/netns.ts';

const lines = Number(process.argv[2] ?? 100);
const bytes = Number(process.argv[3] ?? 4 * 1024 * 1024);

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

function run(argv: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out.trim()));
  });
}

if (process.getuid?.() !== 0) throw new Error('needs root (the flood runs in its own network namespace)');
const ns = `cflood-${uniqueSuffix()}`;
const stateDir = await mkdtemp(join(tmpdir(), 'imds-bench-flood-'));
execFileSync('ip', ['netns', 'add', ns]);
const serve = await startServe(stateDir, ['--control', '--no-rate-limit']).catch(async (error: unknown) => {
  execFileSync('ip', ['netns', 'del', ns]);
  await rm(stateDir, { recursive: true, force: true });
  throw error;
});
try {
  const socketPath = join(stateDir, 'control', 'control.sock');
  const before = statusKb(serve.pid, 'VmRSS');
  const started = performance.now();
  const out = await run(['ip', 'netns', 'exec', ns, process.execPath, '--import', 'tsx', 'test/helpers/control-flood.ts', socketPath, String(lines), String(bytes)]);
  const ms = performance.now() - started;
  const peak = statusKb(serve.pid, 'VmHWM');
  const result = JSON.parse(out) as { offered: number; flushed: number; answer?: string };
  const mb = (kb: number): string => `${(kb / 1024).toFixed(0)} MB`;
  console.log(`flood: ${lines} lines of ${bytes} bytes (${(result.offered / 2 ** 20).toFixed(0)} MiB offered) from namespace ${ns}, no proof`);
  console.log(`taken by the daemon before it closed the connection: ${(result.flushed / 2 ** 20).toFixed(2)} MiB; answer ${result.answer ?? '(none)'}; ${ms.toFixed(0)} ms`);
  console.log(`responder RSS before ${mb(before)}, peak ${mb(peak)} (ratio ${(peak / before).toFixed(2)})`);
} finally {
  await serve.stop();
  execFileSync('ip', ['netns', 'del', ns]);
  await rm(stateDir, { recursive: true, force: true });
}
