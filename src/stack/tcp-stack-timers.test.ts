// Stack tests that need a TCP connection and time: the single clock timer, delayed SYN-ACK, first-byte
// delay, stall, segment loss, connection-table cleanup, and TcpSocket's idle timeout (FakeClock).
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { test } from 'node:test';
import { IMDS, segment, StackHarness, synSegment, VM } from '../../test/helpers/stack-harness.ts';
import { TcpSocket } from '../net/tcp-socket.ts';
import { TcpFlags } from '../wire/tcp-segment.ts';
import { buildTcpPacket } from '../wire/packet.ts';
import { parseNetFaults } from './net-faults.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

test('handshake, data both ways, and ONE clock timer however many connections retransmit', async () => {
  const h = new StackHarness();
  const n = 50;
  const seqs = [];
  for (let i = 0; i < n; i++) seqs.push(await h.handshake(41000 + i));
  assert.equal(h.accepted.length, n);
  assert.equal(h.stack.connectionCount, n);
  for (const c of h.accepted) assert.equal(c.write(text('hello')), 5);
  await h.settle();
  const first = h.take().filter((r) => r.tcp && r.tcp.payload.length === 5);
  assert.equal(first.length, n);
  // Nobody ACKs: every connection has a retransmission timer, the stack arms one clock timer.
  assert.equal(h.clock.pendingTimers(), 1);
  await h.advance(1100);
  const again = h.take().filter((r) => r.tcp && r.tcp.payload.length === 5);
  assert.ok(again.length >= n, `retransmissions: ${again.length} of ${n}`);
  assert.equal(new Set(again.map((r) => r.tcp!.dstPort)).size, n, 'each connection retransmitted');
  assert.equal(h.clock.pendingTimers(), 1);
  assert.ok(h.stack.stats.timerFirings >= 1, 'h.stack.stats.timerFirings >= 1');
  // Client data arrives in order on the right connection.
  h.send(segment({ srcPort: 41003, seq: seqs[3]!.clientSeq, ack: seqs[3]!.serverSeq + 5, flags: TcpFlags.ACK | TcpFlags.PSH, payload: text('GET') }));
  await h.settle();
  assert.equal(new TextDecoder().decode(h.accepted[3]!.read()), 'GET');
  h.close();
});

test('connections leave the table when they close; open/close events carry the 4-tuple', async () => {
  const h = new StackHarness();
  const events: { event: string; remotePort: number; reason?: string }[] = [];
  const on = (m: unknown): void => void events.push(m as { event: string; remotePort: number });
  subscribe('imds-lab:stack:connection', on);
  const { clientSeq, serverSeq } = await h.handshake(42000);
  const c = h.accepted[0]!;
  // Client closes first: FIN, we answer ACK; our close sends FIN; client ACKs -> CLOSED (LAST-ACK path).
  h.send(segment({ srcPort: 42000, seq: clientSeq, ack: serverSeq, flags: TcpFlags.FIN | TcpFlags.ACK }));
  await h.settle();
  assert.equal(c.peerFinished, true);
  c.close();
  await h.settle();
  const fin = h.take().find((r) => r.tcp && r.tcp.flags & TcpFlags.FIN);
  assert.ok(fin, 'server FIN');
  h.send(segment({ srcPort: 42000, seq: clientSeq + 1, ack: serverSeq + 1, flags: TcpFlags.ACK }));
  await h.settle();
  assert.equal(h.stack.connectionCount, 0);
  assert.equal(h.stack.stats.connectionsActive, 0);
  // Server closes first: the connection leaves at once; a small TIME-WAIT entry stays for 2*MSL, then goes.
  const b = await h.handshake(42001);
  const d = h.accepted[1]!;
  d.close();
  await h.settle();
  h.send(segment({ srcPort: 42001, seq: b.clientSeq, ack: b.serverSeq + 1, flags: TcpFlags.FIN | TcpFlags.ACK }));
  await h.settle();
  assert.equal(h.stack.connectionCount, 0, 'released at once');
  assert.equal(h.stack.timeWaitCount, 1, 'TIME-WAIT');
  await h.advance(60_001);
  assert.equal(h.stack.timeWaitCount, 0);
  unsubscribe('imds-lab:stack:connection', on);
  assert.deepEqual(
    events.map((e) => [e.event, e.remotePort, e.reason]),
    [
      ['open', 42000, undefined],
      ['close', 42000, 'normal'],
      ['open', 42001, undefined],
      ['close', 42001, 'normal'],
    ],
  );
  assert.equal(h.clock.pendingTimers(), 0, 'no timer left behind');
  h.close();
});

test('delay-synack: the SYN-ACK leaves after the delay; retransmitted SYNs meanwhile are absorbed', async () => {
  const h = new StackHarness({ faults: parseNetFaults('delay-synack=3000') });
  h.send(synSegment(43000, 1));
  await h.settle();
  assert.equal(h.take().length, 0);
  await h.advance(1000);
  h.send(synSegment(43000, 1));
  await h.advance(1999);
  assert.equal(h.take().length, 0);
  assert.equal(h.stack.stats.dropCount('syn-delayed-duplicate'), 1);
  await h.advance(1);
  const got = h.take();
  assert.equal(got.length, 1);
  assert.equal(got[0]!.tcp!.flags, TcpFlags.SYN | TcpFlags.ACK);
  assert.equal(got[0]!.tcp!.ack, 2);
  h.close();
});

