// Scripted retransmission tests: RFC 6298 timing and backoff, Karn's rule, RTTM with timestamps, the
// retry limit, go-back-N after a timeout, fast retransmit / NewReno recovery, zero-window probing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, expectSegments } from '../../test/helpers/tcb-harness.ts';

describe('retransmission timeout', () => {
  test('RTO from the handshake sample, doubling backoff, ETIMEDOUT after maxRetransmits', () => {
    const h = Harness.established({ config: { maxRetransmits: 3, rtoMinMs: 250 }, handshakeRttMs: 100 });
    assert.equal(h.vars.rto, 300, 'SRTT 100 + 4 * RTTVAR 50');
    h.now = 1000;
    h.write('data');
    expectSegments(h.out(), [{ seq: 10001, payload: 'data' }]);
    assert.deepEqual(h.advance(299), []);
    const times: number[] = [];
    for (let i = 0; i < 10 && h.tcb.state !== 'CLOSED'; i++) {
      const sent = h.advance(h.tcb.pollAt()! - h.now);
      // Each expiry resends exactly the data, except the last, which gives up and sends nothing.
      expectSegments(sent, h.tcb.closeReason === undefined ? [{ flags: 'A', seq: 10001, payload: 'data' }] : [], `t=${h.now}`);
      if (sent.length > 0) times.push(h.now);
    }
    assert.deepEqual(times, [1300, 1900, 3100]);
    assert.equal(h.now, 5500);
    assert.deepEqual(h.takeEvents(), ['closed:ETIMEDOUT']);
    assert.equal(h.tcb.stats.retransmits, 3);
  });

  test('RTT samples update SRTT/RTTVAR (RFC 6298 §2.3) and the RTO is clamped to rtoMinMs', () => {
    const h = Harness.established({ handshakeRttMs: 100 });
    h.write('a');
    h.out();
    assert.equal(h.tcb.pollAt(), 400, 'timer armed at now + RTO 300');
    h.now = 200;
    h.send({ seq: 5001, ack: 10002, flags: 'A' }); // sample 100: RTTVAR 37.5, SRTT 100
    assert.equal(h.vars.srtt, 100);
    assert.equal(h.vars.rto, 250);
    for (let i = 0; i < 20; i++) {
      h.write('b');
      h.out();
      h.now += 5;
      h.send({ seq: 5001, ack: 10003 + i, flags: 'A' });
    }
    assert.ok(h.vars.srtt! < 30);
    assert.equal(h.vars.rto, 200);
  });

  test("Karn's rule: an ACK of a retransmitted segment gives no sample and the backoff stays", () => {
    const h = Harness.established({ handshakeRttMs: 100 });
    h.write('a');
    h.out();
    assert.equal(h.advance(300).length, 1);
    assert.equal(h.vars.rto, 600);
    h.now = 450;
    h.send({ seq: 5001, ack: 10002, flags: 'A' });
    assert.equal(h.vars.srtt, 100, 'no sample from the ambiguous ACK');
    assert.equal(h.vars.rto, 600, 'backed-off RTO kept until a valid sample');
    h.write('b');
    h.out();
    h.now = 550;
    h.send({ seq: 5001, ack: 10003, flags: 'A' });
    assert.equal(h.vars.srtt, 100);
    assert.equal(h.vars.rto, 250);
  });

  test('with timestamps the echoed TSval gives a sample even after a retransmission (RFC 7323 §4)', () => {
    const h = Harness.established({ synOptions: { mss: 1460, timestamps: { tsVal: 1, tsEcr: 0 } }, handshakeRttMs: 100 });
    h.write('a');
    h.out();
    const sent = h.advance(300);
    expectSegments(sent, [{ flags: 'A', seq: 10001, payload: 'a' }]);
    const tsVal = sent[0]!.options.timestamps!.tsVal;
    assert.equal(tsVal, 400);
    h.now = 480;
    h.send({ seq: 5001, ack: 10002, flags: 'A', options: { timestamps: { tsVal: 3, tsEcr: tsVal } } });
    assert.equal(h.vars.srtt, 97.5, '7/8 * 100 + 1/8 * 80');
  });

  test('a timeout resends only data sent before: never past SND.MAX or the peer window (fuzz regression)', () => {
    const h = Harness.established({ synOptions: { mss: 1000 }, peerWindow: 500 });
    h.write(3000);
    assert.deepEqual(h.out().map((s) => [s.seq, s.payload.length]), [[10001, 500]]);
    const rtx = h.advance(200);
    assert.deepEqual(rtx.map((s) => [s.seq, s.payload.length]), [[10001, 500]], 'not a full MSS of unsent bytes');
    assert.equal(h.vars.sndNxt, h.vars.sndMax);
    const next = h.send({ seq: 5001, ack: 10501, flags: 'A', window: 500 });
    assert.deepEqual(next.map((s) => [s.seq, s.payload.length]), [[10501, 500]]);
    assert.equal(h.tcb.unacknowledgedLength, 2500);
  });

  test('after a timeout: loss window of one segment, go-back-N, then slow start', () => {
    const h = Harness.established({ synOptions: { mss: 1000 } });
    h.write(3000);
    assert.equal(h.out().length, 3);
    const rtx = h.advance(200);
    assert.deepEqual(rtx.map((s) => [s.seq, s.payload.length]), [[10001, 1000]]);
    assert.equal(h.vars.cwnd, 1000);
    const next = h.send({ seq: 5001, ack: 11001, flags: 'A' });
    assert.deepEqual(next.map((s) => s.seq), [11001, 12001], 'cwnd grew to 2 segments');
  });
});

