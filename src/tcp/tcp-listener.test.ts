// LISTEN behaviour: SYN -> SYN-RECEIVED Tcb, RST for ACKs, the bounded SYN backlog, TIME-WAIT reuse.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createIsnSource, sipHashKeyedHash } from './isn.ts';
import { resolveTcpConfig } from './tcp-config.ts';
import { TcpListener } from './tcp-listener.ts';
import { expectSegment, flagsOf, segment } from './tcb-test-harness.ts';
import type { TcpSegment } from '../wire/tcp-segment.ts';

const isn = createIsnSource(sipHashKeyedHash(new Uint8Array(16).fill(7)));
const listen = (config = {}): TcpListener =>
  new TcpListener({ localAddress: 0xa9fea9fe, localPort: 80, isn, config: resolveTcpConfig(config) });
const synFrom = (port: number, seq = 1000): TcpSegment => ({ ...segment({ seq, flags: 'S', options: { mss: 1460 } }), srcPort: port });

describe('TcpListener', () => {
  test('a SYN creates a SYN-RECEIVED Tcb with a keyed ISN and its SYN-ACK queued', () => {
    const l = listen();
    const verdict = l.handleSegment(synFrom(40000), 0x0a000004, 500);
    assert.equal(verdict.kind, 'accepted');
    if (verdict.kind !== 'accepted') return;
    const tcb = verdict.tcb;
    assert.equal(tcb.state, 'SYN-RECEIVED');
    assert.deepEqual(tcb.endpoints, { localAddress: 0xa9fea9fe, localPort: 80, remoteAddress: 0x0a000004, remotePort: 40000 });
    const expectedIss = isn.iss(tcb.endpoints, 500);
    expectSegment(tcb.takeOutgoing()[0], { flags: 'SA', seq: expectedIss, ack: 1001 });
    assert.equal(l.synBacklogLength, 1);
  });

  test('an ACK to LISTEN gets a RST, a RST is ignored, other segments are dropped', () => {
    const l = listen();
    const reply = l.handleSegment(segment({ seq: 1, ack: 777, flags: 'A' }), 1, 0);
    assert.equal(reply.kind, 'reply');
    if (reply.kind === 'reply') {
      assert.equal(flagsOf(reply.segment), 'R');
      assert.equal(reply.segment.seq, 777);
    }
    assert.deepEqual(l.handleSegment(segment({ seq: 1, flags: 'R' }), 1, 0), { kind: 'dropped', reason: 'rst' });
    assert.deepEqual(l.handleSegment(segment({ seq: 1, flags: 'P', payload: 'x' }), 1, 0), { kind: 'dropped', reason: 'not-syn' });
    assert.deepEqual(l.handleSegment(segment({ seq: 1, flags: 'SF' }), 1, 0), { kind: 'dropped', reason: 'syn-fin' });
  });

  test('the SYN backlog is bounded; completing a handshake or timing out frees a slot', () => {
    const l = listen({ synBacklog: 2, synReceivedTimeoutMs: 3000, synAckRetries: 10 });
    const first = l.handleSegment(synFrom(1), 1, 0);
    const second = l.handleSegment(synFrom(2), 1, 0);
    assert.deepEqual(l.handleSegment(synFrom(3), 1, 0), { kind: 'dropped', reason: 'backlog-full' });
    assert.equal(l.backlogDrops, 1);
    if (first.kind !== 'accepted' || second.kind !== 'accepted') throw new Error('expected accepted');
    const synAck = first.tcb.takeOutgoing()[0]!;
    first.tcb.handleSegment({ ...segment({ seq: 1001, ack: synAck.seq + 1, flags: 'A' }), srcPort: 1 }, 10);
    assert.equal(first.tcb.state, 'ESTABLISHED');
    assert.equal(l.handleSegment(synFrom(3), 1, 20).kind, 'accepted');
    assert.equal(l.handleSegment(synFrom(4), 1, 20).kind, 'dropped');
    second.tcb.onTimer(3000);
    assert.equal(second.tcb.closeReason, 'ETIMEDOUT');
    assert.equal(l.synBacklogLength, 1);
    assert.equal(l.handleSegment(synFrom(4), 1, 3000).kind, 'accepted');
  });

  test('a handler passed with the SYN sees the established event', () => {
    const l = listen();
    const events: string[] = [];
    const verdict = l.handleSegment(synFrom(5), 1, 0, { established: () => events.push('established') });
    if (verdict.kind !== 'accepted') throw new Error('expected accepted');
    const synAck = verdict.tcb.takeOutgoing()[0]!;
    verdict.tcb.handleSegment({ ...segment({ seq: 1001, ack: synAck.seq + 1, flags: 'A' }), srcPort: 5 }, 1);
    assert.deepEqual(events, ['established']);
  });

  test('TIME-WAIT reuse: the Tcb says reuse and the listener accepts the same SYN', () => {
    const l = listen({ mslMs: 1000 });
    const verdict = l.handleSegment(synFrom(6, 1000), 1, 0);
    if (verdict.kind !== 'accepted') throw new Error('expected accepted');
    const tcb = verdict.tcb;
    const iss = tcb.takeOutgoing()[0]!.seq;
    const from6 = (spec: Parameters<typeof segment>[0]): TcpSegment => ({ ...segment(spec), srcPort: 6 });
    tcb.handleSegment(from6({ seq: 1001, ack: iss + 1, flags: 'A' }), 1);
    tcb.shutdownWrite(2);
    tcb.handleSegment(from6({ seq: 1001, ack: iss + 2, flags: 'FA' }), 4);
    assert.equal(tcb.state, 'TIME-WAIT');
    const newSyn = synFrom(6, 50_000);
    assert.equal(tcb.handleSegment(newSyn, 100), 'reuse');
    const again = l.handleSegment(newSyn, 1, 100);
    assert.equal(again.kind, 'accepted');
  });
});
