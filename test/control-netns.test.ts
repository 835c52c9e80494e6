// Namespace e2e: `serve --capture tun --control-socket …` in a host namespace; `imds-lab ctl` run inside that
// namespace drives network faults (refuse, black hole), an HTTP fault and a timeline, asserted with curl from
// the VM (client) namespace; ctl from the VM namespace or the root namespace is refused by the barrier.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTopology, execIn, netnsList, privilegedSkipReason, type ExecResult, type Topology } from './helpers/netns.ts';
import { curl, IMDS_URL, MAIN, ROOT, startServe, type Served } from './helpers/netns-imds.ts';
import { run } from './helpers/serve-process.ts';

const skip = privilegedSkipReason();
const VERSIONS = `${IMDS_URL}/metadata/versions`;

describe('control plane with the TUN capture in namespaces', { skip }, () => {
  let topo: Topology;
  let state: string;
  let socket: string;
  let served: Served;
  const ctlIn = (ns: string, ...args: string[]): Promise<ExecResult> =>
    execIn(ns, [process.execPath, '--import', 'tsx', MAIN, 'ctl', '--socket', socket, ...args], { timeoutMs: 30_000 });
  const ok = async (...args: string[]): Promise<unknown> => {
    const r = await ctlIn(topo.host, ...args);
    assert.equal(r.code, 0, `ctl ${args.join(' ')}: ${r.stderr.toString()}`);
    return JSON.parse(r.stdout.toString()) as unknown;
  };

  before(async () => {
    state = mkdtempSync(join(tmpdir(), 'imds-control-netns-'));
    socket = join(state, 'control', 'control.sock');
    topo = createTopology();
    served = await startServe(topo, topo.host, ['--capture', 'tun', '--state-dir', state, '--no-rate-limit', '--control-socket', socket, '--virtual-clock']);
  });
  after(async () => {
    await served?.stop();
    await topo?.destroy();
    rmSync(state, { recursive: true, force: true });
    assert.deepEqual(netnsList().filter((n) => n === topo?.client || n === topo?.host), [], 'our namespaces are gone');
  });

  it('net faults: refuse (RST) fails fast, black hole times out, clear restores 200', async () => {
    assert.equal((await curl(topo.client, VERSIONS, ['-m', '3', '-o', '/dev/null', '-w', '%{http_code}'])).stdout.toString(), '200');
    await ok('net', 'set', 'refuse');
    const refused = await curl(topo.client, VERSIONS, ['-m', '3']);
    assert.equal(refused.code, 7, `curl exit ${refused.code}: ${refused.stderr.toString()}`);
    assert.ok(refused.ms < 2000, `refused in ${refused.ms} ms`);
    await ok('net', 'set', 'black-hole');
    const dark = await curl(topo.client, VERSIONS, ['-m', '2']);
    assert.equal(dark.code, 28, `curl exit ${dark.code}: ${dark.stderr.toString()}`);
    const cleared = (await ok('net', 'clear')) as { faults: { synDropProbability: number; synReject: string } };
    assert.equal(cleared.faults.synDropProbability, 0);
    assert.equal(cleared.faults.synReject, 'none');
    assert.equal((await curl(topo.client, VERSIONS, ['-m', '3', '-o', '/dev/null', '-w', '%{http_code}'])).stdout.toString(), '200');
    const bad = await ctlIn(topo.host, 'net', 'set', 'drop-syn=2');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr.toString(), /probability must be in 0\.\.1/);
  });

  it('an HTTP fault answers curl in the VM namespace, and the request log shows the VM source', async () => {
    await ok('fault', 'add', 'path=/metadata/instance,status=410,count=1');
    const r = await curl(topo.client, `${IMDS_URL}/metadata/instance?api-version=2021-02-01`, ['-m', '3', '-o', '/dev/null', '-w', '%{http_code}']);
    assert.equal(r.stdout.toString(), '410');
    const log = await ctlIn(topo.host, 'log', '--rule', 'fault', '--limit', '1');
    const entry = JSON.parse(log.stdout.toString().trim()) as { status: number; remoteAddress: string; path: string };
    assert.deepEqual([entry.status, entry.remoteAddress, entry.path], [410, topo.clientAddress, '/metadata/instance']);
  });

  it('a timeline with refuse uses the rst net fault on the virtual clock', async () => {
    await ok('timeline', 'start', 'refuse:5s', '503:10s', 'ok');
    assert.equal((await curl(topo.client, VERSIONS, ['-m', '3'])).code, 7);
    await ok('clock', 'advance', '5s');
    assert.equal((await curl(topo.client, VERSIONS, ['-m', '3', '-o', '/dev/null', '-w', '%{http_code}'])).stdout.toString(), '503');
    await ok('clock', 'advance', '10s');
    assert.equal((await curl(topo.client, VERSIONS, ['-m', '3', '-o', '/dev/null', '-w', '%{http_code}'])).stdout.toString(), '200');
    await ok('timeline', 'stop');
  });

  it('ctl from the VM namespace and from the root namespace is refused: another network namespace', async () => {
    const fromVm = await ctlIn(topo.client, 'ping');
    assert.equal(fromVm.code, 1);
    assert.match(fromVm.stderr.toString(), /another network namespace/);
    const fromRoot = await run(process.execPath, ['--import', 'tsx', MAIN, 'ctl', '--socket', socket, 'fault', 'clear'], { cwd: ROOT });
    assert.equal(fromRoot.code, 1);
    assert.match(fromRoot.stderr, /another network namespace/);
  });
});
