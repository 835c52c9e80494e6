// Namespace e2e of a half-open SYN flood (issue 11 point 1): 200 SYNs sent from a raw socket inside a VM
// namespace, the VM's own RSTs suppressed with nftables, then an unmodified curl must connect at once, from
// the flooding VM and from another VM of the scale set (SYN cookies, per-source half-open share).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { execIn, netnsList, privilegedSkipReason, removeLeftoversAfterTests } from './helpers/netns.ts';
import { curl, IMDS_URL } from './helpers/netns-imds.ts';
import { createVmPair, type VmPair } from './helpers/netns-vm-pair.ts';

const skip = privilegedSkipReason();
removeLeftoversAfterTests();
const SYN_FLOOD = fileURLToPath(new URL('./tools/syn-flood.py', import.meta.url));
const NAME_URL = `${IMDS_URL}/metadata/instance/compute/name?api-version=2021-02-01&format=text`;

describe('half-open SYN flood through the TUN path', { skip }, () => {
  let pair: VmPair;
  let state: string;

  before(async () => {
    state = mkdtempSync(join(tmpdir(), 'imds-syn-flood-'));
    pair = createVmPair('imdslab-f');
    await pair.serveTun(state, ['--no-rate-limit']);
  });

  after(async () => {
    await pair?.destroy();
    rmSync(state, { recursive: true, force: true });
    assert.deepEqual(netnsList().filter((n) => n === pair?.host || pair?.vms.includes(n)), []);
  });

  /** Floods from VM `i` (its RSTs suppressed); returns [sent, answered with a SYN-ACK]. */
  async function floodFrom(i: number, count: number): Promise<[number, number]> {
    const vm = pair.vms[i]!;
    await pair.suppressRsts(vm);
    const r = await execIn(vm, ['python3', SYN_FLOOD, pair.addresses[i]!, '169.254.169.254', String(count)], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr.toString());
    const [sent, answered] = r.stdout.toString().trim().split(' ').map(Number);
    return [sent!, answered!];
  }

  it('200 half-open SYNs from the VM: all answered, and a curl from the same VM connects at once', async () => {
    const [sent, answered] = await floodFrom(0, 200);
    assert.equal(sent, 200);
    assert.equal(answered, 200, 'every SYN got a SYN-ACK (past the half-open share, a cookie)');
    const r = await curl(pair.vms[0], NAME_URL, ['-m', '5']);
    assert.equal(r.code, 0, `curl exit ${r.code} after ${Math.round(r.ms)} ms: ${r.stderr.toString()}`);
    assert.equal(r.stdout.toString(), 'examplevmname');
  });

  it('a flood from vm1 does not affect vm0', async () => {
    const [, answered] = await floodFrom(1, 200);
    assert.equal(answered, 200);
    const r = await curl(pair.vms[0], NAME_URL, ['-m', '5']);
    assert.equal(r.code, 0, `curl exit ${r.code} after ${Math.round(r.ms)} ms: ${r.stderr.toString()}`);
    assert.equal(r.stdout.toString(), 'examplevmname');
    const again = await curl(pair.vms[1], NAME_URL, ['-m', '5']);
    assert.equal(again.code, 0, `vm1's own curl: exit ${again.code}: ${again.stderr.toString()}`);
  });
});
