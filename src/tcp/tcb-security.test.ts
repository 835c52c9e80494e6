// RFC 5961 and RFC 7323 §5 tests: RST/SYN challenge ACKs and their rate limit, ACK acceptance checks,
// PAWS, and the absence of ACK loops between two Tcbs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TcpSegment } from '../wire/tcp-segment.ts';
import { Tcb } from './tcb.ts';
import { resolveTcpConfig } from './tcp-config.ts';
import { Harness, expectSegments } from '../../test/helpers/tcb-harness.ts';

describe('RST (RFC 5961 §3)', () => {
  test('an exact RST resets the connection (ECONNRESET)', () => {
    const h = Harness.established();
    assert.deepEqual(h.send({ seq: 5001, flags: 'R' }), []);
    assert.deepEqual(h.takeEvents(), ['closed:ECONNRESET']);
  });

  test('an in-window but inexact RST draws a challenge ACK and changes nothing', () => {
    const h = Harness.established();
    expectSegments(h.send({ seq: 6000, flags: 'R' }), [{ flags: 'A', seq: 10001, ack: 5001 }]);
    assert.equal(h.tcb.state, 'ESTABLISHED');
    assert.equal(h.tcb.stats.challengeAcks, 1);
  });

  test('an out-of-window RST is silently dropped', () => {
    const h = Harness.established();
    assert.deepEqual(h.send({ seq: 5001 + 70_000, flags: 'R' }), []);
    assert.deepEqual(h.send({ seq: 4000, flags: 'R' }), []);
    assert.equal(h.tcb.state, 'ESTABLISHED');
  });
});

describe('SYN in a synchronized state (RFC 5961 §4)', () => {
  for (const seq of [5001, 5500, 900_000]) {
    test(`SYN at ${seq} draws a challenge ACK and does not reset`, () => {
      const h = Harness.established();
      expectSegments(h.send({ seq, flags: 'S' }), [{ flags: 'A', seq: 10001, ack: 5001 }]);
      assert.equal(h.tcb.state, 'ESTABLISHED');
    });
  }
});

describe('challenge ACK rate limit (RFC 5961 §7)', () => {
  test('at most challengeAckLimit per window, then allowed again in the next window', () => {
    const h = Harness.established({ config: { challengeAckLimit: 10, challengeAckWindowMs: 5000 } });
    let sent = 0;
    for (let i = 0; i < 25; i++) sent += h.send({ seq: 6000 + i, flags: 'R' }).length;
    assert.equal(sent, 10);
    assert.equal(h.tcb.stats.challengeAcksSuppressed, 15);
    h.now += 4999;
    assert.equal(h.send({ seq: 6000, flags: 'S' }).length, 0);
    h.now += 1;
    assert.equal(h.send({ seq: 6000, flags: 'S' }).length, 1);
  });

  test('duplicate data is always ACKed (not rate limited): the peer must learn RCV.NXT', () => {
    const h = Harness.established({ config: { challengeAckLimit: 1 } });
    h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: 'abc' });
    let acks = 0;
    for (let i = 0; i < 5; i++) acks += h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: 'abc' }).length;
    assert.equal(acks, 5);
  });
});

describe('ACK acceptance (RFC 5961 §5.2)', () => {
  test('an ACK for data never sent is answered with an ACK and the segment dropped', () => {
    const h = Harness.established();
    expectSegments(h.send({ seq: 5001, ack: 10500, flags: 'PA', payload: 'evil' }), [{ flags: 'A', seq: 10001, ack: 5001 }]);
    assert.equal(h.tcb.readableLength, 0);
  });

  test('an ACK older than SND.UNA - MAX.SND.WND is dropped; one within it is accepted', () => {
    const h = Harness.established({ peerWindow: 1000 });
    h.write(1000);
    h.out();
    h.send({ seq: 5001, ack: 11001, flags: 'A', window: 1000 });
    expectSegments(h.send({ seq: 5001, ack: 9000, flags: 'PA', payload: 'old' }), [{ flags: 'A', ack: 5001 }]);
    assert.equal(h.tcb.readableLength, 0);
    expectSegments(h.send({ seq: 5001, ack: 10500, flags: 'PA', payload: 'ok' }), [{ flags: 'A', ack: 5003 }]);
    assert.equal(h.readText(), 'ok');
  });
});

