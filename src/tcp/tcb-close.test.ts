// Scripted close tests: active, passive and simultaneous close, TIME-WAIT (2*MSL, retransmitted FIN,
// RFC 1337, RFC 6191 reuse), close() with unread data, orphan FIN-WAIT-2 timeout, abort.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, expectSegments } from '../../test/helpers/tcb-harness.ts';

const MSL = 1000;
const TS = { timestamps: { tsVal: 100, tsEcr: 0 }, mss: 1460 };

describe('active close', () => {
  test('FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT -> CLOSED after exactly 2*MSL', () => {
    const h = Harness.established({ config: { mslMs: MSL } });
    h.tcb.shutdownWrite(h.now);
    assert.equal(h.tcb.state, 'FIN-WAIT-1');
    expectSegments(h.out(), [{ flags: 'FA', seq: 10001, ack: 5001 }]);
    assert.throws(() => h.write('late'), { code: 'ERR_TCP_NOT_WRITABLE' });
    assert.equal(h.tcb.writableSpace, 0);
    assert.deepEqual(h.send({ seq: 5001, ack: 10002, flags: 'A' }), []);
    assert.equal(h.tcb.state, 'FIN-WAIT-2');
    assert.equal(h.tcb.pollAt(), undefined, 'no FIN-WAIT-2 timer while the app may still read');
    h.send({ seq: 5001, ack: 10002, flags: 'PA', payload: 'still flowing' });
    assert.equal(h.readText(), 'still flowing');
    h.now = 100;
    expectSegments(h.send({ seq: 5014, ack: 10002, flags: 'FA' }), [{ flags: 'A', seq: 10002, ack: 5015 }]);
    assert.equal(h.tcb.state, 'TIME-WAIT');
    h.advance(2 * MSL - 1);
    assert.equal(h.tcb.state, 'TIME-WAIT');
    h.advance(1);
    assert.equal(h.tcb.state, 'CLOSED');
    assert.deepEqual(h.takeEvents(), ['readable', 'peerFin', 'closed:normal']);
  });

  test('with Nagle, held data and the FIN share one segment once the ACK arrives', () => {
    const h = Harness.established({ config: { nagle: true } });
    h.write('bye');
    expectSegments(h.out(), [{ flags: 'A', seq: 10001, payload: 'bye' }]);
    h.write('!!');
    h.tcb.shutdownWrite(h.now);
    assert.deepEqual(h.out(), [], 'Nagle holds a small segment while data is unacknowledged');
    expectSegments(h.send({ seq: 5001, ack: 10004, flags: 'A' }), [{ flags: 'FA', seq: 10004, payload: '!!' }]);
  });

  test('FIN+ACK of our FIN in FIN-WAIT-1 goes straight to TIME-WAIT', () => {
    const h = Harness.established();
    h.tcb.shutdownWrite(h.now);
    h.out();
    expectSegments(h.send({ seq: 5001, ack: 10002, flags: 'FA' }), [{ flags: 'A', ack: 5002 }]);
    assert.equal(h.tcb.state, 'TIME-WAIT');
  });

  test('simultaneous close: FINs cross, CLOSING, then TIME-WAIT on the ACK', () => {
    const h = Harness.established();
    h.tcb.shutdownWrite(h.now);
    expectSegments(h.out(), [{ flags: 'FA', seq: 10001, ack: 5001 }]);
    expectSegments(h.send({ seq: 5001, ack: 10001, flags: 'FA' }), [{ flags: 'A', seq: 10002, ack: 5002 }]);
    assert.equal(h.tcb.state, 'CLOSING');
    h.send({ seq: 5002, ack: 10002, flags: 'A' });
    assert.equal(h.tcb.state, 'TIME-WAIT');
  });

  test('CLOSING retransmits the FIN on timeout', () => {
    const h = Harness.established();
    h.tcb.shutdownWrite(h.now);
    h.out();
    h.send({ seq: 5001, ack: 10001, flags: 'FA' });
    expectSegments(h.advance(1000), [{ flags: 'FA', seq: 10001, ack: 5002 }, { flags: 'FA', seq: 10001, ack: 5002 }], 'RTO 200 ms, then 400 ms: two retransmissions in 1 s');
  });
});