describe('fast retransmit (RFC 5681 §3.2) and NewReno recovery', () => {
  test('the third duplicate ACK retransmits at once; partial and full ACKs finish recovery', () => {
    const h = Harness.established({ synOptions: { mss: 1000 } });
    h.write(6000);
    assert.equal(h.out().length, 6);
    h.send({ seq: 5001, ack: 11001, flags: 'A' }); // first segment acked, second lost
    assert.deepEqual(h.send({ seq: 5001, ack: 11001, flags: 'A' }), []);
    assert.deepEqual(h.send({ seq: 5001, ack: 11001, flags: 'A' }), []);
    const fast = h.send({ seq: 5001, ack: 11001, flags: 'A' });
    assert.deepEqual(fast.map((s) => [s.seq, s.payload.length]), [[11001, 1000]]);
    assert.equal(h.tcb.stats.fastRetransmits, 1);
    assert.ok(h.now < 1000, 'before any RTO');
    const partial = h.send({ seq: 5001, ack: 13001, flags: 'A' }); // segment 4 (13001) also lost
    assert.deepEqual(partial.map((s) => s.seq), [13001]);
    h.send({ seq: 5001, ack: 16001, flags: 'A' });
    assert.equal(h.vars.ssthresh, 2500, 'half the 5000 bytes in flight at the third duplicate ACK');
    assert.equal(h.vars.cwnd, 1000, 'the full ACK ends recovery: cwnd deflated to min(ssthresh, flight + MSS) (RFC 6582 §3.2 step 3)');
    assert.equal(h.tcb.unacknowledgedLength, 0);
    assert.equal(h.tcb.pollAt(), undefined);
    assert.equal(h.tcb.stats.retransmits, 2);
  });

  test('duplicate ACKs carrying data or a window change do not count', () => {
    const h = Harness.established({ synOptions: { mss: 1000 } });
    h.write(4000);
    h.out();
    h.send({ seq: 5001, ack: 10001, flags: 'A', window: 60000 });
    h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: 'x' });
    h.send({ seq: 5002, ack: 10001, flags: 'A', window: 60000 });
    // Three more of each kind, each run on its own enough to reach a third duplicate ACK if it counted.
    for (let i = 0; i < 3; i++) h.send({ seq: 5002 + i, ack: 10001, flags: 'PA', window: 60000, payload: 'y' });
    for (let i = 0; i < 3; i++) h.send({ seq: 5005, ack: 10001, flags: 'A', window: i % 2 ? 60000 : 50000 });
    assert.equal(h.tcb.stats.fastRetransmits, 0);
    // Control: three true duplicates (no data, same window, data outstanding) do trigger it.
    for (let i = 0; i < 3; i++) h.send({ seq: 5005, ack: 10001, flags: 'A', window: 50000 });
    assert.equal(h.tcb.stats.fastRetransmits, 1);
  });
});

