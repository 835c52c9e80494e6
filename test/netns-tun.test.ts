// Namespace e2e: unmodified clients (curl, Node, Python) in a client namespace reach IMDS through the TUN
// capture path and through socket mode; bodies must be byte-identical. Also: the source rule (S10), the pcap,
// and the root-namespace refusal of `serve --capture tun`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTopology, ip, netnsList, privilegedSkipReason, removeLeftoversAfterTests, waitForOutput, type Topology } from './helpers/netns.ts';
import { curl, IMDS_URL, MAIN, nodeFetch, pythonFetch, ROOT, startServe } from './helpers/netns-imds.ts';

const skip = privilegedSkipReason();
removeLeftoversAfterTests();
type PcapParser = { on(event: string, listener: (arg: never) => void): void };
const pcapParser = createRequire(import.meta.url)('pcap-parser') as { parse(path: string): PcapParser };
const PATHS = [
  '/metadata/instance?api-version=2021-02-01',
  '/metadata/instance/compute?api-version=2019-06-01',
  '/metadata/instance/compute/name?api-version=2021-02-01&format=text',
  '/metadata/instance/network?api-version=2017-08-01',
  '/metadata/versions',
  '/metadata/instance',
  '/metadata/instance?api-version=2099-01-01',
  '/metadata/loadbalancer?api-version=2020-10-01',
  '/metadata/scheduledevents?api-version=2020-07-01',
  '/metadata/nothing-here?api-version=2021-02-01',
];
const URLS = PATHS.map((p) => IMDS_URL + p);

interface Observed {
  curl: Buffer[];
  node: { status: number; contentType: string; body: Buffer }[];
  python: Buffer;
}

async function observe(topo: Topology): Promise<Observed> {
  const curlOut: Buffer[] = [];
  for (const url of URLS) {
    const r = await curl(topo.client, url, ['-m', '5', '-w', '\n%{http_code} %{content_type}']);
    assert.equal(r.code, 0, `curl ${url}: ${r.stderr.toString()}`);
    curlOut.push(r.stdout);
  }
  const node = await nodeFetch(topo.client, URLS);
  const python = await pythonFetch(topo.client, URLS);
  assert.equal(python.code, 0, python.stderr.toString());
  return { curl: curlOut, node, python: python.stdout };
}

