// Header, request and keep-alive idle timeouts (issue 11 point 3) over kernel TCP (socket mode) and over the
// userspace stack on a memory link (the TUN path): the same bytes (408 or a silent close), never before the
// configured time. Short timeouts keep this to a few seconds.
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { createMemoryLinkPair } from '../src/link/memory-link.ts';
import { TcpServer } from '../src/net/tcp-server.ts';
import { TcpSocket } from '../src/net/tcp-socket.ts';
import { createSourcePolicy } from '../src/stack/source-policy.ts';
import { TcpStack } from '../src/stack/tcp-stack.ts';
import { systemClock } from '../src/util/clock.ts';
import type { HttpTimeouts } from '../src/http/http-timeouts.ts';
import { closeTestServers, harness } from './helpers/http-test-server.ts';
import { MemoryClientHost } from './helpers/memory-client.ts';
import { IMDS, VM } from './helpers/stack-harness.ts';

after(closeTestServers);

const TIMEOUTS: HttpTimeouts = { headersMs: 400, requestMs: 800, keepAliveMs: 300, checkIntervalMs: 100 };
const TIMEOUT_408 = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n';
const REQUEST = 'GET /metadata/versions HTTP/1.1\r\nHost: 169.254.169.254\r\nMetadata: true\r\n\r\n';

interface Mode {
  readonly name: string;
  /** A new client connection to a fresh IMDS server with TIMEOUTS; cleanup() after the test. */
  open(): Promise<{ client: Duplex; cleanup: () => void }>;
}

const socketMode: Mode = {
  name: 'socket mode (kernel TCP)',
  async open() {
    const { server } = harness({ timeouts: TIMEOUTS });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    return { client, cleanup: () => client.destroy() };
  },
};

const stackMode: Mode = {
  name: 'TUN path (userspace stack, emit connection)',
  async open() {
    const { server } = harness({ timeouts: TIMEOUTS });
    const pair = createMemoryLinkPair();
    const stack = new TcpStack({ link: pair.b, clock: systemClock, localAddress: IMDS, localPort: 80, sourcePolicy: createSourcePolicy([VM]) });
    new TcpServer(stack, (socket) => server.emit('connection', socket), { clock: systemClock });
    const host = new MemoryClientHost(pair.a, systemClock, VM);
    const connection = host.connect(IMDS, 80);
    await host.established(connection);
    const client = new TcpSocket(connection, { clock: systemClock, allowHalfOpen: false });
    return {
      client,
      cleanup: () => {
        client.destroy();
        stack.close();
        pair.close();
      },
    };
  },
};

/** Everything the server sends until it closes; ms from `since` to the server's close. */
function readToClose(client: Duplex, since: number): Promise<{ text: string; closedAfterMs: number }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedAfterMs: performance.now() - since });
    };
    client.on('data', (c: Buffer) => chunks.push(c));
    client.once('end', finish);
    client.once('close', finish);
    client.on('error', finish);
  });
}

for (const mode of [socketMode, stackMode]) {
  describe(`HTTP timeouts: ${mode.name}`, { timeout: 20_000 }, () => {
    it('a connection that never sends a byte gets 408 and is closed after headersMs', async () => {
      const { client, cleanup } = await mode.open();
      try {
        const r = await readToClose(client, performance.now());
        assert.equal(r.text, TIMEOUT_408);
        assert.ok(r.closedAfterMs >= TIMEOUTS.headersMs - 5, `closed after ${r.closedAfterMs} ms`);
      } finally {
        cleanup();
      }
    });

    it('slowloris: a head trickled one byte at a time gets 408 after headersMs', async () => {
      const { client, cleanup } = await mode.open();
      const start = performance.now();
      const closed = readToClose(client, start);
      let i = 0;
      const head = 'GET /metadata/versions HTTP/1.1\r\nHost: 169.254.169.254\r\nX-Slow: ' + 'a'.repeat(1000);
      const timer = setInterval(() => client.writable && client.write(head[i++ % head.length]!), 40);
      try {
        const r = await closed;
        assert.equal(r.text, TIMEOUT_408);
        assert.ok(r.closedAfterMs >= TIMEOUTS.headersMs - 5, `closed after ${r.closedAfterMs} ms`);
      } finally {
        clearInterval(timer);
        cleanup();
      }
    });

    it('a body trickled after a complete head gets 408 after requestMs', async () => {
      const { client, cleanup } = await mode.open();
      const start = performance.now();
      const closed = readToClose(client, start);
      client.write('POST /metadata/scheduledevents?api-version=2020-07-01 HTTP/1.1\r\nHost: 169.254.169.254\r\nMetadata: true\r\nContent-Length: 1000\r\n\r\n');
      const timer = setInterval(() => client.writable && client.write('{'), 40);
      try {
        const r = await closed;
        assert.equal(r.text, TIMEOUT_408);
        assert.ok(r.closedAfterMs >= TIMEOUTS.requestMs - 5, `closed after ${r.closedAfterMs} ms (headers were complete)`);
      } finally {
        clearInterval(timer);
        cleanup();
      }
    });

    it('an idle keep-alive connection is closed without a response after keepAliveMs (+1 s node:http margin)', async () => {
      const { client, cleanup } = await mode.open();
      try {
        const chunks: Buffer[] = [];
        const answered = new Promise<number>((resolve) =>
          client.on('data', (c: Buffer) => {
            chunks.push(c);
            if (Buffer.concat(chunks).toString('latin1').includes('"route":"versions"')) resolve(performance.now());
          }),
        );
        client.write(REQUEST);
        const at = await answered;
        const before = Buffer.concat(chunks).length;
        const r = await readToClose(client, at);
        assert.match(Buffer.concat(chunks).toString('latin1'), /^HTTP\/1\.1 200 OK\r\n[^]*Connection: keep-alive\r\n/);
        assert.equal(r.text, '', 'no bytes after the response (the 408 is only for requests in progress)');
        assert.equal(Buffer.concat(chunks).length, before);
        assert.ok(r.closedAfterMs >= TIMEOUTS.keepAliveMs + 1000 - 5, `closed ${r.closedAfterMs} ms after the response`);
      } finally {
        cleanup();
      }
    });

    it('a request completed in time is answered normally', async () => {
      const { client, cleanup } = await mode.open();
      try {
        const chunks: Buffer[] = [];
        const got = new Promise<void>((resolve) => client.on('data', (c: Buffer) => (chunks.push(c), Buffer.concat(chunks).includes('"route":"versions"') && resolve())));
        await new Promise((r) => setTimeout(r, TIMEOUTS.headersMs / 2));
        client.write(REQUEST);
        await got;
        assert.match(Buffer.concat(chunks).toString('latin1'), /^HTTP\/1\.1 200 OK\r\n/);
      } finally {
        cleanup();
      }
    });
  });
}
