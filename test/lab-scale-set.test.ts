// Scale sets in real namespaces, through the CLI: two VMs behind one responder get different metadata and
// different managed-identity tokens (JWT oid / xms_mirid); the proxy-vm leak (vm0's app goes through a proxy
// on vm1 that adds no X-Forwarded-For) is recorded in the request log as vm1's request with the app's
// User-Agent; ctl --vm addresses one VM; the doctor names the proxy; socket capture serves three VMs, and
// doctor --vm looks from the VM it names.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { LabTestContext } from './helpers/lab-cli.ts';
import { privilegedSkipReason } from './helpers/netns.ts';

const skip = privilegedSkipReason();
const IMDS = 'http://169.254.169.254';
const COMPUTE = `${IMDS}/metadata/instance/compute?api-version=2021-02-01`;
const TOKEN = `${IMDS}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`;

interface Claims {
  readonly oid: string;
  readonly xms_mirid: string;
}

function claimsOf(tokenResponse: string): Claims {
  const token = (JSON.parse(tokenResponse) as { access_token: string }).access_token;
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Claims;
}

describe('lab scale sets', { skip, concurrency: 2 }, () => {
  const ctx = new LabTestContext('sset');

  after(async () => {
    await ctx.cleanup();
    assert.deepEqual(await ctx.leftovers(), [], 'no namespace of this suite is left');
  });

  it('proxy-vm: two VMs, own metadata and tokens; the leak reaches IMDS as vm1 and is logged; ctl --vm', async () => {
    const name = ctx.name();
    try {
      const up = await ctx.cli(['up', '--name', name, '--scenario', 'proxy-vm']);
      assert.equal(up.code, 0, up.stderr);
      const exec = (vm: string, args: readonly string[], proxy = false) =>
        ctx.cli(['exec', '--name', name, '--vm', vm, '--', 'curl', '-sS', '-m', '3', '-H', 'Metadata: true', ...(proxy ? [] : ['--noproxy', '*']), ...args]);

      // Each VM, directly: its own compute document.
      const [c0, c1] = await Promise.all([exec('vm0', [COMPUTE]), exec('vm1', [COMPUTE])]);
      assert.equal(c0.code, 0, c0.stderr);
      assert.equal(c1.code, 0, c1.stderr);
      const d0 = JSON.parse(c0.stdout) as { vmId: string; name: string; resourceId: string };
      const d1 = JSON.parse(c1.stdout) as { vmId: string; name: string; resourceId: string };
      assert.equal(d0.name, 'examplevmname');
      assert.equal(d1.name, 'examplevmname-vm1');
      assert.notEqual(d0.vmId, d1.vmId);
      const ip1 = (await exec('vm1', [`${IMDS}/metadata/instance/network/interface/0/ipv4/ipAddress/0/privateIpAddress?api-version=2021-02-01&format=text`])).stdout;
      assert.equal(ip1, '10.1.0.5');

      // The scenario's environment (HTTP_PROXY to vm1's proxy) applies to vm0 only.
      const proxyOf = async (vm: string) => (await ctx.cli(['exec', '--name', name, '--vm', vm, '--', 'sh', '-c', 'echo "${HTTP_PROXY-}"'])).stdout.trim();
      const [p0, p1] = await Promise.all([proxyOf('vm0'), proxyOf('vm1')]);
      assert.match(p0, /^http:\/\/10\.1\.0\.5:\d+/, "vm0's app sees the proxy on vm1");
      assert.notEqual(p1, p0, 'vm1 does not get the scenario environment');

      // Tokens: different identities (system-assigned), decoded from the JWTs.
      const [t0, t1] = await Promise.all([exec('vm0', [TOKEN]), exec('vm1', [TOKEN])]);
      const k0 = claimsOf(t0.stdout);
      const k1 = claimsOf(t1.stdout);
      assert.notEqual(k0.oid, k1.oid, 'different oid');
      assert.equal(k0.xms_mirid, d0.resourceId);
      assert.equal(k1.xms_mirid, d1.resourceId);
      assert.notEqual(k0.xms_mirid, k1.xms_mirid, 'different xms_mirid');

      // The leak: vm0's app honours HTTP_PROXY (the scenario environment) and receives vm1's token.
      const leaked = await exec('vm0', ['-A', 'leaky-app/1.0', TOKEN], true);
      assert.equal(leaked.code, 0, leaked.stderr);
      assert.equal(claimsOf(leaked.stdout).oid, k1.oid, "vm0's app got vm1's identity");
      const log = await ctx.cli(['ctl', '--lab', name, 'log', '--path', '/metadata/identity']);
      assert.equal(log.code, 0, log.stderr);
      const entries = log.stdout.trim().split('\n').map((l) => JSON.parse(l) as { vm: string; remoteAddress: string; status: number; headers: { userAgent?: string; xForwardedFor?: string } });
      const leak = entries.find((e) => e.headers.userAgent === 'leaky-app/1.0');
      assert.ok(leak, `the leaked request is in the log: ${log.stdout}`);
      assert.deepEqual([leak.vm, leak.remoteAddress, leak.status, leak.headers.xForwardedFor], ['vm1', '10.1.0.5', 200, undefined]);
      assert.deepEqual(entries.filter((e) => e.vm === 'vm0').map((e) => e.remoteAddress), ['10.1.0.4'], "vm0's own token request came from 10.1.0.4");

      // Control addresses one VM: a fault on vm1 leaves vm0 alone.
      const fault = await ctx.cli(['ctl', '--lab', name, '--vm', 'vm1', 'fault', 'add', 'path=/metadata/instance,status=500,count=1']);
      assert.equal(fault.code, 0, fault.stderr);
      assert.equal((await exec('vm0', ['-o', '/dev/null', '-w', '%{http_code}', COMPUTE])).stdout, '200');
      assert.equal((await exec('vm1', ['-o', '/dev/null', '-w', '%{http_code}', COMPUTE])).stdout, '500');
      const noVm = await ctx.cli(['ctl', '--lab', name, 'fault', 'list']);
      assert.equal(noVm.code, 1);
      assert.match(noVm.stderr, /vm: is required: this daemon serves several VMs \(vm0, vm1\)/);

      const doctor = await ctx.cli(['doctor', '--name', name, '--json']);
      const report = JSON.parse(doctor.stdout) as { cause: string; summary: string };
      assert.equal(report.cause, 'proxy');
      assert.match(report.summary, /another VM's metadata/);
    } finally {
      await ctx.cli(['down', '--name', name]);
    }
    assert.deepEqual((await ctx.leftovers()).filter((n) => n.startsWith(`${name}-`)), []);
  });

  it('socket capture: --vms 3 serves three VMs by source IP', async () => {
    const name = ctx.name();
    try {
      const up = await ctx.cli(['up', '--name', name, '--vms', '3', '--capture', 'socket']);
      assert.equal(up.code, 0, up.stderr);
      const names = await Promise.all(
        ['vm0', 'vm1', 'vm2'].map(async (vm) => {
          const r = await ctx.cli(['exec', '--name', name, '--vm', vm, '--', 'curl', '-sS', '-m', '3', '-H', 'Metadata: true', `${COMPUTE.replace('compute?', 'compute/name?')}&format=text`]);
          assert.equal(r.code, 0, r.stderr);
          return r.stdout;
        }),
      );
      assert.deepEqual(names, ['examplevmname', 'examplevmname-vm1', 'examplevmname-vm2']);
      const status = JSON.parse((await ctx.cli(['status', '--name', name, '--json'])).stdout) as { state: { vms: { name: string; namespace: string; ip: string }[] } };
      assert.deepEqual(status.state.vms.map((v) => [v.name, v.namespace, v.ip]), [
        ['vm0', `${name}-vm0`, '10.1.0.4'],
        ['vm1', `${name}-vm1`, '10.1.0.5'],
        ['vm2', `${name}-vm2`, '10.1.0.6'],
      ]);

      // The doctor looks from the VM it is asked about: vm2's own primary IP, from its own namespace.
      const doctor = await ctx.cli(['doctor', '--name', name, '--vm', 'vm2', '--json']);
      assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
      const report = JSON.parse(doctor.stdout) as { healthy: boolean; facts: { lab: { vm: string }; primary: { ip: string }; routeGet: { route: { prefsrc: string } } } };
      assert.deepEqual([report.healthy, report.facts.lab.vm, report.facts.primary.ip, report.facts.routeGet.route.prefsrc], [true, 'vm2', '10.1.0.6', '10.1.0.6']);
      const unknown = await ctx.cli(['doctor', '--name', name, '--vm', 'vm7']);
      assert.notEqual(unknown.code, 0, 'an unknown VM is refused');
      assert.match(unknown.stderr, /no VM "vm7" \(VMs: vm0, vm1, vm2\)/);
    } finally {
      await ctx.cli(['down', '--name', name]);
    }
    assert.deepEqual((await ctx.leftovers()).filter((n) => n.startsWith(`${name}-`)), []);
  });
});
