// Namespace e2e of a half-open SYN flood (issue 11 point 1): 200 SYNs sent from a raw socket inside a VM
// namespace, the VM's own RSTs suppressed with nftables, then an unmodified curl must connect at once, from
// the flooding VM and from another VM of the scale set (SYN cookies, per-source half-open share).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { addNetns, deleteNetns, execIn, ip, netnsList, nsRun, privilegedSkipReason, removeLeftoversAfterTests, stopChild, uniqueSuffix, waitForOutput } from './helpers/netns.ts';
import { curl, IMDS_URL, MAIN } from './helpers/netns-imds.ts';
import { spawn, type ChildProcess } from 'node:child_process';

const skip = privilegedSkipReason();
removeLeftoversAfterTests();
const FLOOD = fileURLToPath(new URL('./tools/syn-flood.py', import.meta.url));
const NAME_URL = `${IMDS_URL}/metadata/instance/compute/name?api-version=2021-02-01&format=text`;
const NO_RST = 'table ip imdslab_flood {\n chain out {\n  type filter hook output priority 0;\n  ip daddr 169.254.169.254 tcp flags & rst == rst drop\n }\n}\n';

describe('half-open SYN flood through the TUN path', { skip }, () => {
  const suffix = uniqueSuffix();
  const host = `imdslab-fh-${suffix}`;
  const vms = [`imdslab-f0-${suffix}`, `imdslab-f1-${suffix}`];
  const addresses = ['10.1.0.4', '10.2.0.4'];
  let state: string;
  let serve: ChildProcess | undefined;

  before(async () => {
    state = mkdtempSync(join(tmpdir(), 'imds-syn-flood-'));
    addNetns(host);
    vms.forEach((vm, i) => {
      addNetns(vm);
      ip(['-n', host, 'link', 'add', `h${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm]);
      ip(['-n', host, 'addr', 'add', `10.${i + 1}.0.1/24`, 'dev', `h${i}`]);
      ip(['-n', vm, 'addr', 'add', `${addresses[i]}/24`, 'dev', 'eth0']);
      ip(['-n', host, 'link', 'set', `h${i}`, 'up']);
      ip(['-n', vm, 'link', 'set', 'eth0', 'up']);
      ip(['-n', vm, 'route', 'add', '169.254.169.254/32', 'via', `10.${i + 1}.0.1`, 'dev', 'eth0']);
    });
    nsRun(host, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    serve = spawn('ip', ['netns', 'exec', host, process.execPath, '--import', 'tsx', MAIN, 'serve', '--capture', 'tun', '--state-dir', state, '--no-rate-limit', '--primary-ip', addresses[0]!, '--primary-ip', addresses[1]!], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForOutput(serve, (t) => t.includes('serving on'), 30_000);
  });

  after(async () => {
    if (serve) await stopChild(serve);
    for (const ns of [...vms, host]) deleteNetns(ns);
    rmSync(state, { recursive: true, force: true });
    assert.deepEqual(netnsList().filter((n) => n.endsWith(suffix)), []);
  });

  /** Floods from VM `i` (its RSTs suppressed); returns [sent, answered with a SYN-ACK]. */
  async function floodFrom(i: number, count: number): Promise<[number, number]> {
    const vm = vms[i]!;
    const nft = await execIn(vm, ['nft', '-f', '-'], { input: NO_RST });
    assert.equal(nft.code, 0, nft.stderr.toString());
    const r = await execIn(vm, ['python3', FLOOD, addresses[i]!, '169.254.169.254', String(count)], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr.toString());
    const [sent, answered] = r.stdout.toString().trim().split(' ').map(Number);
    return [sent!, answered!];
  }

  it('200 half-open SYNs from the VM: all answered, and a curl from the same VM connects at once', async () => {
    const [sent, answered] = await floodFrom(0, 200);
    assert.equal(sent, 200);
    assert.equal(answered, 200, 'every SYN got a SYN-ACK (past the half-open share, a cookie)');
    const r = await curl(vms[0]!, NAME_URL, ['-m', '5']);
    assert.equal(r.code, 0, `curl exit ${r.code} after ${Math.round(r.ms)} ms: ${r.stderr.toString()}`);
    assert.equal(r.stdout.toString(), 'examplevmname');
  });

  it('a flood from vm1 does not affect vm0', async () => {
    const [, answered] = await floodFrom(1, 200);
    assert.equal(answered, 200);
    const r = await curl(vms[0]!, NAME_URL, ['-m', '5']);
    assert.equal(r.code, 0, `curl exit ${r.code} after ${Math.round(r.ms)} ms: ${r.stderr.toString()}`);
    assert.equal(r.stdout.toString(), 'examplevmname');
    const again = await curl(vms[1]!, NAME_URL, ['-m', '5']);
    assert.equal(again.code, 0, `vm1's own curl: exit ${again.code}: ${again.stderr.toString()}`);
  });
});
