// Issue 11 figures, socket mode vs TUN path in the same lab namespaces and run: requests answered when the
// client half-closes at once (points 2), when 500 slowloris + 500 idle connections are closed and with what
// (point 3), and the server's RSS while N idle connections are open and after the header timeout reclaims them.
// Usage: node --import tsx scripts/bench-slow-clients.ts [--half-close 50] [--hold 500] [--idle-rss 10000]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTopology, execIn, ip, privilegedSkipReason, type Topology } from '../test/helpers/netns.ts';
import { startServe } from '../test/helpers/netns-imds.ts';

const LOAD = fileURLToPath(new URL('./hardening-load.mjs', import.meta.url));
const { values } = parseArgs({ options: { 'half-close': { type: 'string', default: '50' }, hold: { type: 'string', default: '500' }, 'idle-rss': { type: 'string', default: '10000' } } });
const HALF_CLOSE = Number(values['half-close']);
const HOLD = Number(values.hold);
const IDLE_RSS = Number(values['idle-rss']);

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function load(topo: Topology, args: readonly string[], timeoutMs: number): Promise<Record<string, unknown>> {
  const r = await execIn(topo.client, [process.execPath, LOAD, ...args, '--host', '169.254.169.254', '--port', '80'], { timeoutMs });
  if (r.code !== 0) throw new Error(`hardening-load ${args[0]} failed (${r.code}): ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString()) as Record<string, unknown>;
}

async function measure(topo: Topology, state: string, args: readonly string[]): Promise<Record<string, unknown>> {
  const served = await startServe(topo, topo.host, [...args, '--state-dir', state, '--no-rate-limit']);
  try {
    const pid = served.child.pid!;
    const halfClose = await load(topo, ['half-close', '--count', String(HALF_CLOSE)], 120_000);
    const halfCloseGap = await load(topo, ['half-close', '--count', String(HALF_CLOSE), '--gap-ms', '1'], 120_000);
    const t0 = performance.now();
    const hold = await load(topo, ['hold', '--idle', String(HOLD), '--slowloris', String(HOLD), '--max-ms', '60000'], 120_000);
    const holdMs = performance.now() - t0;
    const holdRamped = await load(topo, ['hold', '--idle', String(HOLD), '--slowloris', String(HOLD), '--ramp-ms', '2000', '--max-ms', '60000'], 120_000);
    const rssBase = rssMb(pid);
    let rssPeak = rssBase;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(pid))), 200);
    const idle = await load(topo, ['hold', '--idle', String(IDLE_RSS), '--ramp-ms', String(IDLE_RSS / 2), '--max-ms', '60000'], 180_000);
    clearInterval(sampler);
    await new Promise((r) => setTimeout(r, 1000));
    return { halfClose, halfCloseGap, hold, holdMs: Math.round(holdMs), holdRamped, idle, rssBaseMb: rssBase.toFixed(1), rssPeakMb: rssPeak.toFixed(1), rssAfterMb: rssMb(pid).toFixed(1) };
  } finally {
    await served.stop();
  }
}

async function main(): Promise<void> {
  const skip = privilegedSkipReason();
  if (skip) {
    process.stdout.write(`bench-slow-clients: skipped (${skip})\n`);
    return;
  }
  // A fresh pair of namespaces per mode: the socket run leaves thousands of kernel TIME-WAIT sockets for
  // 169.254.169.254:80 in the host namespace, which would catch some of the TUN run's connections.
  for (const mode of ['socket', 'tun'] as const) {
    const state = mkdtempSync(join(tmpdir(), 'imds-bench-slow-'));
    const topo = createTopology();
    try {
      if (mode === 'socket') ip(['-n', topo.host, 'addr', 'add', '169.254.169.254/32', 'dev', 'lo']);
      const result = await measure(topo, state, mode === 'socket' ? ['--capture', 'socket', '--listen', '169.254.169.254:80'] : ['--capture', 'tun']);
      process.stdout.write(`${mode}: ${JSON.stringify(result)}\n`);
    } finally {
      await topo.destroy();
      rmSync(state, { recursive: true, force: true });
    }
  }
}

await main();
