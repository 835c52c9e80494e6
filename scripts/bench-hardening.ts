// Stress figures of issue 11 points 1 and 4, re-measured: (1) curl's connect time after 200 half-open SYNs
// from the same VM and from another VM of a 2-VM pair, against an unflooded curl in the same run; (4) the
// serving process's RSS under Connection: close load, TUN vs socket mode, and the heap cost of one TIME-WAIT
// entry against one idle connection (in-process, memory link). Run: node --import tsx scripts/bench-hardening.ts
// (BENCH_PARTS=heap,flood,load picks parts; BENCH_CLOSE_TOTAL, BENCH_HEAP_CONNECTIONS set the sizes).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ChildProcess } from 'node:child_process';
import { createTopology, execIn, ip, privilegedSkipReason } from '../test/helpers/netns.ts';
import { curl, runLoad, startServe } from '../test/helpers/netns-imds.ts';
import { createVmPair } from '../test/helpers/netns-vm-pair.ts';
import { segment, StackHarness } from '../test/helpers/stack-harness.ts';
import { TcpFlags } from '../src/wire/tcp-segment.ts';

const SYN_FLOOD = fileURLToPath(new URL('../test/tools/syn-flood.py', import.meta.url));
const NAME_URL = 'http://169.254.169.254/metadata/instance/compute/name?api-version=2021-02-01&format=text';
const TARGET = 'http://169.254.169.254/metadata/instance?api-version=2021-02-01';
const CLOSE_TOTAL = Number(process.env['BENCH_CLOSE_TOTAL'] ?? 30_000);
const HEAP_CONNECTIONS = Number(process.env['BENCH_HEAP_CONNECTIONS'] ?? 10_000);
const f = (n: number, d = 0): string => n.toFixed(d);
/** BENCH_PARTS=heap,flood,load (default all three). */
const PARTS = new Set((process.env['BENCH_PARTS'] ?? 'heap,flood,load').split(','));

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** curl's time to connect (its own figure) and the wall time of the run, in ms, and its exit code: `-m 90` so the old 68 s stall shows. */
async function timedCurl(ns: string): Promise<{ code: number | null; connectMs: number; totalMs: number }> {
  const r = await curl(ns, NAME_URL, ['-m', '90', '-o', '/dev/null', '-w', '%{time_connect} %{time_total}'], 100_000);
  const [connect] = r.stdout.toString().split(' ').map((x) => Number(x) * 1000);
  return { code: r.code, connectMs: connect ?? NaN, totalMs: r.ms };
}

async function floodFigures(): Promise<void> {
  const state = mkdtempSync(join(tmpdir(), 'imds-bench-flood-'));
  const pair = createVmPair('imdslab-bf');
  try {
    await pair.serveTun(state, ['--no-rate-limit']);
    await timedCurl(pair.vms[0]); // warm-up
    const base = await timedCurl(pair.vms[0]);
    const flood = async (i: 0 | 1): Promise<string> => {
      await pair.suppressRsts(pair.vms[i]);
      const r = await execIn(pair.vms[i], ['python3', SYN_FLOOD, pair.addresses[i], '169.254.169.254', '200']);
      return r.stdout.toString().trim();
    };
    const same = await flood(0);
    const afterSame = await timedCurl(pair.vms[0]);
    const other = await flood(1);
    const afterOther = await timedCurl(pair.vms[0]);
    process.stdout.write(
      `point 1: curl from vm0, connect/total ms (exit): no flood ${f(base.connectMs, 1)}/${f(base.totalMs, 1)} (${base.code}); ` +
        `after 200 half-open SYNs from vm0 [sent answered: ${same}] ${f(afterSame.connectMs, 1)}/${f(afterSame.totalMs, 1)} (${afterSame.code}); ` +
        `after 200 from vm1 [${other}] ${f(afterOther.connectMs, 1)}/${f(afterOther.totalMs, 1)} (${afterOther.code}); ` +
        `ratios to no flood (total): ${f(afterSame.totalMs / base.totalMs, 2)}, ${f(afterOther.totalMs / base.totalMs, 2)}\n`,
    );
  } finally {
    await pair.destroy();
    rmSync(state, { recursive: true, force: true });
  }
}

/** Peak and final RSS of `child` while `work` runs (sampled every 100 ms). */
async function sampleRss(child: ChildProcess, work: () => Promise<unknown>): Promise<{ base: number; peak: number; after: number; result: unknown }> {
  const pid = child.pid!;
  const base = rssMb(pid);
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 100);
  try {
    const result = await work();
    await new Promise((r) => setTimeout(r, 500));
    const after = rssMb(pid);
    return { base, peak: Math.max(peak, after), after, result };
  } finally {
    clearInterval(timer);
  }
}

