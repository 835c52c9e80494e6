// A multi-VM daemon in socket mode on loopback (no root): clients bound to 127.0.0.2 and 127.0.0.3 are two
// VMs. Each gets its own metadata and token identity, rate limits are per VM, control operations address one
// VM, the log tags entries with the VM, and daemon-wide operations need no VM.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_PROFILE } from '../src/config/default-profile.ts';
import { validateProfile } from '../src/config/load-profile.ts';
import type { VmProfile } from '../src/config/vm-profile.ts';
import { ControlClient } from '../src/control/control-client.ts';
import { ControlRequestError } from '../src/control/control-error.ts';
import { startDaemon, type DaemonHandle } from '../src/daemon/start-daemon.ts';
import { deriveScaleSetProfile } from '../src/lab/scale-set-profiles.ts';
import { httpRequest } from './helpers/http-client.ts';

/** A profile whose primary IP is a loopback address (so a client can bind to it). */
function loopbackVm(base: VmProfile, ip: string): VmProfile {
  const draft = structuredClone(base) as unknown as { instance: { network: { interface: Record<string, unknown>[] } } };
  draft.instance.network.interface[0]!['ipv4'] = { ipAddress: [{ privateIpAddress: ip, publicIpAddress: '' }], subnet: [{ address: '127.0.0.0', prefix: '8' }] };
  return validateProfile(draft, ip);
}

async function get(port: number, from: string, path: string): Promise<{ status: number; body: string }> {
  const { status, body } = await httpRequest({ host: '127.0.0.1', port, path, localAddress: from }, { headers: { Metadata: 'true' } });
  return { status, body };
}

describe('one daemon, two VMs (socket mode, loopback sources)', () => {
  let daemon: DaemonHandle;
  let ctl: ControlClient;
  let state: string;
  const vm0 = loopbackVm(DEFAULT_PROFILE, '127.0.0.2');
  const vm1 = loopbackVm(deriveScaleSetProfile(DEFAULT_PROFILE, { index: 1, ip: '10.1.0.5', mac: '00:0d:3a:f8:06:fc' }), '127.0.0.3');
  const name = '/metadata/instance/compute/name?api-version=2021-02-01&format=text';
  const token = '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/';

  before(async () => {
    state = mkdtempSync(join(tmpdir(), 'imds-multi-vm-'));
    daemon = await startDaemon({
      capture: 'socket',
      listen: { host: '127.0.0.1', port: 0 },
      stateDir: state,
      vms: [
        { name: 'vm0', profile: vm0 },
        { name: 'vm1', profile: vm1 },
      ],
      control: { socketPath: join(state, 'control', 'control.sock') },
    });
    ctl = await ControlClient.connect(daemon.control!.socketPath);
  });
  after(async () => {
    await ctl?.close();
    await daemon?.close();
    rmSync(state, { recursive: true, force: true });
  });

  it('answers each VM by its source IP, with its own metadata and token identity', async () => {
    assert.deepEqual(await get(daemon.address.port, '127.0.0.2', name), { status: 200, body: 'examplevmname' });
    assert.deepEqual(await get(daemon.address.port, '127.0.0.3', name), { status: 200, body: 'examplevmname-vm1' });
    const oid = async (from: string): Promise<string> => {
      const r = await get(daemon.address.port, from, token);
      const jwt = (JSON.parse(r.body) as { access_token: string }).access_token;
      return (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as { oid: string }).oid;
    };
    assert.equal(await oid('127.0.0.2'), vm0.identity.systemAssigned?.objectId);
    assert.equal(await oid('127.0.0.3'), vm1.identity.systemAssigned?.objectId);
    assert.notEqual(vm0.identity.systemAssigned?.objectId, vm1.identity.systemAssigned?.objectId);
    assert.equal((await get(daemon.address.port, '127.0.0.1', name)).body, 'examplevmname', 'other sources go to the first VM');
  });

  it('rate limits are per VM: vm0 spending its 5 requests/s does not throttle vm1', async () => {
    const burst = await Promise.all(Array.from({ length: 8 }, () => get(daemon.address.port, '127.0.0.2', name)));
    assert.ok(burst.some((r) => r.status === 429), `vm0 is throttled: ${burst.map((r) => r.status).join(',')}`);
    assert.equal((await get(daemon.address.port, '127.0.0.3', name)).status, 200, 'vm1 still has its budget');
  });

  it('control operations address one VM; the log tags every entry; daemon-wide operations need no VM', async () => {
    await assert.rejects(ctl.listFaults(), (e: unknown) => e instanceof ControlRequestError && /vm: is required: this daemon serves several VMs \(vm0, vm1\)/.test(e.message));
    assert.deepEqual((await ctl.ping()).vms, ['vm0', 'vm1']);
    await ctl.forVm('vm1').addFault({ path: '/metadata/instance', status: 503, count: 1 });
    await new Promise((r) => setTimeout(r, 1100)); // vm0's rate window from the previous test
    assert.equal((await get(daemon.address.port, '127.0.0.2', name)).status, 200);
    assert.equal((await get(daemon.address.port, '127.0.0.3', name)).status, 503);
    const all = (await ctl.queryLog({ path: '/metadata/instance' })).entries;
    assert.deepEqual([...new Set(all.map((e) => e.vm))].sort(), ['vm0', 'vm1']);
    const vm1Log = (await ctl.forVm('vm1').queryLog({ status: 503 })).entries;
    assert.equal(vm1Log.length, 1);
    assert.deepEqual([vm1Log[0]!.vm, vm1Log[0]!.remoteAddress, vm1Log[0]!.rule], ['vm1', '127.0.0.3', 'fault']);
  });
});
