// LISTEN behaviour: SYN -> SYN-RECEIVED Tcb, RST for ACKs, the bounded SYN backlog and its per-source share,
// SYN cookies past either bound (RFC 4987 §3.6), TIME-WAIT reuse.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createIsnSource, sipHashKeyedHash } from './isn.ts';
import { resolveTcpConfig } from './tcp-config.ts';
import { TcpListener } from './tcp-listener.ts';
import { createSynCookies } from './syn-cookie.ts';
import { TcpFlags } from '../wire/tcp-segment.ts';
import { expectSegment, expectSegments, flagsOf, segment } from '../../test/helpers/tcb-harness.ts';
import type { TcpSegment } from '../wire/tcp-segment.ts';

const isn = createIsnSource(sipHashKeyedHash(new Uint8Array(16).fill(7)));
const cookies = createSynCookies(sipHashKeyedHash(new Uint8Array(16).fill(7)));
const listen = (config = {}): TcpListener =>
  new TcpListener({ localAddress: 0xa9fea9fe, localPort: 80, isn, cookies, config: resolveTcpConfig(config) });
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
    expectSegments(tcb.takeOutgoing(), [{ flags: 'SA', seq: expectedIss, ack: 1001, length: 0 }]);
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
    const l = listen({ synBacklog: 2, synReceivedTimeoutMs: 3000, synAckRetries: 10, synCookies: false });
    const first = l.handleSegment(synFrom(1), 1, 0);
    const second = l.handleSegment(synFrom(2), 1, 0);
    assert.deepEqual(l.handleSegment(synFrom(3), 1, 0), { kind: 'dropped', reason: 'backlog-full' });
    assert.equal(l.backlogDrops, 1);
    if (first.kind !== 'accepted' || second.kind !== 'accepted') throw new Error('expected accepted');
    const firstOut = first.tcb.takeOutgoing();
    assert.deepEqual(firstOut.map((x) => [flagsOf(x), x.ack]), [['SA', 1001]], 'exactly the SYN-ACK');
    const synAck = firstOut[0]!;
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
    const out = verdict.tcb.takeOutgoing();
    assert.deepEqual(out.map((x) => [flagsOf(x), x.ack]), [['SA', 1001]], 'exactly the SYN-ACK');
    const synAck = out[0]!;
    verdict.tcb.handleSegment({ ...segment({ seq: 1001, ack: synAck.seq + 1, flags: 'A' }), srcPort: 5 }, 1);
    assert.deepEqual(events, ['established']);
  });

  test('TIME-WAIT reuse: the Tcb says reuse and the listener accepts the same SYN', () => {
    const l = listen({ mslMs: 1000 });
    const verdict = l.handleSegment(synFrom(6, 1000), 1, 0);
    if (verdict.kind !== 'accepted') throw new Error('expected accepted');
    const tcb = verdict.tcb;
    const out = tcb.takeOutgoing();
    assert.deepEqual(out.map((x) => [flagsOf(x), x.ack]), [['SA', 1001]], 'exactly the SYN-ACK');
    const iss = out[0]!.seq;
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

  test('an ordinary burst from one client (200 SYNs at once) stays stateful under the defaults: no cookies', () => {
    const l = listen();
    for (let port = 1; port <= 200; port++) assert.equal(l.handleSegment(synFrom(port), 7, 0).kind, 'accepted', `SYN ${port}`);
    assert.equal(l.halfOpenFrom(7), 200);
    assert.deepEqual(l.cookieStats, { sent: 0, accepted: 0, rejected: 0 });
  });

  test('past its per-source share a source gets SYN cookies; other sources still get stateful slots', () => {
    const l = listen({ synBacklogPerSource: 2 });
    assert.equal(l.handleSegment(synFrom(1), 7, 0).kind, 'accepted');
    assert.equal(l.handleSegment(synFrom(2), 7, 0).kind, 'accepted');
    const third = l.handleSegment(synFrom(40000, 5000), 7, 0);
    assert.equal(third.kind, 'reply', 'a cookie SYN-ACK, no state');
    if (third.kind === 'reply') expectSegment(third.segment, { flags: 'SA', ack: 5001 });
    assert.equal(l.halfOpenFrom(7), 2);
    assert.equal(l.synBacklogLength, 2);
    assert.equal(l.handleSegment(synFrom(4), 8, 0).kind, 'accepted', 'another VM is not affected');
    assert.deepEqual(l.cookieStats, { sent: 1, accepted: 0, rejected: 0 });
  });

  test('a cookie ACK rebuilds the connection with the MSS, window scale and timestamps of the SYN', () => {
    const l = listen({ synBacklog: 1 });
    l.handleSegment(synFrom(1), 7, 0);
    const options = { mss: 1400, windowScale: 7, sackPermitted: true, timestamps: { tsVal: 77_000, tsEcr: 0 } };
    const syn: TcpSegment = { ...segment({ seq: 0xfffffffe, flags: 'S', options }), srcPort: 40000 };
    const reply = l.handleSegment(syn, 7, 1000);
    if (reply.kind !== 'reply') throw new Error(`expected a cookie SYN-ACK, got ${reply.kind}`);
    const synAck = reply.segment;
    expectSegment(synAck, { flags: 'SA', ack: 0xffffffff, window: 65535 });
    assert.equal(synAck.options.mss, 1460);
    assert.equal(synAck.options.windowScale, 3, 'our shift for a 256 KiB buffer');
    assert.equal(synAck.options.timestamps?.tsEcr, 77_000);
    const events: string[] = [];
    const ack: TcpSegment = {
      ...segment({ seq: 0xffffffff, ack: synAck.seq + 1, flags: 'A', window: 1000, payload: 'GET / HTTP/1.1\r\n\r\n', options: { timestamps: { tsVal: 77_010, tsEcr: synAck.options.timestamps!.tsVal } } }),
      srcPort: 40000,
    };
    const verdict = l.handleSegment(ack, 7, 1010, { established: () => events.push('established'), readable: () => events.push('readable') });
    if (verdict.kind !== 'cookie') throw new Error(`expected cookie, got ${verdict.kind}`);
    assert.equal(verdict.tcb.state, 'SYN-RECEIVED');
    assert.equal(verdict.tcb.hasOutgoing, false);
    verdict.tcb.handleSegment(ack, 1010);
    assert.equal(verdict.tcb.state, 'ESTABLISHED');
    assert.deepEqual(events, ['established', 'readable']);
    const v = verdict.tcb.vars;
    assert.equal(v.sndMss, 1300, 'the cookie MSS below 1400');
    assert.equal(v.sndWscale, 7);
    assert.equal(v.rcvWscale, 3);
    assert.equal(v.timestamps, true);
    assert.equal(v.sndWnd, 1000 << 7, 'the ACK window scaled');
    assert.equal(v.irs, 0xfffffffe);
    assert.equal(v.sndUna, (synAck.seq + 1) >>> 0);
    assert.equal(verdict.tcb.readableLength, 18);
    assert.deepEqual(l.cookieStats, { sent: 1, accepted: 1, rejected: 0 });
  });

  test('without timestamps a cookie keeps the MSS only (window scaling is lost, as on Linux)', () => {
    const l = listen({ synBacklog: 1 });
    l.handleSegment(synFrom(1), 7, 0);
    const syn: TcpSegment = { ...segment({ seq: 10, flags: 'S', options: { mss: 1460, windowScale: 7 } }), srcPort: 9 };
    const reply = l.handleSegment(syn, 7, 0);
    if (reply.kind !== 'reply') throw new Error('expected a cookie SYN-ACK');
    assert.equal(reply.segment.options.windowScale, 3, 'offered in the SYN-ACK, but not recoverable');
    const ack: TcpSegment = { ...segment({ seq: 11, ack: reply.segment.seq + 1, flags: 'A' }), srcPort: 9 };
    const verdict = l.handleSegment(ack, 7, 5);
    if (verdict.kind !== 'cookie') throw new Error('expected cookie');
    verdict.tcb.handleSegment(ack, 5);
    assert.equal(verdict.tcb.vars.sndMss, 1460);
    assert.equal(verdict.tcb.vars.sndWscale, 0);
    assert.equal(verdict.tcb.vars.timestamps, false);
  });

  test('an ACK with a wrong cookie gets a RST; cookies are not checked when none were sent recently', () => {
    const l = listen({ synBacklog: 1 });
    l.handleSegment(synFrom(1), 7, 0);
    const reply = l.handleSegment({ ...synFrom(9, 10) }, 7, 0);
    if (reply.kind !== 'reply') throw new Error('expected a cookie SYN-ACK');
    const wrong = l.handleSegment({ ...segment({ seq: 11, ack: reply.segment.seq + 2, flags: 'A' }), srcPort: 9 }, 7, 5);
    assert.equal(wrong.kind, 'reply');
    if (wrong.kind === 'reply') assert.equal(wrong.segment.flags, TcpFlags.RST);
    assert.equal(l.cookieStats.rejected, 1);
    const late = l.handleSegment({ ...segment({ seq: 11, ack: reply.segment.seq + 1, flags: 'A' }), srcPort: 9 }, 7, 120_000);
    assert.equal(late.kind, 'reply', 'two periods after the last cookie: a RST, not checked');
    assert.equal(l.cookieStats.rejected, 1);
  });

  test('with synCookies off a full share drops the SYN', () => {
    const l = listen({ synBacklogPerSource: 1, synCookies: false });
    l.handleSegment(synFrom(1), 7, 0);
    assert.deepEqual(l.handleSegment(synFrom(2), 7, 0), { kind: 'dropped', reason: 'backlog-full' });
    assert.equal(l.handleSegment(synFrom(3), 8, 0).kind, 'accepted');
  });
});
