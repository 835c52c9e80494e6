// The full userspace path without privileges: node:http client on a Tcb (active open) <-> memory link with
// seeded impairments <-> TcpStack <-> TcpSocket <-> the real IMDS server, compared byte for byte with
// the same server in socket mode (kernel TCP on 127.0.0.1).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type DaemonHandle } from '../src/daemon/start-daemon.ts';
import { createMemoryLinkPair, type MemoryLinkPair } from '../src/link/memory-link.ts';
import { TcpServer } from '../src/net/tcp-server.ts';
import { createSourcePolicy } from '../src/stack/source-policy.ts';
import { TcpStack } from '../src/stack/tcp-stack.ts';
import { systemClock } from '../src/util/clock.ts';
import { httpRequestOver, MemoryClientHost } from './helpers/memory-client.ts';
import { IMDS, VM } from './helpers/stack-harness.ts';

const H = { Metadata: 'true' };
const REQUESTS: { path: string; headers?: Record<string, string>; method?: string }[] = [
  { path: '/metadata/instance?api-version=2021-02-01', headers: H },
  { path: '/metadata/instance/compute?api-version=2019-06-01', headers: H },
  { path: '/metadata/instance/network/interface/0/ipv4/ipAddress/0/privateIpAddress?api-version=2021-02-01&format=text', headers: H },
  { path: '/metadata/versions', headers: H },
  { path: '/metadata/instance?api-version=2021-02-01' },
  { path: '/metadata/instance', headers: H },
  { path: '/metadata/instance?api-version=2099-01-01', headers: H },
  { path: '/metadata/loadbalancer?api-version=2020-10-01', headers: H },
  { path: '/metadata/scheduledevents?api-version=2020-07-01', headers: H },
  { path: '/metadata/instance?api-version=2021-02-01', headers: { ...H, 'X-Forwarded-For': '1.2.3.4' } },
];

function kernelRequest(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: Buffer; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('IMDS over the userspace stack on a memory link', () => {
  let dir: string;
  let daemon: DaemonHandle;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'imds-stack-path-'));
    daemon = await startDaemon({ capture: 'socket', listen: { host: '127.0.0.1', port: 0 }, stateDir: dir, rateLimit: false });
  });
  after(async () => {
    await daemon.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function attachStack(pair: MemoryLinkPair): TcpStack {
    const stack = new TcpStack({ link: pair.b, clock: systemClock, localAddress: IMDS, localPort: 80, sourcePolicy: createSourcePolicy([VM]) });
    new TcpServer(stack, (socket) => daemon.server.emit('connection', socket), { clock: systemClock });
    return stack;
  }

  it('answers byte-identical bodies to socket mode, over a clean link', async () => {
    const pair = createMemoryLinkPair();
    const stack = attachStack(pair);
    const client = new MemoryClientHost(pair.a, systemClock, VM);
    try {
      for (const r of REQUESTS) {
        const viaSocket = await kernelRequest(daemon.address.port, r.path, r.headers);
        const viaStack = await httpRequestOver(client, IMDS, 80, r.path, { headers: r.headers ?? {} });
        assert.equal(viaStack.status, viaSocket.status, r.path);
        assert.equal(viaStack.headers['content-type'], viaSocket.type, r.path);
        assert.ok(viaStack.body.equals(viaSocket.body), `${r.path}: bodies differ`);
        assert.ok(viaStack.body.length > 0, 'viaStack.body.length > 0');
      }
      const s = stack.stats.snapshot();
      assert.equal(s.connectionsEstablished, REQUESTS.length);
      assert.equal(s.drops['internal-error'] ?? 0, 0);
    } finally {
      stack.close();
      pair.close();
    }
  });

  it('the request reaches the handlers with the client address (req.socket.remoteAddress)', async () => {
    const pair = createMemoryLinkPair();
    const stack = attachStack(pair);
    const client = new MemoryClientHost(pair.a, systemClock, VM);
    let seen: string | undefined;
    const listener = (req: http.IncomingMessage): void => void (seen = req.socket.remoteAddress);
    daemon.server.prependListener('request', listener);
    try {
      await httpRequestOver(client, IMDS, 80, '/metadata/versions', { headers: H });
      assert.equal(seen, '10.1.0.4');
    } finally {
      daemon.server.off('request', listener);
      stack.close();
      pair.close();
    }
  });

  it('with loss, reordering, duplication and corruption (seeded) every body is still exact', async () => {
    const pair = createMemoryLinkPair({ impairments: { loss: 0.05, reorder: 0.15, duplicate: 0.02, corrupt: 0.01, seed: 42 } });
    const stack = attachStack(pair);
    const client = new MemoryClientHost(pair.a, systemClock, VM, { rtoMinMs: 50, rtoInitialMs: 200 });
    try {
      const expected = await Promise.all(REQUESTS.map((r) => kernelRequest(daemon.address.port, r.path, r.headers)));
      const got = await Promise.all(
        Array.from({ length: 40 }, (_, i) => httpRequestOver(client, IMDS, 80, REQUESTS[i % REQUESTS.length]!.path, { headers: REQUESTS[i % REQUESTS.length]!.headers ?? {} })),
      );
      got.forEach((g, i) => {
        const e = expected[i % REQUESTS.length]!;
        assert.equal(g.status, e.status);
        assert.ok(g.body.equals(e.body), `request ${i}: body differs`);
      });
      const imp = pair.impairmentStats();
      assert.ok((imp.aToB?.dropped ?? 0) + (imp.bToA?.dropped ?? 0) > 0, 'some packets were lost');
      assert.equal(stack.stats.snapshot().drops['internal-error'] ?? 0, 0);
    } finally {
      stack.close();
      pair.close();
    }
  });
});
