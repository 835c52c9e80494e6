// TIME-WAIT in the stack: closed connections are released at once (not kept in the table or the timer
// queue), a small entry answers for 2*MSL (RFC 9293 §3.10.7.4), and the entries are bounded (oldest recycled).
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { test } from 'node:test';
import { segment, StackHarness, synSegment, VM } from '../../test/helpers/stack-harness.ts';
import { TcpFlags } from '../wire/tcp-segment.ts';

/** Opens a connection on `port`, closes it from our side first, ACKs and FINs from the client: TIME-WAIT. */
async function closeFromServer(h: StackHarness, port: number): Promise<{ clientSeq: number; serverSeq: number }> {
  const b = await h.handshake(port);
  h.accepted.at(-1)!.close();
  await h.settle();
  h.send(segment({ srcPort: port, seq: b.clientSeq, ack: b.serverSeq + 1, flags: TcpFlags.FIN | TcpFlags.ACK }));
  await h.settle();
  h.take();
  return b;
}

test('a connection in TIME-WAIT leaves the table and the timer queue at once; the entry re-ACKs a retransmitted FIN', async () => {
  const h = new StackHarness();
  const b = await closeFromServer(h, 41000);
  assert.equal(h.stack.connectionCount, 0);
  assert.equal(h.stack.timeWaitCount, 1);
  assert.equal(h.stack.timerQueueSize, 1, 'only the TIME-WAIT expiry task');
  await h.advance(50_000);
  h.send(segment({ srcPort: 41000, seq: b.clientSeq, ack: b.serverSeq + 1, flags: TcpFlags.FIN | TcpFlags.ACK }));
  await h.settle();
  const sent = h.take().map((r) => r.tcp!);
  assert.equal(sent.length, 1, 'exactly one segment');
  assert.deepEqual([sent[0]!.flags, sent[0]!.seq, sent[0]!.ack], [TcpFlags.ACK, (b.serverSeq + 1) >>> 0, (b.clientSeq + 1) >>> 0]);
  await h.advance(50_000);
  assert.equal(h.stack.timeWaitCount, 1, '2*MSL restarted by the retransmitted FIN');
  await h.advance(10_001);
  assert.equal(h.stack.timeWaitCount, 0);
  assert.equal(h.stack.timerQueueSize, 0);
  assert.equal(h.clock.pendingTimers(), 0);
  h.close();
});

test('a RST does not end TIME-WAIT; a newer SYN reuses the tuple, an older one gets an ACK', async () => {
  const h = new StackHarness();
  const b = await closeFromServer(h, 41001);
  h.send(segment({ srcPort: 41001, seq: b.clientSeq + 1, flags: TcpFlags.RST }));
  await h.settle();
  assert.equal(h.stack.timeWaitCount, 1);
  assert.equal(h.take().length, 0);
  h.send(synSegment(41001, 500)); // below RCV.NXT (1002)
  await h.settle();
  const ack = h.take().map((r) => r.tcp!);
  assert.deepEqual(ack.map((s) => s.flags), [TcpFlags.ACK], 'a challenge ACK, no SYN-ACK');
  h.send(synSegment(41001, 90_000));
  await h.settle();
  const synAck = h.take().map((r) => r.tcp!);
  assert.deepEqual(synAck.map((s) => [s.flags, s.ack]), [[TcpFlags.SYN | TcpFlags.ACK, 90_001]]);
  assert.equal(h.stack.timeWaitCount, 0);
  assert.equal(h.stack.connectionCount, 1);
  h.close();
});

test('TIME-WAIT entries are bounded: the oldest is recycled first', async () => {
  const h = new StackHarness({ maxTimeWait: 3 });
  const first = await closeFromServer(h, 42000);
  for (let port = 42001; port < 42005; port++) await closeFromServer(h, port);
  assert.equal(h.stack.timeWaitCount, 3);
  assert.equal(h.stack.stats.snapshot().timeWaitRecycled, 2);
  // The oldest entry is gone: its retransmitted FIN now meets LISTEN and gets a RST.
  h.send(segment({ srcPort: 42000, seq: first.clientSeq, ack: first.serverSeq + 1, flags: TcpFlags.FIN | TcpFlags.ACK }));
  // The newest still answers with an ACK.
  h.send(segment({ srcPort: 42004, seq: 1001, ack: 1, flags: TcpFlags.FIN | TcpFlags.ACK }), VM);
  await h.settle();
  const replies = h.take().map((r) => [r.tcp!.dstPort, r.tcp!.flags]);
  assert.deepEqual(replies, [[42000, TcpFlags.RST], [42004, TcpFlags.ACK]]);
  h.close();
});

test('state changes are traced on imds-lab:tcp:state, ending TIME-WAIT -> CLOSED when the entry takes over', async () => {
  const trace: string[] = [];
  const on = (m: unknown): void => {
    const { remotePort, from, to } = m as { remotePort: number; from: string; to: string };
    if (remotePort === 41002) trace.push(`${from}>${to}`);
  };
  subscribe('imds-lab:tcp:state', on);
  try {
    const h = new StackHarness();
    await closeFromServer(h, 41002);
    h.close();
  } finally {
    unsubscribe('imds-lab:tcp:state', on);
  }
  assert.deepEqual(trace, ['CLOSED>SYN-RECEIVED', 'SYN-RECEIVED>ESTABLISHED', 'ESTABLISHED>FIN-WAIT-1', 'FIN-WAIT-1>FIN-WAIT-2', 'FIN-WAIT-2>TIME-WAIT', 'TIME-WAIT>CLOSED']);
});
