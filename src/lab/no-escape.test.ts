// The no-escape check refuses any plan that could reach the root namespace or beyond.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plan } from '../../test/helpers/lab-plan-kit.ts';
import { LabError } from './lab-error.ts';
import type { LabStep } from './lab-step.ts';
import type { LabTopology } from './lab-topology.ts';
import { assertNoEscape, findEscapes } from './no-escape.ts';

function withStep(step: LabStep): { topology: LabTopology; steps: LabStep[] } {
  const p = plan('healthy');
  return { topology: p.topology, steps: [...p.steps, step] };
}

function run(...argv: string[]): LabStep {
  return { kind: 'run', argv, undo: null };
}

function batch(namespace: string | null, ...lines: string[][]): LabStep {
  return { kind: 'batch', namespace, lines: lines.map((args) => ({ args, undo: null })) };
}

describe('no-escape check', () => {
  it('accepts the real plans', () => {
    assert.deepEqual(findEscapes(plan('proxy-leak', { capture: 'tun' })), []);
  });

  it('writes only the lab state and /etc/netns/<lab namespace>/', () => {
    const write = (path: string, removeOnUndo?: string): LabStep => ({ kind: 'write-file', path, content: 'x', ...(removeOnUndo ? { removeOnUndo } : {}) });
    assert.deepEqual(findEscapes(withStep(write('/etc/netns/imds-vm/resolv.conf', '/etc/netns/imds-vm'))), []);
    assert.match(findEscapes(withStep(write('/etc/resolv.conf')))[0]!.reason, /outside the lab's state/);
    assert.match(findEscapes(withStep(write('/etc/netns/other-vm/resolv.conf')))[0]!.reason, /outside the lab's state/);
    assert.match(findEscapes(withStep(write('/etc/netns/imds-vm/resolv.conf', '/etc/netns')))[0]!.reason, /undo would remove/);
  });

  const bad: [string, LabStep, RegExp][] = [
    ['a veth end in the root namespace', run('ip', 'link', 'add', 'x0', 'type', 'veth', 'peer', 'name', 'x1', 'netns', 'imds-vm'), /root namespace/],
    ['a peer moved to the root namespace by pid', run('ip', '-n', 'imds-host', 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up1', 'netns', '1'), /outside the lab/],
    ['a device moved to a foreign namespace', run('ip', '-n', 'imds-vm', 'link', 'set', 'eth0', 'netns', 'other-ns'), /outside the lab/],
    ['a route in the root namespace', run('ip', 'route', 'add', '169.254.169.254/32', 'dev', 'eth0'), /root namespace/],
    ['a program in the root namespace', run('sysctl', '-w', 'net.ipv4.ip_forward=1'), /root namespace/],
    ['a foreign namespace', run('ip', 'netns', 'exec', 'edge1', 'ip', 'link'), /foreign/],
    ['deleting a foreign namespace', run('ip', 'netns', 'del', 'somebody-else'), /outside the lab/],
    ['nsenter into init', run('ip', 'netns', 'exec', 'imds-host', 'nsenter', '-t', '1', '-n', 'ip', 'link'), /nsenter/],
    ['a nested ip into the root namespace', run('ip', 'netns', 'exec', 'imds-host', 'ip', 'netns', 'exec', 'other', 'true'), /foreign/],
    // Batches: every line is checked as the command it stands for.
    ['a root-namespace batch that does more than netns add/del', batch(null, ['netns', 'add', 'imds-vm'], ['link', 'add', 'x0', 'type', 'dummy']), /root namespace/],
    ['a batch in a foreign namespace', batch('other-ns', ['link', 'set', 'lo', 'up']), /foreign/],
    ['a batch line moving a device out of the lab', batch('imds-vm', ['link', 'set', 'eth0', 'netns', 'other-ns']), /outside the lab/],
    ['a batch line that would not read back as checked', batch('imds-vm', ['addr', 'add', '10.0.0.1/8 dev lo', 'dev', 'eth0']), /blanks, quotes or #/],
    ['a batch line hidden in a parallel group', { kind: 'parallel', concurrency: 2, steps: [batch(null, ['netns', 'del', 'somebody-else']) as Extract<LabStep, { kind: 'batch' }>] }, /outside the lab/],
  ];
  for (const [what, step, reason] of bad) {
    it(`refuses ${what}`, () => {
      const problems = findEscapes(withStep(step));
      assert.ok(problems.some((p) => reason.test(p.reason)), JSON.stringify(problems));
      assert.throws(() => assertNoEscape(withStep(step)), (e: unknown) => e instanceof LabError && e.code === 'ERR_LAB_ESCAPE' && /refusing a lab plan/.test(e.message));
    });
  }

  it('refuses a veth whose end lives outside the lab', () => {
    const p = plan('healthy');
    const veths = [...p.topology.veths, { purpose: 'uplink', a: { role: 'host' as const, dev: 'up0', mac: null, addresses: [] }, b: { role: 'root' as never, dev: 'up1', mac: null, addresses: [] } }];
    const problems = findEscapes({ topology: { ...p.topology, veths }, steps: p.steps });
    assert.ok(problems.some((x) => /outside the lab/.test(x.reason)));
  });

  it('refuses a default route outside the VM namespace and routes in the host namespace', () => {
    const p = plan('proxy-leak');
    const routes = [...p.topology.routes, { role: 'host' as const, to: 'default', via: '10.1.0.4', dev: 'nic0' }];
    const problems = findEscapes({ topology: { ...p.topology, routes }, steps: p.steps });
    assert.ok(problems.some((x) => /default route outside the VM namespace would point out of the lab/.test(x.reason)));
    assert.ok(problems.some((x) => /must not have routes/.test(x.reason)));
  });

  it('refuses a VM route over a device that is not a lab link', () => {
    const p = plan('healthy');
    const routes = [...p.topology.routes, { role: 'vm' as const, to: 'default', via: '192.0.2.1', dev: 'ens3' }];
    assert.ok(findEscapes({ topology: { ...p.topology, routes }, steps: p.steps }).some((x) => /not a lab device/.test(x.reason)));
  });

  it('refuses a VM gateway that is not on the link subnet', () => {
    const p = plan('healthy');
    const routes = [...p.topology.routes, { role: 'vm' as const, to: '198.51.100.0/24', via: '192.0.2.1', dev: 'eth0' }];
    assert.ok(findEscapes({ topology: { ...p.topology, routes }, steps: p.steps }).some((x) => /not on eth0's lab subnet/.test(x.reason)));
  });

  it('refuses namespaces that are not named after the lab', () => {
    const p = plan('healthy');
    const problems = findEscapes({ topology: { ...p.topology, namespaces: { ...p.topology.namespaces, host: 'host' } }, steps: p.steps });
    assert.ok(problems.some((x) => /not a lab namespace/.test(x.reason)));
  });
});