describe('PAWS (RFC 7323 §5)', () => {
  test('a segment with an older TSval is dropped and ACKed; TS.Recent follows in-order segments', () => {
    const h = Harness.established({ synOptions: { mss: 1460, timestamps: { tsVal: 1000, tsEcr: 0 } } });
    h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: 'new', options: { timestamps: { tsVal: 1005, tsEcr: 0 } } });
    const out = h.send({ seq: 5004, ack: 10001, flags: 'PA', payload: 'old', options: { timestamps: { tsVal: 1002, tsEcr: 0 } } });
    expectSegments(out, [{ flags: 'A', ack: 5004 }]);
    assert.deepEqual(out[0]!.options.timestamps, { tsVal: 0, tsEcr: 1005 });
    assert.equal(h.readText(), 'new');
    assert.equal(h.tcb.stats.drops.paws, 1);
    h.send({ seq: 5004, ack: 10001, flags: 'PA', payload: 'more', options: { timestamps: { tsVal: (1005 + 0x7ffffff0) >>> 0, tsEcr: 0 } } });
    assert.equal(h.readText(), 'more', 'newer in modular order is accepted');
  });

  test('a RST is not subject to PAWS', () => {
    const h = Harness.established({ synOptions: { mss: 1460, timestamps: { tsVal: 1000, tsEcr: 0 } } });
    h.send({ seq: 5001, flags: 'R', options: { timestamps: { tsVal: 1, tsEcr: 0 } } });
    assert.equal(h.tcb.state, 'CLOSED');
  });
});

describe('no ACK loops', () => {
  /** Two established Tcbs joined back to back; returns a pump that counts exchanged segments. */
  function pair() {
    const config = resolveTcpConfig({ challengeAckLimit: 1000 });
    const a = Tcb.connect({
      endpoints: { localAddress: 1, localPort: 40000, remoteAddress: 2, remotePort: 80 },
      iss: 100,
      now: 0,
      config,
    });
    const sent = a.takeOutgoing();
    assert.equal(sent.length, 1, 'exactly the SYN');
    const syn = sent[0]!;
    const b = Tcb.acceptSyn(syn, {
      endpoints: { localAddress: 2, localPort: 80, remoteAddress: 1, remotePort: 40000 },
      iss: 900,
      now: 0,
      config,
    });
    let exchanged = 0;
    const pump = (now: number): void => {
      for (let round = 0; round < 1000; round++) {
        const fromA = a.takeOutgoing();
        const fromB = b.takeOutgoing();
        if (fromA.length === 0 && fromB.length === 0) return;
        exchanged += fromA.length + fromB.length;
        for (const s of fromA) b.handleSegment(s, now);
        for (const s of fromB) a.handleSegment(s, now);
      }
      throw new Error('segments kept flowing: loop');
    };
    pump(0);
    assert.equal(a.state, 'ESTABLISHED');
    assert.equal(b.state, 'ESTABLISHED');
    return { a, b, pump, count: () => exchanged };
  }

  test('challenge ACKs provoked by forged RST, SYN and bad ACKs die out after one exchange', () => {
    const { a, b, pump, count } = pair();
    const before = count();
    const forged = (fields: Partial<TcpSegment>): TcpSegment => ({
      srcPort: 80, dstPort: 40000, seq: 0, ack: 0, flags: 0, window: 65535, urgentPointer: 0,
      options: {}, payload: new Uint8Array(0), ...fields,
    });
    a.handleSegment(forged({ seq: a.vars.rcvNxt + 10, flags: 0x04 }), 1);
    a.handleSegment(forged({ seq: a.vars.rcvNxt + 10, flags: 0x02 }), 1);
    a.handleSegment(forged({ seq: a.vars.rcvNxt, ack: a.vars.sndNxt + 5000, flags: 0x10 }), 1);
    a.handleSegment(forged({ seq: a.vars.rcvNxt - 100_000, ack: a.vars.sndNxt, flags: 0x10 }), 1);
    pump(1);
    assert.ok(count() - before <= 4, `exchanged ${count() - before}`);
    assert.equal(a.state, 'ESTABLISHED');
    assert.equal(b.state, 'ESTABLISHED');
    a.write(new Uint8Array([1, 2, 3]), 2);
    pump(2);
    assert.deepEqual(b.read(), new Uint8Array([1, 2, 3]));
  });
});