test('delay-first-byte: the first response bytes wait N ms (through TcpSocket backpressure)', async () => {
  const h = new StackHarness({ faults: parseNetFaults('delay-first-byte=700') });
  await h.handshake(43100);
  const socket = new TcpSocket(h.accepted[0]!, { clock: h.clock });
  socket.write('HTTP/1.1 200 OK\r\n\r\n');
  await h.settle();
  assert.equal(h.take().filter((r) => r.tcp!.payload.length > 0).length, 0);
  await h.advance(699);
  assert.equal(h.take().filter((r) => r.tcp!.payload.length > 0).length, 0);
  await h.advance(1);
  const data = h.take().filter((r) => r.tcp!.payload.length > 0);
  assert.equal(data.length, 1);
  assert.equal(new TextDecoder().decode(data[0]!.tcp!.payload), 'HTTP/1.1 200 OK\r\n\r\n');
  socket.destroy();
  h.close();
});

test('stall: the handshake completes and data is ACKed, but nothing is ever sent or handed up', async () => {
  const h = new StackHarness({ faults: parseNetFaults('stall') });
  const { clientSeq, serverSeq } = await h.handshake(43200);
  assert.equal(h.accepted.length, 0, 'not handed to the server');
  h.send(segment({ srcPort: 43200, seq: clientSeq, ack: serverSeq, flags: TcpFlags.ACK | TcpFlags.PSH, payload: text('GET / HTTP/1.1\r\n\r\n') }));
  await h.settle(); // delivered now, so its (delayed, 40 ms) ACK is due inside the 30 s below
  await h.advance(30_000);
  const got = h.take();
  assert.ok(got.every((r) => r.tcp!.payload.length === 0), 'no data');
  assert.ok(got.some((r) => r.tcp!.ack === clientSeq + 18), 'request ACKed');
  // The client gives up with FIN: we close too (still no data).
  h.send(segment({ srcPort: 43200, seq: clientSeq + 18, ack: serverSeq, flags: TcpFlags.FIN | TcpFlags.ACK }));
  await h.settle();
  assert.ok(h.take().some((r) => r.tcp!.flags & TcpFlags.FIN), 'h.take().some((r) => r.tcp!.flags & TcpFlags.FIN)');
  h.close();
});

test('segment loss: loss-in=1 drops every segment, loss-out=1 every reply (counted)', async () => {
  const a = new StackHarness({ faults: parseNetFaults('loss-in=1') });
  a.send(synSegment(43300, 1));
  await a.settle();
  assert.equal(a.take().length, 0);
  assert.equal(a.stack.stats.dropCount('fault-loss-in'), 1);
  a.close();
  const b = new StackHarness({ faults: parseNetFaults('loss-out=1') });
  b.send(synSegment(43301, 1));
  await b.settle();
  await b.advance(5000);
  assert.equal(b.take().length, 0);
  assert.ok(b.stack.stats.dropCount('fault-loss-out') >= 2, 'SYN-ACK and its retransmissions lost');
  b.close();
});

test('TcpSocket idle timeout: fires after ms without activity, activity defers it', async () => {
  const h = new StackHarness();
  const { clientSeq, serverSeq } = await h.handshake(43400);
  const socket = new TcpSocket(h.accepted[0]!, { clock: h.clock });
  let fired = 0;
  socket.setTimeout(5000, () => fired++);
  socket.on('data', () => {});
  await h.advance(4000);
  h.send(segment({ srcPort: 43400, seq: clientSeq, ack: serverSeq, flags: TcpFlags.ACK | TcpFlags.PSH, payload: text('x') }));
  await h.settle();
  await h.advance(4000);
  assert.equal(fired, 0, 'data reset the idle timer');
  await h.advance(1001);
  assert.equal(fired, 1);
  assert.equal(socket.timeout, 5000);
  socket.setTimeout(0);
  socket.destroy();
  await h.settle();
  assert.ok(h.take().some((r) => r.tcp!.flags & TcpFlags.FIN), 'destroy closes with FIN');
  h.close();
});

test('the source of an accepted connection is the VM', async () => {
  const h = new StackHarness();
  await h.handshake(43500);
  assert.equal(h.accepted[0]!.remoteAddress, VM);
  assert.equal(h.accepted[0]!.remoteAddressText, '10.1.0.4');
  h.close();
});

test('the link may reuse its receive buffer: data and a held-back SYN survive the buffer being overwritten', async () => {
  const h = new StackHarness({ faults: parseNetFaults('delay-synack=100') });
  // A SYN carrying data is held 100 ms by the fault; its buffer is scribbled over right after ingest.
  const synBuffer = buildTcpPacket({ src: VM, dst: IMDS }, segment({ srcPort: 47000, seq: 1000, flags: TcpFlags.SYN, options: { mss: 1460 }, payload: text('SYNDATA') }));
  h.stack.ingest(synBuffer);
  synBuffer.fill(0xee);
  await h.advance(100);
  const synAck = h.take().find((r) => r.tcp?.flags === (TcpFlags.SYN | TcpFlags.ACK));
  assert.ok(synAck?.tcp, 'SYN-ACK after the delay');
  const serverSeq = (synAck.tcp.seq + 1) >>> 0;
  const acked = (synAck.tcp.ack - 1001) >>> 0;
  // Whatever the Tcb kept of the SYN's data must be the original bytes, then in-order data after it.
  const buffer = buildTcpPacket({ src: VM, dst: IMDS }, segment({ srcPort: 47000, seq: 1001 + acked, ack: serverSeq, flags: TcpFlags.ACK | TcpFlags.PSH, payload: text('GET /') }));
  h.stack.ingest(buffer);
  buffer.fill(0xee);
  await h.settle();
  assert.equal(h.accepted.length, 1, 'connection established');
  const got = new TextDecoder().decode(h.accepted[0]!.read());
  assert.equal(got, acked > 0 ? 'SYNDATAGET /' : 'GET /', `bytes read: ${JSON.stringify(got)}`);
  h.close();
});
