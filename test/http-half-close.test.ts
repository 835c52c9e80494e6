// A request followed by the client's half-close (shutdown(SHUT_WR), `nc -N`, HTTP/1.0 scripts) is answered
// over the userspace stack for every order of request bytes and FIN (issue 11 point 2), and over kernel TCP.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { TcpSocket } from '../src/net/tcp-socket.ts';
import { TcpFlags } from '../src/wire/tcp-segment.ts';
import { closeTestServers, gate, harness, type Gate } from './helpers/http-test-server.ts';
import { segment, StackHarness } from './helpers/stack-harness.ts';

after(closeTestServers);

const REQUEST = 'GET /metadata/versions HTTP/1.1\r\nHost: 169.254.169.254\r\nMetadata: true\r\n\r\n';
const GATED = 'GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=x HTTP/1.1\r\nHost: 169.254.169.254\r\nMetadata: true\r\n\r\n';

type Order = 'one segment' | 'FIN right after data' | 'FIN in a later tick';
const ORDERS: readonly Order[] = ['one segment', 'FIN right after data', 'FIN in a later tick'];

/** Sends `request` then FIN in `order` over a scripted client; returns what the server sent and whether it sent FIN. */
async function halfCloseOverStack(order: Order, request: string, hold?: Gate): Promise<{ text: string; fin: boolean }> {
  const identityGate = { current: hold ?? null };
  const { server } = harness({ identityGate });
  const h = new StackHarness();
  try {
    const port = 47000;
    const { clientSeq, serverSeq } = await h.handshake(port);
    server.emit('connection', new TcpSocket(h.accepted[0]!, { clock: h.clock }));
    const payload = new TextEncoder().encode(request);
    const finSeq = (clientSeq + payload.length) >>> 0;
    const data = segment({ srcPort: port, seq: clientSeq, ack: serverSeq, flags: TcpFlags.ACK | TcpFlags.PSH, payload });
    const fin = segment({ srcPort: port, seq: finSeq, ack: serverSeq, flags: TcpFlags.ACK | TcpFlags.FIN });
    if (order === 'one segment') {
      h.send({ ...data, flags: data.flags | TcpFlags.FIN });
    } else if (order === 'FIN right after data') {
      h.send(data);
      h.send(fin);
    } else {
      h.send(data);
      await h.settle();
      h.send(fin);
    }
    await h.settle();
    if (hold) {
      // The handler is still waiting: the FIN has been processed before any response byte exists.
      await h.settle();
      hold.open();
    }
    const out: Uint8Array[] = [];
    let sawFin = false;
    for (let i = 0; i < 50 && !sawFin; i++) {
      await h.settle();
      for (const r of h.take()) {
        if (r.tcp?.dstPort !== port) continue;
        if (r.tcp.payload.length > 0) out.push(r.tcp.payload);
        if (r.tcp.flags & TcpFlags.FIN) sawFin = true;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    return { text: Buffer.concat(out).toString('latin1'), fin: sawFin };
  } finally {
    h.close();
  }
}

/** The same over kernel TCP on loopback (socket mode): write, shutdown(SHUT_WR), read to EOF. */
async function halfCloseOverKernel(request: string, hold?: Gate): Promise<{ text: string; fin: boolean }> {
  const identityGate = { current: hold ?? null };
  const { server } = harness({ identityGate });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const serverEnded = new Promise<void>((resolve) => server.once('connection', (s: net.Socket) => s.once('end', resolve)));
  const { port } = server.address() as net.AddressInfo;
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<boolean>((resolve) => {
    socket.once('end', () => resolve(true));
    socket.once('close', () => resolve(false));
  });
  socket.end(request);
  if (hold) {
    await serverEnded;
    hold.open();
  }
  const fin = await ended;
  socket.destroy();
  return { text: Buffer.concat(chunks).toString('latin1'), fin };
}

function assertAnswered(result: { text: string; fin: boolean }, label: string): void {
  assert.match(result.text, /^HTTP\/1\.1 200 OK\r\n/, `${label}: no answer (${JSON.stringify(result.text.slice(0, 60))})`);
  assert.equal(result.text.match(/HTTP\/1\.1 /g)?.length, 1, `${label}: exactly one response`);
  assert.ok(result.fin, `${label}: the server closes its side after answering`);
}

describe('half-close after the request (issue 11 point 2)', () => {
  for (const order of ORDERS) {
    it(`userspace stack answers, then closes: ${order}`, async () => {
      assertAnswered(await halfCloseOverStack(order, REQUEST), order);
    });
    it(`userspace stack answers a handler still busy when the FIN arrives: ${order}`, async () => {
      assertAnswered(await halfCloseOverStack(order, GATED, gate()), order);
    });
  }

  it('kernel TCP (socket mode) answers, then closes', async () => {
    assertAnswered(await halfCloseOverKernel(REQUEST), 'socket mode');
  });

  it('kernel TCP (socket mode) answers a handler still busy when the FIN arrives', async () => {
    assertAnswered(await halfCloseOverKernel(GATED, gate()), 'socket mode, busy handler');
  });

  it('a FIN with no request closes the connection without a response', async () => {
    const { server } = harness();
    const h = new StackHarness();
    try {
      const { clientSeq, serverSeq } = await h.handshake(47001);
      server.emit('connection', new TcpSocket(h.accepted[0]!, { clock: h.clock }));
      h.send(segment({ srcPort: 47001, seq: clientSeq, ack: serverSeq, flags: TcpFlags.ACK | TcpFlags.FIN }));
      await h.settle();
      await h.settle();
      const out = h.take().filter((r) => r.tcp?.dstPort === 47001);
      assert.ok(out.some((r) => r.tcp!.flags & TcpFlags.FIN), 'server FIN');
      assert.equal(out.reduce((n, r) => n + r.tcp!.payload.length, 0), 0, 'no bytes');
    } finally {
      h.close();
    }
  });
});

