// Lab lifecycle in real namespaces: unmodified apps under `run` (curl, Node, Python), idempotent `up`,
// labs side by side, `down` after SIGKILL of the responder, traces, and nothing left behind.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { exec, IMDS_URL, LabTestContext } from './helpers/lab-cli.ts';
import { privilegedSkipReason } from './helpers/netns.ts';

const skip = privilegedSkipReason();

const NODE_APP = `
const r = await fetch('http://169.254.169.254/metadata/instance?api-version=2021-02-01', { headers: { Metadata: 'true' } });
if (r.status !== 200) { console.error('status', r.status); process.exit(1); }
const doc = await r.json();
console.log(doc.compute.vmId, doc.network.interface[0].ipv4.ipAddress[0].privateIpAddress);
`;

const PYTHON_APP = `
import json, sys, urllib.request, urllib.error
req = urllib.request.Request('http://169.254.169.254/metadata/instance?api-version=2021-02-01', headers={'Metadata': 'true'})
try:
    with urllib.request.urlopen(req, timeout=3) as r:
        doc = json.load(r)
except urllib.error.HTTPError as e:
    print('HTTP', e.code, e.read().decode(), file=sys.stderr)
    sys.exit(3)
print(doc['compute']['vmId'])
`;

describe('lab lifecycle', { skip, concurrency: 3 }, () => {
  const ctx = new LabTestContext('life');
  const apps = mkdtempSync(join(tmpdir(), 'imds-lab-apps-'));
  writeFileSync(join(apps, 'app.mjs'), NODE_APP);
  writeFileSync(join(apps, 'app.py'), PYTHON_APP);

  after(async () => {
    await ctx.cleanup();
    rmSync(apps, { recursive: true, force: true });
    assert.deepEqual(await ctx.leftovers(), [], 'no namespace of this suite is left');
  });

  it('run: curl as in the docs, a Node script and a Python script work unmodified; run returns their exit codes', async () => {
    const name = ctx.name();
    const curl = await ctx.cli(['run', '--name', name, '--', 'curl', '-s', '-H', 'Metadata:true', '--noproxy', '*', 'http://169.254.169.254/metadata/instance?api-version=2021-02-01']);
    assert.equal(curl.code, 0, curl.stderr);
    assert.equal((JSON.parse(curl.stdout) as { compute: { vmId: string } }).compute.vmId, '02aab8a4-74ef-476e-8182-f6d2ba4166a6');
    const node = await ctx.cli(['run', '--name', name, '--', process.execPath, join(apps, 'app.mjs')]);
    assert.equal(node.code, 0, node.stderr);
    assert.equal(node.stdout.trim(), '02aab8a4-74ef-476e-8182-f6d2ba4166a6 10.1.0.4');
    const python = await ctx.cli(['run', '--name', name, '--', 'python3', join(apps, 'app.py')]);
    assert.equal(python.code, 0, python.stderr);
    assert.equal(python.stdout.trim(), '02aab8a4-74ef-476e-8182-f6d2ba4166a6');
    const unreachable = await ctx.cli(['run', '--name', name, '--scenario', 'no-route', '--', 'curl', '-s', '-m', '2', IMDS_URL]);
    assert.equal(unreachable.code, 7, 'run returns the command exit code');
    assert.deepEqual((await ctx.leftovers()).filter((n) => n.startsWith(`${name}-`)), [], 'run removes its lab');
  });

  it('run: the Python app sees the proxy leak (403) and works with --fixed (NO_PROXY)', async () => {
    const name = ctx.name();
    const leak = await ctx.cli(['run', '--name', name, '--scenario', 'proxy-leak', '--', 'python3', join(apps, 'app.py')]);
    assert.equal(leak.code, 3, leak.stderr);
    assert.match(leak.stderr, /HTTP 403 \{"error":"Forbidden"\}/);
    const fixed = await ctx.cli(['run', '--name', name, '--scenario', 'proxy-leak', '--fixed', '--', 'python3', join(apps, 'app.py')]);
    assert.equal(fixed.code, 0, fixed.stderr);
  });

  it('up is idempotent, replaces a different lab, and labs run side by side', async () => {
    const a = ctx.name();
    const b = ctx.name();
    try {
      assert.equal((await ctx.cli(['up', '--name', a])).code, 0);
      const pid = JSON.parse((await ctx.cli(['status', '--name', a, '--json'])).stdout).state.processes[0].pid as number;
      const again = await ctx.cli(['up', '--name', a]);
      assert.match(again.stderr, /already up with the same plan; reusing it/);
      assert.equal(JSON.parse((await ctx.cli(['status', '--name', a, '--json'])).stdout).state.processes[0].pid, pid);
      assert.equal((await ctx.cli(['up', '--name', b, '--capture', 'socket'])).code, 0);
      const [ra, rb] = await Promise.all([ctx.curl(a, ['-m', '3', IMDS_URL]), ctx.curl(b, ['-m', '3', IMDS_URL])]);
      assert.equal(ra.code, 0, ra.stderr);
      assert.equal(rb.code, 0, rb.stderr);
      const replaced = await ctx.cli(['up', '--name', a, '--scenario', 'no-route']);
      assert.match(replaced.stderr, /replaced the existing lab/);
      assert.equal((await ctx.curl(a, ['-m', '3', IMDS_URL])).code, 7);
      assert.equal((await ctx.curl(b, ['-m', '3', IMDS_URL])).code, 0, 'the other lab is untouched');
    } finally {
      await ctx.cli(['down', '--name', a]);
      await ctx.cli(['down', '--name', b]);
    }
    const status = await ctx.cli(['status', '--name', a]);
    assert.equal(status.code, 3);
  });

  it('down after SIGKILL of the responder leaves nothing (namespaces, tinyproxy, state)', async () => {
    const name = ctx.name();
    assert.equal((await ctx.cli(['up', '--name', name, '--scenario', 'proxy-leak'])).code, 0);
    const state = JSON.parse((await ctx.cli(['status', '--name', name, '--json'])).stdout).state as { stateDir: string; processes: { id: string; pid: number }[] };
    const responder = state.processes.find((p) => p.id === 'responder')!.pid;
    const tinyproxy = state.processes.find((p) => p.id === 'tinyproxy')!.pid;
    const healthy = await ctx.cli(['status', '--name', name]);
    assert.equal(healthy.code, 0, 'status: exit 0 while every process runs');
    assert.match(healthy.stdout, /responder pid \d+ running/);
    assert.match(healthy.stdout, /health {9}ok/);
    process.kill(responder, 'SIGKILL');
    const broken = await ctx.cli(['status', '--name', name]);
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /responder .* NOT RUNNING/);
    assert.match(broken.stdout, /health {9}BROKEN: responder \(pid \d+\) is not running/);
    const down = await ctx.cli(['down', '--name', name]);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual((await ctx.leftovers()).filter((n) => n.startsWith(`${name}-`)), []);
    assert.equal(existsSync(`/proc/${tinyproxy}`) && !readFileSync(`/proc/${tinyproxy}/stat`, 'utf8').includes(') Z'), false, 'tinyproxy is gone');
    assert.equal(existsSync(state.stateDir), false);
    assert.equal((await ctx.cli(['down', '--name', name])).stdout.trim(), `lab ${name}: nothing to remove`);
  });

  it('trace: explains a recorded proxy leak and a secondary-NIC timeout per request', async () => {
    const name = ctx.name();
    const pcap = join(ctx.runDir, `${name}.pcap`);
    assert.equal((await ctx.cli(['up', '--name', name, '--scenario', 'proxy-leak', '--pcap', pcap])).code, 0);
    assert.equal((await ctx.curl(name, ['-m', '3', IMDS_URL])).stdout, '{"error":"Forbidden"}');
    assert.equal((await ctx.curl(name, ['-m', '3', '--noproxy', '*', IMDS_URL])).code, 0);
    await ctx.cli(['down', '--name', name]);
    const trace = await ctx.cli(['trace', pcap]);
    assert.equal(trace.code, 0, trace.stderr);
    assert.match(trace.stdout, /192\.168\.254\.2:\d+ -> 169\.254\.169\.254:80 in on proxy0.*\(the proxy namespace: the request was forwarded by the proxy\)/);
    assert.match(trace.stdout, /GET \/metadata\/instance\/compute\/vmId\?api-version=2021-02-01&format=text -> 403 Forbidden after .*; decided by rule x-forwarded-for/);
    assert.match(trace.stdout, /10\.1\.0\.4:\d+ -> 169\.254\.169\.254:80 in on nic0( -> \S+)? \(VM eth0, primary NIC, primary IP\)/);
    assert.match(trace.stdout, /-> 200 OK after .*; decided by rule handler/);
    assert.match(trace.stdout, /SYN-ACK after [\d.]+ m?s, handshake/);

    const second = ctx.name();
    const pcap2 = join(ctx.runDir, `${second}.pcap`);
    assert.equal((await ctx.cli(['up', '--name', second, '--scenario', 'secondary-nic', '--pcap', pcap2])).code, 0);
    assert.equal((await ctx.curl(second, ['-m', '2', IMDS_URL])).code, 28);
    await ctx.cli(['down', '--name', second]);
    const silent = await ctx.cli(['trace', pcap2]);
    assert.match(silent.stdout, /10\.1\.1\.4:\d+ -> 169\.254\.169\.254:80 in on nic1( -> \S+)? \(VM eth1, secondary NIC, primary IP\)/);
    assert.match(silent.stdout, /2 SYNs \(retransmitted\), no answer/);
  });

  it('up --dry-run prints the commands without running them', async () => {
    const name = ctx.name();
    const r = await ctx.cli(['up', '--name', name, '--scenario', 'failover-cluster', '--dry-run']);
    assert.equal(r.code, 0);
    const lines = r.stdout.trim().split('\n');
    // The namespaces in one `ip -batch`, each namespace's addresses and routes in one `ip -n NS -batch` (heredocs).
    assert.deepEqual(lines.slice(0, 2), [`ip -batch - <<'EOF'`, `netns add ${name}-vm`]);
    const vmBatch = lines.indexOf(`ip -n ${name}-vm -batch - <<'EOF'`, lines.indexOf(`ip -n ${name}-vm -batch - <<'EOF'`) + 1);
    assert.ok(vmBatch > 0 && lines.slice(vmBatch, lines.indexOf('EOF', vmBatch)).includes('addr add 169.254.77.10/16 dev cluster0'), r.stdout);
    assert.deepEqual((await exec(['ip', 'netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(name)), []);
  });
});
