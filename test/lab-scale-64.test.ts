// A 64-VM scale set through the CLI (issue 14): every VM answers with its own vmId and its own token subject,
// and a thundering herd (every VM asks for 22 tokens at once, on a virtual clock so the one-second window
// cannot roll) is limited per VM: each gets exactly 20 tokens and 2 429s, as the request log shows.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { exec, LabTestContext } from './helpers/lab-cli.ts';
import { privilegedSkipReason } from './helpers/netns.ts';

const skip = privilegedSkipReason();
const VMS = 64;
const IMDS = 'http://169.254.169.254';
const VMID = `${IMDS}/metadata/instance/compute/vmId?api-version=2021-02-01&format=text`;
const TOKEN = `${IMDS}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`;
/** Identity limit per VM and window (imds-spec §2.7: 20 requests/s); two more are refused. */
const IDENTITY_PER_SECOND = 20;
const HERD = IDENTITY_PER_SECOND + 2;

interface LogEntry {
  readonly vm: string;
  readonly remoteAddress: string;
  readonly status: number;
  readonly rule: string;
}

function curlIn(namespace: string, args: readonly string[]): ReturnType<typeof exec> {
  return exec(['ip', 'netns', 'exec', namespace, 'curl', '-sS', '-m', '60', '--noproxy', '*', '-H', 'Metadata: true', ...args], { timeoutMs: 90_000 });
}

function subjectOf(tokenBody: string): string {
  const token = (JSON.parse(tokenBody) as { access_token: string }).access_token;
  return (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { sub: string }).sub;
}

describe(`a ${VMS}-VM scale set`, { skip }, () => {
  const ctx = new LabTestContext('s64');

  after(async () => {
    await ctx.cleanup();
    assert.deepEqual(await ctx.leftovers(), [], 'no namespace of this suite is left');
  });

  it('every VM answers with its own vmId and token subject; a token herd is limited per VM', async () => {
    const name = ctx.name();
    try {
      const up = await ctx.cli(['up', '--name', name, '--vms', String(VMS), '--virtual-clock'], 180_000);
      assert.equal(up.code, 0, up.stderr);
      const status = JSON.parse((await ctx.cli(['status', '--name', name, '--json'])).stdout) as {
        state: { vms: { name: string; namespace: string; ip: string; vmId: string }[] };
      };
      const vms = status.state.vms;
      assert.equal(vms.length, VMS);
      assert.equal(new Set(vms.map((v) => v.vmId)).size, VMS, 'the plan gave each VM its own vmId');

      // All at once: each VM asks for its vmId, then for HERD tokens over one keep-alive connection.
      const answers = await Promise.all(
        vms.map(async (vm) => {
          const [vmId, herd] = await Promise.all([curlIn(vm.namespace, [VMID]), curlIn(vm.namespace, ['-w', '\n%{http_code}\n', ...Array<string>(HERD).fill(TOKEN)])]);
          return { vm, vmId, herd };
        }),
      );
      const subjects = new Set<string>();
      for (const { vm, vmId, herd } of answers) {
        assert.equal(vmId.code, 0, `${vm.name}: ${vmId.stderr}`);
        assert.equal(vmId.stdout, vm.vmId, `${vm.name} got its own vmId`);
        assert.equal(herd.code, 0, `${vm.name}: ${herd.stderr}`);
        const lines = herd.stdout.trimEnd().split('\n');
        assert.equal(lines.length, 2 * HERD, `${vm.name}: ${herd.stdout.slice(0, 300)}`);
        const codes = lines.filter((_, i) => i % 2 === 1);
        assert.deepEqual(codes, [...Array<string>(IDENTITY_PER_SECOND).fill('200'), '429', '429'], `${vm.name}'s statuses`);
        subjects.add(subjectOf(lines[0]!));
      }
      assert.equal(subjects.size, VMS, 'each VM got a token for its own identity');

      // The request log names the VM of every answer: each VM was limited on its own.
      const log = await ctx.cli(['ctl', '--lab', name, 'log', '--path', '/metadata/identity/oauth2/token']);
      assert.equal(log.code, 0, log.stderr);
      const entries = log.stdout.trim().split('\n').map((l) => JSON.parse(l) as LogEntry);
      assert.equal(entries.length, VMS * HERD);
      for (const vm of vms) {
        const own = entries.filter((e) => e.vm === vm.name);
        assert.ok(own.every((e) => e.remoteAddress === vm.ip), `${vm.name}'s requests came from ${vm.ip}`);
        assert.equal(own.filter((e) => e.status === 200).length, IDENTITY_PER_SECOND, `${vm.name}: 200s in the log`);
        assert.deepEqual(own.filter((e) => e.status === 429).map((e) => e.rule), ['rate-limit', 'rate-limit'], `${vm.name}: 429s in the log`);
      }
    } finally {
      const down = await ctx.cli(['down', '--name', name]);
      assert.equal(down.code, 0, down.stderr);
    }
  });
});
