// The state diagram as data (RFC 9293 §3.3.2): legal transitions, the one choke point (setState) and its trace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TcpFlags, type TcpSegment } from '../wire/tcp-segment.ts';
import { Tcb } from './tcb.ts';
import { isLegalTransition, TcpState } from './tcp-states.ts';

const ALL = Object.values(TcpState);

test('every state but CLOSED may reach CLOSED; nothing goes back to the handshake once synchronized', () => {
  for (const from of ALL) assert.equal(isLegalTransition(from, TcpState.CLOSED), from !== TcpState.CLOSED, from);
  for (const from of [TcpState.ESTABLISHED, TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2, TcpState.CLOSE_WAIT, TcpState.CLOSING, TcpState.LAST_ACK, TcpState.TIME_WAIT]) {
    for (const to of [TcpState.SYN_SENT, TcpState.SYN_RECEIVED, TcpState.ESTABLISHED]) assert.equal(isLegalTransition(from, to), false, `${from} -> ${to}`);
  }
  assert.equal(isLegalTransition(TcpState.FIN_WAIT_1, TcpState.TIME_WAIT), true, 'FIN that also ACKs ours');
  assert.equal(isLegalTransition(TcpState.LAST_ACK, TcpState.TIME_WAIT), false);
  assert.equal(isLegalTransition(TcpState.CLOSE_WAIT, TcpState.FIN_WAIT_1), false);
});

test('a passive open and close is traced through setState, one event per change, all legal', () => {
  const trace: string[] = [];
  const seen = new Set<Tcb>();
  const syn: TcpSegment = { srcPort: 40000, dstPort: 80, seq: 0xfffffff0, ack: 0, flags: TcpFlags.SYN, window: 65535, urgentPointer: 0, options: { mss: 1460 }, payload: new Uint8Array(0) };
  const tcb = Tcb.acceptSyn(syn, {
    endpoints: { localAddress: 1, localPort: 80, remoteAddress: 2, remotePort: 40000 },
    iss: 0xffffff00,
    now: 0,
    onStateChange: (t, from, to) => {
      seen.add(t);
      assert.ok(isLegalTransition(from, to));
      trace.push(`${from}>${to}`);
    },
  });
  const sent = tcb.takeOutgoing();
  assert.deepEqual(sent.map((x) => x.flags), [TcpFlags.SYN | TcpFlags.ACK], 'exactly the SYN-ACK');
  const iss = sent[0]!.seq;
  const from = (fields: Partial<TcpSegment>): TcpSegment => ({ ...syn, options: {}, ack: (iss + 1) >>> 0, ...fields });
  tcb.handleSegment(from({ seq: 0xfffffff1, flags: TcpFlags.ACK }), 1);
  tcb.handleSegment(from({ seq: 0xfffffff1, flags: TcpFlags.ACK | TcpFlags.FIN }), 2);
  tcb.shutdownWrite(3);
  tcb.handleSegment(from({ seq: 0xfffffff2, ack: (iss + 2) >>> 0, flags: TcpFlags.ACK }), 4);
  assert.deepEqual([...seen], [tcb], 'the hook names the Tcb');
  assert.deepEqual(trace, ['CLOSED>SYN-RECEIVED', 'SYN-RECEIVED>ESTABLISHED', 'ESTABLISHED>CLOSE-WAIT', 'CLOSE-WAIT>LAST-ACK', 'LAST-ACK>CLOSED']);
});
