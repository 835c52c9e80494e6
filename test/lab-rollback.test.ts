// Exact rollback of batched set-up on real namespaces: a line failing in the middle of `ip -batch` steps at
// several VMs at once undoes exactly the lines that ran (namespaces, links, addresses, routes), in a real plan
// (nothing of the lab is left) and in namespaces the test owns (each is left exactly as it was).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { bringUp } from '../src/lab/lab-up.ts';
import { buildPlan } from '../src/lab/lab-setup.ts';
import { executePlan } from '../src/lab/executor.ts';
import { LabError } from '../src/lab/lab-error.ts';
import type { BatchLine, BatchStep, LabStep } from '../src/lab/lab-step.ts';
import { processRunner } from '../src/process/process-runner.ts';
import { LabTestContext } from './helpers/lab-cli.ts';
import { addNetns, deleteNetns, ip, netnsList, privilegedSkipReason, removeLeftoversAfterTests, uniqueNsName } from './helpers/netns.ts';

const skip = privilegedSkipReason();
if (!skip) removeLeftoversAfterTests();

/** A line that fails: the gateway is on no link of the namespace ("Nexthop has invalid gateway"). */
const FAILING: BatchLine = { args: ['route', 'add', '10.99.0.0/24', 'via', '10.250.0.1', 'dev', 'eth0'], undo: ['route', 'del', '10.99.0.0/24'] };

/** `step` with FAILING inserted in the middle of its lines. */
function failInMiddle(step: BatchStep): BatchStep {
  const middle = Math.floor(step.lines.length / 2);
  return { ...step, lines: [...step.lines.slice(0, middle), FAILING, ...step.lines.slice(middle)] };
}

/** The plan's steps with the batches of the namespaces in `targets` (inside parallel groups too) failing half-way. */
function withFailures(steps: readonly LabStep[], targets: ReadonlySet<string>): LabStep[] {
  const edit = <S extends LabStep>(s: S): S => (s.kind === 'batch' && s.namespace !== null && targets.has(s.namespace) ? (failInMiddle(s) as S) : s);
  return steps.map((s) => (s.kind === 'parallel' ? { ...s, steps: s.steps.map(edit) } : edit(s)));
}

function rootLinkNames(): Set<string> {
  return new Set(ip(['-o', 'link', 'show']).split('\n').map((l) => l.split(': ')[1]?.split('@')[0] ?? '').filter((n) => n !== ''));
}

/** Everything the kernel shows of a namespace's network: links (no counters), addresses, routes, neighbours. */
function snapshot(ns: string): string {
  const show = (args: string[]): string => spawnSync('ip', ['-n', ns, ...args], { encoding: 'utf8' }).stdout;
  return [show(['-o', 'link', 'show']), show(['-o', 'addr', 'show']), show(['route', 'show', 'table', 'all']), show(['neigh', 'show'])].join('\n--\n');
}

