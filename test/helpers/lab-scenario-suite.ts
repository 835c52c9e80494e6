// The scenario suite shared by test/lab-scenarios-*.test.ts: for every scenario, end to end in real
// namespaces: the symptom appears from the VM (curl exit code and timing class), the doctor names the
// cause, and --fixed makes the same request succeed (client-side fixes: the retrying client succeeds).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadScenarios } from '../../src/lab/lab-data-files.ts';
import type { ScenarioDefinition } from '../../src/lab/scenario-types.ts';
import { exec, IMDS_URL, LabTestContext, splitStatus } from './lab-cli.ts';
import { privilegedSkipReason } from './netns.ts';

/** A token request for Azure Resource Manager (what an SDK's managed identity credential sends). */
const TOKEN_URL = 'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F';

/** curl where the scenario's app runs: the VM, or its container (S9: imds-lab exec --container). */
type Where = 'vm' | 'container';

function curlIn(ctx: LabTestContext, where: Where, name: string, curlArgs: readonly string[]): ReturnType<LabTestContext['curl']> {
  if (where === 'vm') return ctx.curl(name, curlArgs);
  return ctx.cli(['exec', '--name', name, '--container', '--', 'curl', '-sS', '-H', 'Metadata: true', ...curlArgs]);
}

/** Checks what a client sees against the scenario's `expect` string. */
async function checkOutcome(ctx: LabTestContext, name: string, expected: string, label: string, where: Where = 'vm'): Promise<void> {
  if (expected.startsWith('statuses:')) {
    const want = expected.slice('statuses:'.length).split(',').map(Number);
    const got: number[] = [];
    for (let i = 0; i < want.length; i++) {
      const r = await curlIn(ctx, where, name, ['-m', '3', '-w', '\n%{http_code}', IMDS_URL]);
      assert.equal(r.code, 0, `${label}: request ${i + 1}: ${r.stderr}`);
      got.push(splitStatus(r.stdout).status);
    }
    assert.deepEqual(got, want, label);
    return;
  }
  if (expected.startsWith('token:')) {
    // pod-agent-dnat: a token request answered by whatever took 169.254.169.254:80 (status and body), at once;
    // metadata requests must still work (the agent passes them through to IMDS).
    const m = /^token:status:(\d+)~(.*)$/s.exec(expected);
    assert.ok(m, `unknown expectation ${expected}`);
    const r = await curlIn(ctx, where, name, ['-m', '2', '-w', '\n%{http_code}\n%{time_total}', TOKEN_URL]);
    const lines = r.stdout.split('\n');
    assert.equal(r.code, 0, `${label}: ${r.stderr}`);
    assert.equal(Number(lines.at(-2)), Number(m[1]), `${label}: ${r.stdout}`);
    assert.match(lines.slice(0, -2).join('\n'), new RegExp(m[2]!), label);
    assert.ok(Number(lines.at(-1)) < 1.5, `${label}: the answer should come at once, took ${lines.at(-1)} s`);
    await checkOutcome(ctx, name, 'ok', `${label} (metadata)`, where);
    return;
  }
  if (expected === 'dns-stall' || expected === 'dns-fast') {
    // getent in the VM: NXDOMAIN from the lab's Azure DNS comes back at once; without a resolver glibc waits 5 s per try.
    // Straight ip netns exec (no CLI start-up in the timing): the bind-mounted /etc/netns/<vm>/resolv.conf applies.
    const r = await exec(['ip', 'netns', 'exec', `${name}-vm`, 'timeout', '3', 'getent', 'hosts', 'example.invalid']);
    if (expected === 'dns-stall') {
      assert.equal(r.code, 124, `${label}: getent should still be waiting after 3 s (exit ${r.code}) ${r.stderr}`);
    } else {
      assert.equal(r.code, 2, `${label}: getent should say "not found" (exit 2), got ${r.code} ${r.stderr}`);
      assert.ok(r.ms < 2500, `${label}: NXDOMAIN should come back at once, took ${Math.round(r.ms)} ms (the stall is 5 s per try)`);
    }
    await checkOutcome(ctx, name, 'ok', `${label} (IMDS)`, where);
    return;
  }
  const r = await curlIn(ctx, where, name, ['-m', '2', '-w', '\n%{http_code}\n%{time_total}', IMDS_URL]);
  const lines = r.stdout.split('\n');
  const seconds = Number(lines.at(-1));
  const status = Number(lines.at(-2));
  const body = lines.slice(0, -2).join('\n');
  switch (expected) {
    case 'ok':
      assert.equal(r.code, 0, `${label}: ${r.stderr}`);
      assert.equal(status, 200, label);
      assert.match(body, /^[0-9a-f-]{36}$/, label);
      break;
    case 'other-vm': {
      // proxy-vm: 200, but the answer is another VM's (vm1's vmId, not the app's VM's).
      assert.equal(r.code, 0, `${label}: ${r.stderr}`);
      assert.equal(status, 200, label);
      const state = JSON.parse((await ctx.cli(['status', '--name', name, '--json'])).stdout) as { state: { vms: { vmId: string }[] } };
      assert.equal(body, state.state.vms[1]?.vmId, `${label}: expected vm1's vmId`);
      assert.notEqual(body, state.state.vms[0]?.vmId, `${label}: got the app's own vmId`);
      break;
    }
    case 'unreachable':
      assert.equal(r.code, 7, `${label}: curl exit ${r.code} ${r.stderr}`);
      assert.ok(seconds < 1, `${label}: unreachable should fail at once, took ${seconds} s`);
      break;
    case 'timeout':
      assert.equal(r.code, 28, `${label}: curl exit ${r.code} ${r.stderr}`);
      assert.ok(seconds >= 1.9, `${label}: a timeout takes the client's -m 2, took ${seconds} s`);
      break;
    case 'curl-fails':
      // No HTTP answer at all (TLS on port 80): curl fails at once with a protocol-level error, not a timeout.
      assert.ok([1, 8, 35, 52, 56].includes(r.code), `${label}: curl exit ${r.code} ${r.stderr}`);
      assert.ok(seconds < 1.5, `${label}: should fail at once, took ${seconds} s`);
      break;
    default: {
      const withBody = /^status:(\d+)~(.*)$/s.exec(expected);
      if (withBody) {
        assert.equal(r.code, 0, `${label}: ${r.stderr}`);
        assert.equal(status, Number(withBody[1]), `${label}: ${body}`);
        assert.match(body, new RegExp(withBody[2]!), label);
        assert.ok(seconds < 1.5, `${label}: the answer should come at once, took ${seconds} s`);
        break;
      }
      const m = /^status:(\d+)$/.exec(expected);
      assert.ok(m, `unknown expectation ${expected}`);
      assert.equal(r.code, 0, `${label}: ${r.stderr}`);
      assert.equal(status, Number(m[1]), label);
      if (status === 403) assert.equal(body, '{"error":"Forbidden"}', label);
    }
  }
}