async function closeLoadFigures(): Promise<void> {
  const state = mkdtempSync(join(tmpdir(), 'imds-bench-tw-'));
  const topo = createTopology();
  const rows: string[] = [];
  try {
    const modes: [string, string[]][] = [
      ['socket', ['--capture', 'socket', '--listen', '169.254.169.254:80']],
      ['tun', ['--capture', 'tun']],
    ];
    const peaks: Record<string, number> = {};
    for (const [mode, args] of modes) {
      if (mode === 'socket') ip(['-n', topo.host, 'addr', 'add', '169.254.169.254/32', 'dev', 'lo']);
      else ip(['-n', topo.host, 'addr', 'del', '169.254.169.254/32', 'dev', 'lo']);
      const served = await startServe(topo, topo.host, [...args, '--state-dir', state, '--no-rate-limit']);
      try {
        await runLoad(topo.client, { url: TARGET, total: 500, concurrency: 40 }); // warm-up
        const m = await sampleRss(served.child, () => runLoad(topo.client, { url: TARGET, total: CLOSE_TOTAL, concurrency: 40 }));
        const load = m.result as { rps: number; failed: number };
        peaks[mode] = m.peak;
        rows.push(`${mode}: ${f(load.rps)} connections/s (failed ${load.failed}), RSS MB before ${f(m.base, 1)}, peak ${f(m.peak, 1)}, after ${f(m.after, 1)}`);
      } finally {
        await served.stop();
      }
    }
    rows.push(`peak RSS ratio TUN/socket: ${f(peaks['tun']! / peaks['socket']!, 2)}`);
    process.stdout.write(`point 4: ${CLOSE_TOTAL} Connection: close requests, 40 at a time\n  ${rows.join('\n  ')}\n`);
  } finally {
    await topo.destroy();
    rmSync(state, { recursive: true, force: true });
  }
}

/** Heap bytes per idle established connection and per TIME-WAIT entry (FakeClock stack, memory link). */
async function heapFigures(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heap = (): number => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const h = new StackHarness({ maxTimeWait: HEAP_CONNECTIONS * 2 });
  const ports = Array.from({ length: HEAP_CONNECTIONS }, (_, i) => 20000 + i);
  const seqs: number[] = [];
  for (const port of ports) seqs.push((await h.handshake(port)).serverSeq);
  const established = heap();
  for (const c of h.accepted) c.close();
  await h.settle();
  ports.forEach((port, i) => h.send(segment({ srcPort: port, seq: 1001, ack: seqs[i]! + 1, flags: TcpFlags.FIN | TcpFlags.ACK })));
  await h.settle();
  h.take();
  h.accepted.length = 0; // the harness's own references
  const timeWait = heap();
  const inTimeWait = h.stack.timeWaitCount;
  const [connections, timerQueue] = [h.stack.connectionCount, h.stack.timerQueueSize];
  await h.advance(60_001); // 2*MSL: every entry expires; the tables keep the capacity they grew to
  const expired = heap();
  // After the run, not before: the code compiled on the way (a one-off, not per connection) is then in both.
  const floor = expired;
  const perConnection = (established - floor) / HEAP_CONNECTIONS;
  const perTimeWait = (timeWait - floor) / HEAP_CONNECTIONS;
  process.stdout.write(
    `point 4 (heap): ${HEAP_CONNECTIONS} connections: ${f(perConnection)} B per idle established connection, ${f(perTimeWait)} B per TIME-WAIT entry ` +
      `(ratio ${f(perTimeWait / perConnection, 3)}); in TIME-WAIT: ${inTimeWait}, connections ${connections}, timer queue ${timerQueue}; after 2*MSL: ${h.stack.timeWaitCount} entries\n`,
  );
  h.close();
}

async function main(): Promise<void> {
  process.stdout.write('bench-hardening (shared machine: figures vary; compare the ratios within one run)\n');
  if (PARTS.has('heap')) await heapFigures();
  const skip = privilegedSkipReason();
  if (skip) {
    process.stdout.write(`namespace figures skipped (${skip})\n`);
    return;
  }
  if (PARTS.has('flood')) await floodFigures();
  if (PARTS.has('load')) await closeLoadFigures();
}

await main();
