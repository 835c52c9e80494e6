// temporary profiling driver (not committed): serve --capture tun|socket under node --cpu-prof with load
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopology, ip, waitForOutput, stopChild } from '../test/helpers/netns.ts';
import { MAIN, runLoad } from '../test/helpers/netns-imds.ts';
const TARGET = 'http://169.254.169.254/metadata/instance?api-version=2021-02-01';
const mode = process.argv[2] ?? 'tun';
const prof = process.argv[3] === 'prof';
const state = mkdtempSync(join(tmpdir(), 'imds-prof-'));
const topo = createTopology();
try {
  const args = mode === 'tun' ? ['--capture', 'tun'] : ['--capture', 'socket', '--listen', '169.254.169.254:80'];
  if (mode !== 'tun') ip(['-n', topo.host, 'addr', 'add', '169.254.169.254/32', 'dev', 'lo']);
  const nodeArgs = prof ? ['--cpu-prof', '--cpu-prof-dir=/tmp/perf/prof'] : [];
  const child = topo.spawnIn(topo.host, [process.execPath, ...nodeArgs, '--import', 'tsx', MAIN, 'serve', ...args, '--state-dir', state, '--no-rate-limit']);
  let text = '';
  child.stdout?.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (text += c.toString()));
  await waitForOutput(child, (t) => t.includes('serving on'), 30_000);
  await runLoad(topo.client, { url: TARGET, total: 500, concurrency: 40 });
  const c0 = Date.now();
  const nc = await runLoad(topo.client, { url: TARGET, total: 3000, concurrency: 40 });
  const ka = await runLoad(topo.client, { url: TARGET, total: 10000, concurrency: 40, keepalive: true });
  const statusText = (await import("node:fs")).readFileSync(`/proc/${child.pid}/stat`, "utf8").split(" ");
  console.log(mode, 'newconn', nc.rps.toFixed(0), nc.p50.toFixed(2), nc.p99.toFixed(2), 'keepalive', ka.rps.toFixed(0), ka.p50.toFixed(2), ka.p99.toFixed(2), 'elapsed', Date.now() - c0, 'utime+stime ticks', Number(statusText[13]) + Number(statusText[14]));
  await stopChild(child);
  if (process.env.SHOW) console.log(text.slice(-2000));
} finally {
  await topo.destroy();
  rmSync(state, { recursive: true, force: true });
}