describe('batched set-up rolls back exactly', { skip }, () => {
  const ctx = new LabTestContext('rb');

  after(async () => {
    await ctx.cleanup();
    assert.deepEqual(await ctx.leftovers(), [], 'no namespace of this suite is left');
  });

  for (const where of ['links', 'addresses'] as const) {
    it(`a real 8-VM plan failing in the middle of the ${where} batches of several namespaces leaves nothing behind`, async () => {
      const name = ctx.name();
      const { plan, stateDir } = await buildPlan({ name, profile: undefined, scenario: 'healthy', fixed: false, capture: 'tun', pcap: undefined, vms: 8 }, ctx.env);
      // links: the host's batch, which creates every VM's veth (half of them exist when it fails);
      // addresses: the batches of VMs 2 and 5 and of the host, run in parallel with the others.
      const targets = new Set(where === 'links' ? [`${name}-host`] : [`${name}-vm2`, `${name}-vm5`, `${name}-host`]);
      const steps = withFailures(plan.steps, targets);
      assert.notDeepEqual(steps, plan.steps, 'the failures were inserted');
      const rootBefore = rootLinkNames();
      await assert.rejects(bringUp(processRunner, { ...plan, steps }, { stateDir, pcapFile: null }), (e: unknown) => {
        assert.ok(e instanceof LabError && e.code === 'ERR_LAB_SETUP', String(e));
        assert.match(e.message, /-batch - line \d+ \(route add 10\.99\.0\.0\/24 via 10\.250\.0\.1 dev eth0\) failed/);
        assert.doesNotMatch(e.message, /rollback warnings/, 'every undo line applied to something that existed');
        return true;
      });
      assert.deepEqual(netnsList().filter((n) => n.startsWith(`${name}-`)), [], 'no namespace of the lab is left');
      const devices = new Set(['nic0', 'eth0', ...Array.from({ length: 8 }, (_, k) => `nic0p${k}`)]);
      assert.deepEqual([...rootLinkNames()].filter((n) => !rootBefore.has(n) && devices.has(n)), [], 'nothing moved into the root namespace');
    });
  }

  it('in namespaces the test owns, a failure in the middle of batches at several VMs leaves each exactly as it was', async () => {
    const host = uniqueNsName('rbh');
    const vms = [0, 1, 2, 3].map(() => uniqueNsName('rbv'));
    for (const ns of [host, ...vms]) addNetns(ns);
    try {
      const before = [host, ...vms].map(snapshot);
      const links: BatchStep = {
        kind: 'batch',
        namespace: host,
        lines: vms.map((ns, k) => ({ args: ['link', 'add', `p${k}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns], undo: ['link', 'del', `p${k}`] })),
      };
      const hostConfig: BatchStep = {
        kind: 'batch',
        namespace: host,
        lines: vms.flatMap((_, k) => [
          { args: ['addr', 'add', `10.77.${k}.1/24`, 'dev', `p${k}`], undo: ['addr', 'del', `10.77.${k}.1/24`, 'dev', `p${k}`] },
          { args: ['link', 'set', `p${k}`, 'up'], undo: ['link', 'set', `p${k}`, 'down'] },
        ]),
      };
      const vmConfig = (ns: string, k: number): BatchStep => ({
        kind: 'batch',
        namespace: ns,
        lines: [
          { args: ['addr', 'add', `10.77.${k}.4/24`, 'dev', 'eth0'], undo: ['addr', 'del', `10.77.${k}.4/24`, 'dev', 'eth0'] },
          { args: ['link', 'set', 'eth0', 'up'], undo: ['link', 'set', 'eth0', 'down'] },
          { args: ['route', 'add', '10.78.0.0/16', 'via', `10.77.${k}.1`, 'dev', 'eth0'], undo: ['route', 'del', '10.78.0.0/16', 'via', `10.77.${k}.1`, 'dev', 'eth0'] },
          { args: ['neigh', 'replace', `10.77.${k}.9`, 'lladdr', '02:00:00:00:00:09', 'dev', 'eth0', 'nud', 'permanent'], undo: ['neigh', 'del', `10.77.${k}.9`, 'dev', 'eth0'] },
        ],
      });
      const plan: LabStep[] = [
        links,
        { kind: 'parallel', concurrency: 3, steps: [hostConfig, ...vms.map((ns, k) => (k === 1 || k === 3 ? failInMiddle(vmConfig(ns, k)) : vmConfig(ns, k)))] },
      ];
      await assert.rejects(executePlan(processRunner, plan), (e: unknown) => {
        assert.ok(e instanceof LabError && e.code === 'ERR_LAB_SETUP', String(e));
        assert.doesNotMatch(e.message, /rollback warnings/);
        return true;
      });
      assert.deepEqual([host, ...vms].map(snapshot), before, 'every namespace is as it was: links, addresses, routes, neighbours');
    } finally {
      for (const ns of [host, ...vms]) deleteNetns(ns);
    }
  });
});