describe('zero window (RFC 9293 §3.8.6.1)', () => {
  test('probes back off while the peer answers, never time out, and data resumes when it opens', () => {
    const h = Harness.established({ config: { maxRetransmits: 3 } });
    h.send({ seq: 5001, ack: 10001, flags: 'A', window: 0 });
    h.write('queued data');
    assert.deepEqual(h.out(), [], 'nothing fits a zero window');
    const probeTimes: number[] = [];
    for (let i = 0; i < 8; i++) {
      const at = h.tcb.pollAt()!;
      expectSegments(h.advance(at - h.now), [{ flags: 'A', seq: 10001, payload: 'q' }], `probe ${i}`);
      probeTimes.push(h.now);
      assert.deepEqual(h.send({ seq: 5001, ack: 10001, flags: 'A', window: 0 }), []);
    }
    assert.deepEqual(probeTimes, [200, 600, 1400, 3000, 6200, 12600, 25400, 51000]);
    const later: number[] = [];
    for (let i = 0; i < 3; i++) {
      h.advance(h.tcb.pollAt()! - h.now);
      later.push(h.now);
      h.send({ seq: 5001, ack: 10001, flags: 'A', window: 0 });
    }
    assert.deepEqual([later[1]! - later[0]!, later[2]! - later[1]!], [60_000, 60_000], 'interval capped at rtoMaxMs');
    assert.equal(h.tcb.state, 'ESTABLISHED', 'an answering peer is never timed out');
    assert.equal(h.tcb.stats.zeroWindowProbes, 11);
    const out = h.send({ seq: 5001, ack: 10001, flags: 'A', window: 1000 });
    expectSegments(out, [{ seq: 10001, payload: 'queued data' }]);
    assert.equal(h.tcb.pollAt(), h.now + h.vars.rto);
  });

  test('a probe byte accepted by the peer advances SND.NXT', () => {
    const h = Harness.established();
    h.send({ seq: 5001, ack: 10001, flags: 'A', window: 0 });
    h.write('ab');
    h.advance(200);
    const out = h.send({ seq: 5001, ack: 10002, flags: 'A', window: 100 });
    expectSegments(out, [{ seq: 10002, payload: 'b' }]);
  });

  test('unanswered probes end in ETIMEDOUT', () => {
    const h = Harness.established({ config: { maxRetransmits: 2 } });
    h.send({ seq: 5001, ack: 10001, flags: 'A', window: 0 });
    h.write('x');
    const probes = h.advance(1_000_000);
    assert.equal(probes.length, 2);
    assert.deepEqual(h.takeEvents(), ['closed:ETIMEDOUT']);
  });

  test('no retransmission storm: with a zero window, sending stays bounded over ten minutes', () => {
    const h = Harness.established();
    h.write(5000);
    h.out();
    h.send({ seq: 5001, ack: 15001, flags: 'A', window: 0 });
    h.write(5000);
    let sent = 0;
    for (let t = 0; t < 600; t++) {
      sent += h.advance(1000).length;
      if (t % 7 === 0) h.send({ seq: 5001, ack: 15001, flags: 'A', window: 0 });
    }
    assert.ok(sent <= 20, `sent ${sent} segments in 10 minutes`);
    assert.equal(h.tcb.state, 'ESTABLISHED');
  });
});