describe('passive close', () => {
  test('CLOSE-WAIT -> LAST-ACK -> CLOSED; the app can still write in CLOSE-WAIT', () => {
    const h = Harness.established();
    expectSegments(h.send({ seq: 5001, ack: 10001, flags: 'FA' }), [{ flags: 'A', ack: 5002 }]);
    assert.equal(h.tcb.state, 'CLOSE-WAIT');
    h.write('response');
    expectSegments(h.out(), [{ flags: 'A', payload: 'response' }]);
    h.tcb.shutdownWrite(h.now);
    expectSegments(h.out(), [{ flags: 'FA', seq: 10009 }]);
    assert.equal(h.tcb.state, 'LAST-ACK');
    h.send({ seq: 5002, ack: 10009, flags: 'A' });
    assert.equal(h.tcb.state, 'LAST-ACK', 'data acked, FIN not yet');
    h.send({ seq: 5002, ack: 10010, flags: 'A' });
    assert.equal(h.tcb.state, 'CLOSED');
    assert.deepEqual(h.takeEvents(), ['peerFin', 'closed:normal']);
  });

  test('LAST-ACK retransmits the FIN and times out after the retry limit', () => {
    const h = Harness.established({ config: { maxRetransmits: 2 } });
    h.send({ seq: 5001, ack: 10001, flags: 'FA' });
    h.tcb.shutdownWrite(h.now);
    h.out();
    const sent = h.advance(60_000);
    assert.deepEqual(sent.map((s) => [s.seq, s.flags & 1]), [[10001, 1], [10001, 1]]);
    assert.deepEqual(h.takeEvents(), ['peerFin', 'closed:ETIMEDOUT']);
  });
});

describe('TIME-WAIT', () => {
  const timeWait = (options: Parameters<typeof Harness.established>[0] = {}): Harness => {
    const h = Harness.established({ config: { mslMs: MSL }, ...options });
    h.tcb.shutdownWrite(h.now);
    h.out();
    const ts = options.synOptions?.timestamps ? { timestamps: { tsVal: 200, tsEcr: 0 } } : {};
    h.send({ seq: 5001, ack: 10002, flags: 'FA', options: ts });
    h.out();
    assert.equal(h.tcb.state, 'TIME-WAIT');
    h.takeEvents();
    return h;
  };

  test('a retransmitted FIN is ACKed again and restarts the 2*MSL timer', () => {
    const h = timeWait();
    h.advance(1500);
    expectSegments(h.send({ seq: 5001, ack: 10002, flags: 'FA' }), [{ flags: 'A', seq: 10002, ack: 5002 }]);
    h.advance(1999);
    assert.equal(h.tcb.state, 'TIME-WAIT');
    h.advance(1);
    assert.equal(h.tcb.state, 'CLOSED');
  });

  test('RST is ignored in TIME-WAIT (RFC 1337)', () => {
    const h = timeWait();
    h.send({ seq: 5002, flags: 'R' });
    assert.equal(h.tcb.state, 'TIME-WAIT');
  });

  test('reuse without timestamps: a SYN above RCV.NXT ends TIME-WAIT, an old one is challenged', () => {
    const h = timeWait();
    assert.equal(h.tcb.handleSegment(h.inbound({ seq: 5001, flags: 'S', options: { mss: 1460 } }), h.now), 'ok');
    expectSegments(h.out(), [{ flags: 'A', seq: 10002, ack: 5002 }]);
    assert.equal(h.tcb.state, 'TIME-WAIT');
    assert.equal(h.tcb.handleSegment(h.inbound({ seq: 90_000, flags: 'S', options: { mss: 1460 } }), h.now), 'reuse');
    assert.equal(h.tcb.state, 'CLOSED');
    assert.deepEqual(h.out(), []);
    assert.deepEqual(h.takeEvents(), ['closed:reused']);
  });

  test('reuse with timestamps (RFC 6191): only a newer TSval ends TIME-WAIT, whatever the seq', () => {
    const h = timeWait({ synOptions: TS });
    assert.equal(h.tcb.handleSegment(h.inbound({ seq: 1, flags: 'S', options: { mss: 1460, timestamps: { tsVal: 150, tsEcr: 0 } } }), h.now), 'ok');
    assert.equal(h.tcb.state, 'TIME-WAIT');
    assert.equal(h.tcb.handleSegment(h.inbound({ seq: 1, flags: 'S', options: { mss: 1460, timestamps: { tsVal: 201, tsEcr: 0 } } }), h.now), 'reuse');
    assert.equal(h.tcb.state, 'CLOSED');
  });
});