describe('IMDS through the TUN capture path in namespaces', { skip }, () => {
  let topo: Topology;
  let state: string;
  before(() => {
    state = mkdtempSync(join(tmpdir(), 'imds-netns-state-'));
    topo = createTopology({ imdsOnHostLo: true, clientSecondary: ['10.1.0.5'] });
  });
  after(async () => {
    await topo?.destroy();
    rmSync(state, { recursive: true, force: true });
    const left = netnsList().filter((n) => n === topo?.client || n === topo?.host);
    assert.deepEqual(left, [], 'our namespaces are gone');
  });

  let socketMode: Observed;
  it('socket mode baseline (169.254.169.254 on the host namespace lo)', async () => {
    const served = await startServe(topo, topo.host, ['--capture', 'socket', '--listen', '169.254.169.254:80', '--state-dir', state, '--no-rate-limit']);
    try {
      socketMode = await observe(topo);
    } finally {
      assert.equal(await served.stop(), 0);
    }
    ip(['-n', topo.host, 'addr', 'del', '169.254.169.254/32', 'dev', 'lo']);
    assert.match(socketMode.curl[0]!.toString(), /"compute"/);
  });

  it('curl, Node and Python get byte-identical responses through the TUN (and a readable pcap)', async () => {
    const pcap = join(state, 'tun.pcap');
    const served = await startServe(topo, topo.host, ['--capture', 'tun', '--state-dir', state, '--no-rate-limit', '--pcap', pcap]);
    let tun: Observed;
    try {
      assert.match(spawnSync('ip', ['-n', topo.host, 'route', 'show', '169.254.169.254'], { encoding: 'utf8' }).stdout, /dev imds0/);
      tun = await observe(topo);
    } finally {
      assert.equal(await served.stop(), 0, served.output());
    }
    assert.equal(tun.curl.length, socketMode.curl.length);
    tun.curl.forEach((b, i) => assert.ok(b.equals(socketMode.curl[i]!), `curl ${PATHS[i]}:\n${b}\n---\n${socketMode.curl[i]}`));
    tun.node.forEach((r, i) => {
      assert.equal(r.status, socketMode.node[i]!.status, PATHS[i]);
      assert.equal(r.contentType, socketMode.node[i]!.contentType, PATHS[i]);
      assert.ok(r.body.equals(socketMode.node[i]!.body), `node ${PATHS[i]}`);
    });
    assert.ok(tun.python.equals(socketMode.python), 'python output identical');
    // Statuses really vary (200 and 400/404 paths are covered).
    assert.ok(new Set(tun.node.map((r) => r.status)).size >= 3, 'new Set(tun.node.map((r) => r.status)).size >= 3');
    // After stop: the TUN and its route are gone.
    assert.doesNotMatch(spawnSync('ip', ['-n', topo.host, 'link'], { encoding: 'utf8' }).stdout, /imds0/);
    // The pcap holds the handshake: SYN from 10.1.0.4 and SYN-ACK from 169.254.169.254.
    assert.ok(existsSync(pcap), 'existsSync(pcap)');
    const packets = await readPcap(pcap);
    const tcp = packets.filter((p) => p[9] === 6);
    const syn = tcp.find((p) => flagsOf(p) === 0x02 && addr(p, 12) === '10.1.0.4' && addr(p, 16) === '169.254.169.254');
    const synAck = tcp.find((p) => flagsOf(p) === 0x12 && addr(p, 12) === '169.254.169.254' && addr(p, 16) === '10.1.0.4');
    assert.ok(syn && synAck, `handshake in pcap (${packets.length} packets)`);
    assert.ok(tcp.some((p) => (flagsOf(p) & 0x10) !== 0 && flagsOf(p) !== 0x12 && addr(p, 12) === '10.1.0.4'), 'client ACK');
  });

  it('a non-primary source (10.1.0.5) times out: curl exit 28 (Azure drops silently, S10)', async () => {
    const served = await startServe(topo, topo.host, ['--capture', 'tun', '--state-dir', state, '--no-rate-limit']);
    try {
      const ok = await curl(topo.client, `${IMDS_URL}/metadata/versions`, ['-m', '3', '--interface', '10.1.0.4']);
      assert.equal(ok.code, 0, ok.stderr.toString());
      const r = await curl(topo.client, `${IMDS_URL}/metadata/versions`, ['-m', '3', '--interface', '10.1.0.5']);
      assert.equal(r.code, 28, `curl exit ${r.code}: ${r.stderr.toString()}`);
      assert.ok(r.ms >= 2900, `timed out after the full -m 3: ${r.ms} ms`);
    } finally {
      assert.equal(await served.stop(), 0);
    }
  });

  it('--source-policy rst / icmp make the same request fail fast (teaching modes)', async () => {
    for (const policy of ['rst', 'icmp']) {
      const served = await startServe(topo, topo.host, ['--capture', 'tun', '--state-dir', state, '--no-rate-limit', '--source-policy', policy]);
      try {
        const r = await curl(topo.client, `${IMDS_URL}/metadata/versions`, ['-m', '3', '--interface', '10.1.0.5']);
        assert.equal(r.code, 7, `${policy}: curl exit ${r.code}: ${r.stderr.toString()}`);
        assert.ok(r.ms < 2000, `${policy}: failed in ${r.ms} ms`);
      } finally {
        assert.equal(await served.stop(), 0);
      }
    }
  });

  it('a TUN deleted under the running daemon: one line from the fatal-error callback, everything rolled back, exit 1', async () => {
    const served = await startServe(topo, topo.host, ['--capture', 'tun', '--state-dir', state, '--no-rate-limit']);
    const exited = new Promise<number | null>((resolve) => served.child.once('exit', (code) => resolve(code)));
    try {
      ip(['-n', topo.host, 'link', 'del', 'imds0']);
      await waitForOutput(served.child, (t) => t.includes('TUN capture shut down'), 10_000);
      assert.match(served.output(), /imds-lab: TUN imds0 stopped \(\w+\): .*; TUN capture shut down/);
      // The rollback closed the stack, its server and the TUN: nothing keeps the responder alive, it exits 1.
      const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000).unref());
      assert.equal(await Promise.race([exited, timeout]), 1, served.output());
      assert.doesNotMatch(spawnSync('ip', ['-n', topo.host, 'route', 'show', '169.254.169.254'], { encoding: 'utf8' }).stdout, /imds0/);
    } finally {
      await served.stop();
    }
  });
});

describe('serve --capture tun in the root network namespace', () => {
  it('exits non-zero before touching anything, saying why', { skip: process.getuid?.() !== 0 ? 'needs root to be meaningful' : undefined }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'imds-refuse-'));
    const stateDir = join(dir, 'state');
    const pcap = join(dir, 'x.pcap');
    const routesBefore = spawnSync('ip', ['route', 'show', 'table', 'all'], { encoding: 'utf8' }).stdout;
    const linksBefore = spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout;
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--capture', 'tun', '--tun-name', 'imdsrefuse0', '--state-dir', stateDir, '--pcap', pcap], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /refusing to run in the root network namespace/);
      assert.match(r.stderr, /hijack the host's real metadata route/);
      assert.equal(existsSync(stateDir), false, 'no state dir created');
      assert.equal(existsSync(pcap), false, 'no pcap created');
      assert.equal(spawnSync('ip', ['route', 'show', 'table', 'all'], { encoding: 'utf8' }).stdout, routesBefore);
      assert.equal(spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout, linksBefore);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function flagsOf(p: Buffer): number {
  const ihl = (p[0]! & 15) * 4;
  return p[ihl + 13]!;
}

function addr(p: Buffer, at: number): string {
  return `${p[at]}.${p[at + 1]}.${p[at + 2]}.${p[at + 3]}`;
}

function readPcap(path: string): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const packets: Buffer[] = [];
    const parser = pcapParser.parse(path);
    parser.on('packet', (p: { data: Buffer }) => packets.push(p.data));
    parser.on('end', () => resolve(packets));
    parser.on('error', reject);
  });
}
