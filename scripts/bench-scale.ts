// Scale-set figures (issue 14): `imds-lab up --vms N` and `down` for N = 1, 16, 64, 250: wall time, the
// responder's RSS, the kernel side (/proc/meminfo Slab while the lab is up),
// and that every VM answers with its own vmId and token subject. Optionally the same against a baseline tree,
// alternating per size. `--control N` instead checks library mode and `ctl --vm` on an N-VM lab (listing,
// per-VM faults, per-VM timelines, per-VM request logs), timing each.
// Run (root): node --import tsx scripts/bench-scale.ts [--vms 1,16,64,250] [--baseline DIR] | --control 250
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mapLimit } from '../src/util/map-limit.ts';
import { startLab, type Lab } from '../src/lib.ts';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const VMID = 'http://169.254.169.254/metadata/instance/compute/vmId?api-version=2021-02-01&format=text';
const TOKEN = 'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/';

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function exec(argv: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<Result> {
  const start = performance.now();
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr, ms: performance.now() - start });
    });
  });
}

function meminfoKb(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) : NaN;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** After `down` the kernel frees the namespaces in a work queue that holds RTNL: let it finish before the next size. */
const SETTLE_MS = 5000;

interface Row {
  readonly tree: string;
  readonly vms: number;
  readonly upMs: number;
  readonly downMs: number;
  readonly rssMb: number;
  readonly slabMb: number;
  readonly answered: number;
  readonly load: string;
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 1).join('');
}

async function measure(tree: string, main: string, vms: number): Promise<Row> {
  const runDir = mkdtempSync(join(tmpdir(), 'imds-bench-scale-'));
  const env = { ...process.env, IMDS_LAB_RUN_DIR: runDir };
  const name = `bs${randomBytes(2).toString('hex')}`;
  const cli = (args: string[]): Promise<Result> => exec([process.execPath, '--import', 'tsx', main, ...args], env);
  const slabBefore = meminfoKb('Slab');
  const load = loadAverage();
  try {
    const up = await cli(['up', '--name', name, '--vms', String(vms)]);
    if (up.code !== 0) throw new Error(`up --vms ${vms} (${tree}) failed: ${up.stderr}`);
    const slabMb = (meminfoKb('Slab') - slabBefore) / 1024;
    const status = JSON.parse((await cli(['status', '--name', name, '--json'])).stdout) as {
      state: { vms: { namespace: string; vmId: string }[]; processes: { id: string; pid: number }[] };
    };
    const responder = status.state.processes.find((p) => p.id === 'responder')!;
    // Every VM: its own vmId and a token whose subject no other VM got (one curl per VM, a few at a time).
    const answers = await mapLimit(status.state.vms, 8, async (vm) => {
      const r = await exec(['ip', 'netns', 'exec', vm.namespace, 'curl', '-sS', '-m', '30', '--noproxy', '*', '-H', 'Metadata: true', VMID, '-w', '\n', TOKEN], env, 60_000);
      const [vmId, token] = r.stdout.split('\n');
      try {
        const jwt = (JSON.parse(token ?? '') as { access_token: string }).access_token;
        return { ok: vmId === vm.vmId, sub: (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as { sub: string }).sub };
      } catch {
        return { ok: false, sub: '' };
      }
    });
    const subjects = new Map<string, number>();
    for (const a of answers) subjects.set(a.sub, (subjects.get(a.sub) ?? 0) + 1);
    const answered = answers.filter((a) => a.ok && subjects.get(a.sub) === 1).length;
    const rss = rssMb(responder.pid);
    const down = await cli(['down', '--name', name]);
    if (down.code !== 0) throw new Error(`down (${tree}) failed: ${down.stderr}`);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return { tree, vms, upMs: up.ms, downMs: down.ms, rssMb: rss, slabMb, answered, load };
  } finally {
    await cli(['down', '--name', name]);
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** One VM's answer to a vmId request: status and body. */
async function vmIdOf(lab: Lab, vm: string): Promise<{ status: number; body: string }> {
  const r = await lab.exec(['curl', '-sS', '-m', '30', '--noproxy', '*', '-H', 'Metadata: true', '-w', '\n%{http_code}', VMID], { vm });
  const cut = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(cut + 1)), body: r.stdout.slice(0, cut) };
}

