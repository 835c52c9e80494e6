// TcpSocket over the stack (scripted peer, FakeClock): the net.Socket surface node:http relies on,
// backpressure tied to the advertised window, Node-shaped errors.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { segment, StackHarness } from '../../test/helpers/stack-harness.ts';
import { TcpFlags } from '../wire/tcp-segment.ts';
import { socketError } from './socket-errors.ts';
import { TcpSocket } from './tcp-socket.ts';

test('addresses, bytes counters and end() -> FIN', async () => {
  const h = new StackHarness();
  const { clientSeq, serverSeq } = await h.handshake(46000);
  const socket = new TcpSocket(h.accepted[0]!, { clock: h.clock });
  assert.deepEqual([socket.remoteAddress, socket.remotePort, socket.remoteFamily, socket.localAddress, socket.localPort], ['10.1.0.4', 46000, 'IPv4', '169.254.169.254', 80]);
  assert.deepEqual(socket.address(), { address: '169.254.169.254', family: 'IPv4', port: 80 });
  assert.equal(socket.setNoDelay(true), socket);
  assert.equal(socket.setKeepAlive(true, 1000), socket);
  assert.equal(socket.ref().unref(), socket);
  const received: Buffer[] = [];
  socket.on('data', (c: Buffer) => received.push(c));
  h.send(segment({ srcPort: 46000, seq: clientSeq, ack: serverSeq, flags: TcpFlags.ACK | TcpFlags.PSH, payload: new TextEncoder().encode('ping') }));
  await h.settle();
  assert.equal(Buffer.concat(received).toString(), 'ping');
  assert.equal(socket.bytesRead, 4);
  socket.end('pong');
  await h.settle();
  const out = h.take().filter((r) => r.tcp!.payload.length > 0 || r.tcp!.flags & TcpFlags.FIN);
  assert.equal(Buffer.from(out.map((r) => Buffer.from(r.tcp!.payload)).reduce((a, b) => Buffer.concat([a, b]))).toString(), 'pong');
  assert.ok(out.some((r) => r.tcp!.flags & TcpFlags.FIN), 'out.some((r) => r.tcp!.flags & TcpFlags.FIN)');
  assert.equal(socket.bytesWritten, 4);
  h.close();
});

test('backpressure: with no reader the data stays in the Tcb and the window closes; reading reopens it', async () => {
  const h = new StackHarness({ tcpConfig: { receiveBufferSize: 8192 } });
  const { clientSeq, serverSeq } = await h.handshake(46001);
  const connection = h.accepted[0]!;
  const socket = new TcpSocket(connection, { clock: h.clock, readableHighWaterMark: 1024 });
  let seq = clientSeq;
  for (let i = 0; i < 10; i++) {
    h.send(segment({ srcPort: 46001, seq, ack: serverSeq, flags: TcpFlags.ACK, payload: new Uint8Array(1000).fill(65 + i) }));
    seq += 1000;
    await h.settle();
  }
  const acks = h.take().filter((r) => r.tcp!.flags & TcpFlags.ACK);
  assert.equal(acks.at(-1)!.tcp!.window, 0, 'window closed');
  assert.equal(connection.readableLength, 8192, 'buffered in the Tcb, not in the stream');
  assert.equal(socket.readableLength, 0);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await h.settle();
  assert.equal(Buffer.concat(chunks).length, 8192);
  const update = h.take().filter((r) => r.tcp!.flags & TcpFlags.ACK);
  assert.ok(update.some((r) => r.tcp!.window > 0), 'window update after reading');
  socket.destroy();
  h.close();
});

test('a RST from the peer surfaces as a Node-shaped ECONNRESET', async () => {
  const h = new StackHarness();
  const { clientSeq } = await h.handshake(46002);
  const socket = new TcpSocket(h.accepted[0]!, { clock: h.clock });
  const errored = once(socket, 'error');
  const closed = new Promise((resolve) => socket.once('close', resolve));
  h.send(segment({ srcPort: 46002, seq: clientSeq, flags: TcpFlags.RST }));
  await h.settle();
  const [error] = (await errored) as [NodeJS.ErrnoException];
  assert.equal(error.code, 'ECONNRESET');
  assert.equal(error.errno, -104);
  assert.equal(error.syscall, 'read');
  assert.equal(error.message, 'read ECONNRESET');
  await closed;
  assert.equal(h.stack.connectionCount, 0);
  h.close();
});

test('socketError shapes EPIPE and ETIMEDOUT like libuv', () => {
  const pipe = socketError('EPIPE', 'write');
  assert.deepEqual([pipe.message, pipe.code, pipe.errno, pipe.syscall], ['write EPIPE', 'EPIPE', -32, 'write']);
  assert.equal(socketError('ETIMEDOUT', 'read').errno, -110);
});

test('destroy() with unread data aborts with RST (RFC 2525 §2.17); resetAndDestroy() sends RST', async () => {
  const h = new StackHarness();
  const a = await h.handshake(46003);
  const socket = new TcpSocket(h.accepted[0]!, { clock: h.clock });
  h.send(segment({ srcPort: 46003, seq: a.clientSeq, ack: a.serverSeq, flags: TcpFlags.ACK, payload: new Uint8Array(10) }));
  await h.settle();
  h.take();
  socket.destroy();
  await h.settle();
  assert.ok(h.take().some((r) => r.tcp!.flags & TcpFlags.RST), 'h.take().some((r) => r.tcp!.flags & TcpFlags.RST)');
  await h.handshake(46004);
  const other = new TcpSocket(h.accepted[1]!, { clock: h.clock });
  other.resetAndDestroy();
  await h.settle();
  assert.ok(h.take().some((r) => r.tcp!.dstPort === 46004 && r.tcp!.flags & TcpFlags.RST), 'h.take().some((r) => r.tcp!.dstPort === 46004 && r.tcp!.flags & TcpFlags.RST)');
  h.close();
});