describe('close() and abort()', () => {
  test('close() with unread data sends RST and closes with ECONNABORTED (RFC 2525 §2.17)', () => {
    const h = Harness.established();
    h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: 'unread' });
    h.tcb.close(h.now);
    expectSegments(h.out(), [{ flags: 'RA', seq: 10001, ack: 5007 }]);
    assert.deepEqual(h.takeEvents(), ['readable', 'closed:ECONNABORTED']);
  });

  test('data arriving after close() draws a RST', () => {
    const h = Harness.established();
    h.tcb.close(h.now);
    expectSegments(h.out(), [{ flags: 'FA', seq: 10001 }]);
    h.send({ seq: 5001, ack: 10002, flags: 'A' });
    assert.equal(h.tcb.state, 'FIN-WAIT-2');
    expectSegments(h.send({ seq: 5001, ack: 10002, flags: 'PA', payload: 'x' }), [{ flags: 'RA', seq: 10002 }]);
    assert.deepEqual(h.takeEvents(), ['closed:ECONNABORTED']);
  });

  test('an orphaned FIN-WAIT-2 ends after finWait2TimeoutMs', () => {
    const h = Harness.established({ config: { finWait2TimeoutMs: 5000 } });
    h.tcb.close(h.now);
    h.out();
    h.send({ seq: 5001, ack: 10002, flags: 'A' });
    assert.equal(h.tcb.pollAt(), 5000);
    h.advance(5000);
    assert.deepEqual(h.takeEvents(), ['closed:ETIMEDOUT']);
  });

  test('close() in FIN-WAIT-2 after shutdownWrite arms the timer too', () => {
    const h = Harness.established({ config: { finWait2TimeoutMs: 5000 } });
    h.tcb.shutdownWrite(h.now);
    h.out();
    h.send({ seq: 5001, ack: 10002, flags: 'A' });
    h.now = 100;
    h.tcb.close(h.now);
    assert.equal(h.tcb.pollAt(), 5100);
  });

  test('abort() sends RST in a synchronized state and closes with ECONNABORTED', () => {
    const h = Harness.established();
    h.write('pending');
    h.out();
    h.tcb.abort(h.now);
    expectSegments(h.out(), [{ flags: 'RA', seq: 10008 }]);
    assert.equal(h.tcb.state, 'CLOSED');
    assert.equal(h.tcb.pollAt(), undefined);
    assert.deepEqual(h.takeEvents(), ['closed:ECONNABORTED']);
    assert.throws(() => h.write('x'), { code: 'ERR_TCP_NOT_WRITABLE' });
    h.tcb.abort(h.now);
    assert.deepEqual(h.takeEvents(), [], 'closed is delivered once');
  });

  test('a segment for a CLOSED Tcb is answered like a closed port', () => {
    const h = Harness.established();
    h.tcb.abort(h.now);
    h.out();
    expectSegments(h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: 'x' }), [{ flags: 'R', seq: 10001 }]);
  });
});