async function doctorCause(ctx: LabTestContext, name: string): Promise<{ cause: string; code: number; fix: string }> {
  const r = await ctx.cli(['doctor', '--name', name, '--json']);
  assert.ok(r.stdout.startsWith('{'), `doctor output: ${r.stdout} ${r.stderr}`);
  const report = JSON.parse(r.stdout) as { cause: string; fix: string };
  return { cause: report.cause, code: r.code, fix: report.fix };
}

async function checkScenario(ctx: LabTestContext, scenario: ScenarioDefinition, capture: string): Promise<void> {
  const name = ctx.name();
  const where: Where = scenario.topology.container ? 'container' : 'vm';
  const up = (...extra: string[]) => ctx.cli(['up', '--name', name, '--scenario', scenario.name, '--capture', capture, ...extra]);
  try {
    let r = await up();
    assert.equal(r.code, 0, `up: ${r.stderr}`);
    await checkOutcome(ctx, name, scenario.expect.broken, `${scenario.name} broken`, where);
    // The VM itself stays healthy: only its container's traffic is affected.
    if (where === 'container') await checkOutcome(ctx, name, 'ok', `${scenario.name} broken, from the VM`, 'vm');

    if (scenario.expect.broken.startsWith('statuses:')) {
      // The faults were used up: start afresh so the doctor's probe meets the first one.
      assert.equal((await ctx.cli(['down', '--name', name])).code, 0);
      r = await up();
      assert.equal(r.code, 0, `up again: ${r.stderr}`);
    }
    const doctor = await doctorCause(ctx, name);
    assert.equal(doctor.cause, scenario.doctorCause, `${scenario.name}: doctor said ${doctor.cause}`);
    assert.equal(doctor.code, scenario.doctorCause === 'ok' ? 0 : 1);

    r = await up('--fixed');
    assert.equal(r.code, 0, `up --fixed: ${r.stderr}`);
    if (scenario.fixKind === 'client') {
      // The fix is a retrying client; the lab stays broken for a naive one.
      const retry = await curlIn(ctx, where, name, ['-f', '-m', '20', '--retry', '5', '--retry-all-errors', '--retry-delay', '1', IMDS_URL]);
      assert.equal(retry.code, 0, `${scenario.name}: the retrying client should succeed: ${retry.stderr}`);
      assert.match(retry.stdout, /^[0-9a-f-]{36}$/);
    } else {
      await checkOutcome(ctx, name, scenario.expect.fixed, `${scenario.name} fixed`, where);
      const fixedDoctor = await doctorCause(ctx, name);
      assert.equal(fixedDoctor.cause, 'ok', `${scenario.name} fixed: doctor said ${fixedDoctor.cause}`);
    }
  } finally {
    await ctx.cli(['down', '--name', name]);
  }
  assert.deepEqual(
    (await ctx.leftovers()).filter((ns) => ns.startsWith(`${name}-`)),
    [],
  );
}

export function scenarioSuite(capture: 'tun' | 'socket'): void {
  const skip = privilegedSkipReason();
  describe(`lab scenarios, capture ${capture}`, { skip, concurrency: 4 }, () => {
    const ctx = new LabTestContext(capture === 'tun' ? 'tun' : 'sock');
    before(async () => {
      // Creates the responder's PKI once, before the labs start in parallel.
      const name = ctx.name();
      const r = await ctx.cli(['up', '--name', name, '--capture', capture]);
      assert.equal(r.code, 0, r.stderr);
      await ctx.cli(['down', '--name', name]);
    });
    after(async () => {
      await ctx.cleanup();
      assert.deepEqual(await ctx.leftovers(), [], 'no namespace of this suite is left');
    });
    for (const scenario of loadScenarios()) {
      it(`${scenario.name}: symptom (${scenario.expect.broken}), doctor (${scenario.doctorCause}), --fixed`, async () => {
        await checkScenario(ctx, scenario, capture);
      });
    }
  });
}