function check(ok: boolean, what: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) process.exitCode = 1;
}

/** Library mode and `ctl --vm` on an N-VM lab: listing, per-VM faults, timelines and logs, each timed. */
async function controlCheck(n: number): Promise<void> {
  const runDir = mkdtempSync(join(tmpdir(), 'imds-bench-scale-'));
  const env = { ...process.env, IMDS_LAB_RUN_DIR: runDir };
  const cli = (args: string[]): Promise<Result> => exec([process.execPath, '--import', 'tsx', MAIN, ...args], env);
  const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const value = await fn();
    console.log(`     ${what}: ${f(performance.now() - start, 0)} ms`);
    return value;
  };
  let lab: Lab | null = null;
  try {
    lab = await timed(`startLab({ vms: ${n}, virtualClock: true })`, () => startLab({ vms: n, virtualClock: true, runDir, env }));
    const l = lab;
    const last = `vm${n - 1}`;
    const mid = `vm${Math.floor(n / 2)}`;
    // Listing.
    const listed = await timed('ctl.listVms()', () => l.ctl.listVms());
    check(l.vms.length === n && l.ctl.vms.length === n && listed.length === n && new Set(listed.map((v) => v.name)).size === n && new Set(l.vms.map((v) => v.ip)).size === n, `${n} VMs listed (lab.vms, ctl.vms, listVms), each with its own name and IP`);
    const cliVms = await timed(`ctl --lab ${l.name} vms`, () => cli(['ctl', '--lab', l.name, 'vms']));
    check(cliVms.code === 0 && cliVms.stdout.includes(last), `ctl vms names ${last}`);
    // Per-VM faults: the library on every 25th VM, the CLI on the last; everyone else is untouched.
    const faulted = new Set(l.vms.filter((_, k) => k % 25 === 0 && k !== n - 1).map((v) => v.name));
    await timed(`fault add on ${faulted.size} VMs (ctl.forVm)`, () => Promise.all([...faulted].map((vm) => l.ctl.forVm(vm).addFault({ path: '/metadata/instance/compute/vmId', status: 503 }))));
    const cliFault = await timed(`ctl --vm ${last} fault add`, () => cli(['ctl', '--lab', l.name, '--vm', last, 'fault', 'add', 'path=/metadata/instance/compute/vmId,status=503']));
    check(cliFault.code === 0, `ctl --vm ${last} fault add: ${cliFault.stderr.trim()}`);
    faulted.add(last);
    const answers = await timed(`vmId from all ${n} VMs`, () => mapLimit(l.vms, 8, async (vm) => ({ vm, ...(await vmIdOf(l, vm.name)) })));
    const wrong = answers.filter((a) => (faulted.has(a.vm.name) ? a.status !== 503 : a.status !== 200 || a.body !== a.vm.vmId));
    check(wrong.length === 0, `the ${faulted.size} faulted VMs answer 503, the other ${n - faulted.size} their own vmId${wrong.length ? `; wrong: ${wrong.slice(0, 5).map((a) => `${a.vm.name} ${a.status}`).join(', ')}` : ''}`);
    const cliList = await cli(['ctl', '--lab', l.name, '--vm', last, 'fault', 'list']);
    check(cliList.code === 0 && cliList.stdout.includes('503'), `ctl --vm ${last} fault list shows its fault`);
    await Promise.all([...faulted].map((vm) => l.ctl.forVm(vm).clearFaults()));
    // Per-VM timelines: vm<mid> by the library, the last VM by the CLI; the VM between them stays healthy.
    await timed(`timeline start on ${mid} (library)`, () => l.ctl.forVm(mid).startTimeline({ phases: [{ status: 410, duration: '10s' }, {}] }));
    const cliTimeline = await timed(`ctl --vm ${last} timeline start`, () => cli(['ctl', '--lab', l.name, '--vm', last, 'timeline', 'start', '404:5s', 'ok']));
    check(cliTimeline.code === 0, `ctl --vm ${last} timeline start: ${cliTimeline.stderr.trim()}`);
    const other = `vm${Math.floor(n / 2) + 1}`;
    const during = await Promise.all([mid, last, other].map((vm) => vmIdOf(l, vm)));
    check(during[0]!.status === 410 && during[1]!.status === 404 && during[2]!.status === 200, `during the timelines: ${mid} 410, ${last} 404, ${other} 200 (got ${during.map((d) => d.status).join(', ')})`);
    await l.ctl.advanceClock('11s');
    const afterwards = await Promise.all([mid, last].map((vm) => vmIdOf(l, vm)));
    const status = await l.ctl.forVm(mid).timelineStatus();
    check(afterwards.every((a) => a.status === 200) && status.phase === 1, `after clock advance 11s both are back to 200 (${mid} in phase ${status.phase})`);
    const cliStatus = await cli(['ctl', '--lab', l.name, '--vm', last, 'timeline', 'status']);
    check(cliStatus.code === 0 && /phase/.test(cliStatus.stdout), `ctl --vm ${last} timeline status`);
    // Per-VM request logs, and the whole lab's.
    const own = await timed(`lab.requests({ vm: '${last}' })`, () => l.requests({ vm: last }));
    check(own.length > 0 && own.every((e) => e.vm === last), `${last}'s log: ${own.length} entries, all ${last}'s`);
    const all = await timed('lab.requests() (every VM)', () => l.requests());
    check(new Set(all.map((e) => e.vm)).size === n, `the lab's log names all ${n} VMs (${all.length} entries)`);
    const cliLog = await timed(`ctl --lab --vm ${last} log`, () => cli(['ctl', '--lab', l.name, '--vm', last, 'log']));
    check(cliLog.code === 0 && cliLog.stdout.trim().split('\n').every((line) => (JSON.parse(line) as { vm: string }).vm === last), `ctl --vm ${last} log shows only ${last}`);
  } finally {
    await timed('lab.close()', async () => lab?.close());
    rmSync(runDir, { recursive: true, force: true });
  }
}

