// Scale-set planning: VMs 1.. derived from VM 0 (values, determinism, addresses), given profiles checked,
// and the plan of a scale set (bridge, one responder with --vm per VM, firewall) through the no-escape check.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_PROFILE } from '../config/default-profile.ts';
import { plan } from '../../test/helpers/lab-plan-kit.ts';
import { LabError } from './lab-error.ts';
import { profileNics } from './lab-nics.ts';
import { isVmRole } from './lab-naming.ts';
import { planScaleSet } from './lab-scale-set.ts';
import { formatArgv, formatStep, stepCommands } from './lab-step.ts';
import { findEscapes } from './no-escape.ts';
import { deriveScaleSetProfile, derivedUuid } from './scale-set-profiles.ts';

const compute = (p: typeof DEFAULT_PROFILE): Record<string, unknown> => p.instance.compute as Record<string, unknown>;

describe('scale-set profiles', () => {
  const vm1 = deriveScaleSetProfile(DEFAULT_PROFILE, { index: 1, ip: '10.1.0.5', mac: '00:0d:3a:f8:06:fc' });

  it('VM 1 has its own vmId, name, computerName, resource id, IP, MAC and system identity', () => {
    const c = compute(vm1);
    assert.equal(c['name'], 'examplevmname-vm1');
    assert.equal((c['osProfile'] as Record<string, string>)['computerName'], 'examplevmname-vm1');
    assert.match(String(c['resourceId']), /\/virtualMachines\/examplevmname-vm1$/);
    assert.notEqual(c['vmId'], compute(DEFAULT_PROFILE)['vmId']);
    assert.match(String(c['vmId']), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const nics = profileNics(vm1);
    assert.deepEqual([nics.length, nics[0]!.ips, nics[0]!.mac], [1, ['10.1.0.5'], '00:0d:3a:f8:06:fc']);
    assert.notEqual(vm1.identity.systemAssigned?.objectId, DEFAULT_PROFILE.identity.systemAssigned?.objectId);
    assert.notEqual(vm1.identity.systemAssigned?.clientId, DEFAULT_PROFILE.identity.systemAssigned?.clientId);
    assert.deepEqual(vm1.identity.userAssigned, DEFAULT_PROFILE.identity.userAssigned, 'user-assigned identities are shared, as on a VMSS');
    assert.equal(vm1.loadBalancer?.publicIpAddresses[0]?.privateIpAddress, '10.1.0.5');
  });

  it('is deterministic', () => {
    const again = deriveScaleSetProfile(DEFAULT_PROFILE, { index: 1, ip: '10.1.0.5', mac: '00:0d:3a:f8:06:fc' });
    assert.deepEqual(again, vm1);
    assert.equal(derivedUuid('x'), derivedUuid('x'));
    assert.notEqual(derivedUuid('x/vm1'), derivedUuid('x/vm2'));
  });
});

describe('planScaleSet', () => {
  const nics = profileNics(DEFAULT_PROFILE);

  it('one VM keeps the classic namespace; several get <lab>-vm<k> and the next free IPs and MACs', () => {
    assert.equal(planScaleSet('lab', DEFAULT_PROFILE, nics, 1, [])[0]!.namespace, 'lab-vm');
    const vms = planScaleSet('lab', DEFAULT_PROFILE, nics, 3, []);
    assert.deepEqual(vms.map((v) => [v.name, v.role, v.namespace, v.nic.ips[0], v.nic.mac]), [
      ['vm0', 'vm', 'lab-vm0', '10.1.0.4', '00:0d:3a:f8:06:ec'],
      ['vm1', 'vm1', 'lab-vm1', '10.1.0.5', '00:0d:3a:f8:06:fc'],
      ['vm2', 'vm2', 'lab-vm2', '10.1.0.6', '00:0d:3a:f8:07:0c'],
    ]);
  });

  it("skips VM 0's secondary IPs", () => {
    const withSecondary = [{ ...nics[0]!, ips: ['10.1.0.4', '10.1.0.5'] }];
    assert.equal(planScaleSet('lab', DEFAULT_PROFILE, withSecondary, 2, [])[1]!.nic.ips[0], '10.1.0.6');
  });

  it('checks given profiles: the shared subnet and unique addresses', () => {
    const other = deriveScaleSetProfile(DEFAULT_PROFILE, { index: 1, ip: '10.1.0.9', mac: '00:0d:3a:00:00:09' });
    assert.equal(planScaleSet('lab', DEFAULT_PROFILE, nics, 2, [other])[1]!.nic.ips[0], '10.1.0.9');
    assert.throws(() => planScaleSet('lab', DEFAULT_PROFILE, nics, 2, [DEFAULT_PROFILE]), (e: unknown) => e instanceof LabError && /10\.1\.0\.4 is already used/.test(e.message));
    const elsewhere = { ...other, instance: { ...other.instance, network: { interface: [{ ipv4: { ipAddress: [{ privateIpAddress: '10.9.0.4' }], subnet: [{ address: '10.9.0.0', prefix: '24' }] }, macAddress: '000D3A000099' }] } } };
    assert.throws(() => planScaleSet('lab', DEFAULT_PROFILE, nics, 2, [elsewhere]), (e: unknown) => e instanceof LabError && /shares the primary subnet/.test(e.message));
    assert.throws(() => planScaleSet('lab', DEFAULT_PROFILE, nics, 1001, []), /--vms: expected 1\.\.1000/);
  });

  it('fills a /24: 251 VMs on .4-.254 (Azure reserves .0-.3 and .255), a 252nd is refused by name', () => {
    const vms = planScaleSet('lab', DEFAULT_PROFILE, nics, 251, []);
    assert.equal(new Set(vms.map((v) => v.nic.ips[0])).size, 251);
    assert.equal(new Set(vms.map((v) => v.nic.mac)).size, 251);
    assert.equal(vms.at(-1)!.nic.ips[0], '10.1.0.254');
    assert.equal(vms.at(-1)!.namespace, 'lab-vm250');
    assert.ok(vms.slice(1).every((v) => isVmRole(v.role)), 'vm1 … vm250 are VM roles (the no-escape check accepts their namespaces)');
    assert.throws(() => planScaleSet('lab', DEFAULT_PROFILE, nics, 252, []), /no free address left in 10\.1\.0\.0\/24 for vm251/);
  });
});

describe('scale-set plans', () => {
  for (const capture of ['tun', 'socket'] as const) {
    it(`--vms 3 (${capture}): bridge nic0, one responder with a profile per VM, inside the lab`, () => {
      const p = plan('healthy', { capture, vmCount: 3 });
      assert.deepEqual(findEscapes(p), []);
      // Batch lines as the single commands they stand for (`ip -n NS LINE`), other steps as run (heredocs line by line).
      const text = p.steps.flatMap((s) => (s.kind === 'parallel' ? s.steps : [s])).flatMap((s) => (s.kind === 'batch' ? stepCommands(s).map((c) => formatArgv(c.argv)) : formatStep(s).split('\n')));
      assert.ok(text.includes('ip -n imds-host link add nic0 address 12:34:56:78:9a:bc type bridge'), 'the gateway is a bridge');
      assert.ok(text.includes('ip -n imds-host link set nic0p2 master nic0'));
      assert.ok(text.includes('ip -n imds-vm2 route add 169.254.169.254/32 via 10.1.0.1 dev eth0'));
      const serve = text.filter((l) => l.includes(' serve '));
      assert.equal(serve.length, 1);
      assert.match(serve[0]!, / --vm vm0=\/run\/imds-lab\/imds\/vm0\.profile\.json --vm vm1=\S+ --vm vm2=\S+ --control-socket \/run\/imds-lab\/imds\/control\/control\.sock/);
      assert.doesNotMatch(serve[0]!, /--primary-ip/);
      if (capture === 'socket') assert.ok(text.some((l) => l.endsWith('iifname nic0 ip saddr 10.1.0.6 accept')), 'the firewall admits every VM');
    });
  }

  it('proxy-vm: tinyproxy runs on vm1 without X-Forwarded-For; vm0 gets HTTP_PROXY', () => {
    const p = plan('proxy-vm', { capture: 'tun' });
    assert.equal(p.env['HTTP_PROXY'], 'http://10.1.0.5:8888');
    const text = p.steps.map(formatStep);
    assert.ok(text.some((l) => l.startsWith('ip netns exec imds-vm1 tinyproxy ')));
    const conf = p.steps.find((s) => s.kind === 'write-file' && s.path.endsWith('tinyproxy.conf'));
    assert.ok(conf && conf.kind === 'write-file', 'tinyproxy.conf is written');
    assert.doesNotMatch(conf.content, /X-Forwarded-For/);
    assert.match(conf.content, /DisableViaHeader Yes/);
    assert.equal(p.topology.namespaces.proxy, undefined, 'no proxy namespace');
  });

  it('DHCP scenarios refuse a scale set; names ending in -vm<N> are refused', () => {
    assert.throws(() => plan('dhcp', { vmCount: 2 }), /runs with one VM only/);
    assert.throws(() => plan('healthy', { name: 'a-vm1' }), /-vm<N>/);
  });
});