const { values } = parseArgs({ options: { vms: { type: 'string', default: '1,16,64,250' }, baseline: { type: 'string' }, control: { type: 'string' } } });
if (process.getuid?.() !== 0) {
  console.error('bench-scale needs root (network namespaces)');
  process.exit(1);
}
const f = (n: number, d = 1): string => n.toFixed(d);
if (values.control !== undefined) {
  await controlCheck(Number(values.control));
  process.exit();
}
const sizes = values.vms.split(',').map(Number);
const trees: [string, string][] = [['this tree', MAIN]];
if (values.baseline) trees.push(['baseline', join(values.baseline, 'src/cli/main.ts')]);
const rows: Row[] = [];
console.log('tree | VMs | up s | down s | responder RSS MB | Slab +MB while up | own vmId+token | load');
for (const vms of sizes) {
  for (const [tree, main] of trees) {
    const row = await measure(tree, main, vms);
    rows.push(row);
    console.log(`${row.tree} | ${vms} | ${f(row.upMs / 1000)} | ${f(row.downMs / 1000)} | ${f(row.rssMb)} | ${f(row.slabMb)} | ${row.answered}/${vms} | ${row.load}`);
  }
}
// Growth per VM between the smallest and each larger size (this tree), and the ratio to the baseline.
const own = rows.filter((r) => r.tree === 'this tree');
const first = own[0]!;
for (const r of own.slice(1)) {
  const n = r.vms - first.vms;
  console.log(
    `per VM ${first.vms}->${r.vms}: up ${f((r.upMs - first.upMs) / n, 1)} ms, down ${f((r.downMs - first.downMs) / n, 1)} ms, RSS ${f(((r.rssMb - first.rssMb) * 1024) / n, 0)} kB, Slab ${f(((r.slabMb - first.slabMb) * 1024) / n, 0)} kB`,
  );
}
for (const r of rows.filter((x) => x.tree === 'baseline')) {
  const mine = own.find((x) => x.vms === r.vms)!;
  console.log(`${r.vms} VMs: up ${f(mine.upMs / r.upMs, 2)}x, down ${f(mine.downMs / r.downMs, 2)}x of the baseline`);
}
