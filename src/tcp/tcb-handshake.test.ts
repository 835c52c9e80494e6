// Scripted handshake tests: passive open (SYN-RECEIVED), active open (SYN-SENT), simultaneous open,
// SYN/SYN-ACK retransmission and timeouts, FIN and data on the third segment.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Tcb } from './tcb.ts';
import { resolveTcpConfig } from './tcp-config.ts';
import { Harness, SERVER_ENDPOINTS, expectSegment, expectSegments } from '../../test/helpers/tcb-harness.ts';

describe('passive open (SYN-RECEIVED)', () => {
  test('SYN gets a SYN-ACK with our MSS only when the peer offered only MSS', () => {
    const { h, synAck } = Harness.synReceived();
    expectSegment(synAck, { flags: 'SA', seq: 10000, ack: 5001, window: 65535, length: 0 });
    assert.deepEqual(synAck.options, { mss: 1460 });
    assert.equal(h.tcb.state, 'SYN-RECEIVED');
    assert.equal(h.tcb.pollAt(), 1000);
  });

  test('window scale and timestamps are echoed when offered; SACK-permitted accepted, not offered', () => {
    const { h, synAck } = Harness.synReceived({
      synOptions: { mss: 1400, windowScale: 7, timestamps: { tsVal: 777, tsEcr: 0 }, sackPermitted: true },
      now: 50,
    });
    assert.deepEqual(synAck.options, { mss: 1460, windowScale: 3, timestamps: { tsVal: 50, tsEcr: 777 } });
    expectSegment(synAck, { window: 65535 }); // never scaled in a SYN (RFC 7323 §2.2)
    h.send({ seq: 5001, ack: 10001, flags: 'A', window: 100, options: { timestamps: { tsVal: 778, tsEcr: 50 } } });
    assert.equal(h.tcb.state, 'ESTABLISHED');
    const v = h.vars;
    assert.equal(v.sndWnd, 100 << 7);
    assert.equal(v.sndMss, 1400);
    assert.equal(v.rcvWscale, 3);
    assert.equal(v.timestamps, true);
    h.write('x');
    const out = h.out();
    expectSegments(out, [{ flags: 'A', seq: 10001, ack: 5001, window: (256 * 1024) / 8, payload: 'x' }]);
    assert.deepEqual(out[0]!.options, { timestamps: { tsVal: 50, tsEcr: 778 } });
  });

  test('the third-step ACK establishes the connection and fires established', () => {
    const { h } = Harness.synReceived();
    assert.deepEqual(h.send({ seq: 5001, ack: 10001, flags: 'A' }), []);
    assert.equal(h.tcb.state, 'ESTABLISHED');
    assert.deepEqual(h.takeEvents(), ['established']);
    assert.equal(h.tcb.pollAt(), undefined);
  });

  test('data on the third-step ACK is delivered', () => {
    const { h } = Harness.synReceived();
    const out = h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: 'GET /' });
    expectSegments(out, [{ flags: 'A', seq: 10001, ack: 5006 }]);
    assert.equal(h.readText(), 'GET /');
    assert.deepEqual(h.takeEvents(), ['established', 'readable']);
  });

  test('FIN in SYN-RECEIVED: ESTABLISHED then CLOSE-WAIT, the FIN is acknowledged, and close completes', () => {
    const { h } = Harness.synReceived();
    const out = h.send({ seq: 5001, ack: 10001, flags: 'FA' });
    expectSegments(out, [{ flags: 'A', seq: 10001, ack: 5002 }]);
    assert.equal(h.tcb.state, 'CLOSE-WAIT');
    assert.equal(h.tcb.peerFinished, true);
    assert.deepEqual(h.takeEvents(), ['established', 'peerFin']);
    h.tcb.shutdownWrite(h.now);
    expectSegments(h.out(), [{ flags: 'FA', seq: 10001, ack: 5002 }]);
    assert.equal(h.tcb.state, 'LAST-ACK');
    h.send({ seq: 5002, ack: 10002, flags: 'A' });
    assert.equal(h.tcb.state, 'CLOSED');
    assert.deepEqual(h.takeEvents(), ['closed:normal']);
  });

  test('a FIN without the handshake ACK bit is dropped in SYN-RECEIVED', () => {
    const { h } = Harness.synReceived();
    assert.deepEqual(h.send({ seq: 5001, flags: 'F' }), []);
    assert.equal(h.tcb.state, 'SYN-RECEIVED');
  });

  test('a retransmitted SYN gets the SYN-ACK again at once', () => {
    const { h } = Harness.synReceived();
    h.now = 300;
    const out = h.send({ seq: 5000, flags: 'S', options: { mss: 1460 } });
    expectSegments(out, [{ flags: 'SA', seq: 10000, ack: 5001 }]);
    assert.equal(h.tcb.state, 'SYN-RECEIVED');
  });

  test('an unacceptable ACK in SYN-RECEIVED draws <SEQ=SEG.ACK><CTL=RST> and keeps the state', () => {
    const { h } = Harness.synReceived();
    const out = h.send({ seq: 5001, ack: 12345, flags: 'A' });
    expectSegments(out, [{ flags: 'R', seq: 12345 }]);
    assert.equal(h.tcb.state, 'SYN-RECEIVED');
  });

  test('an exact RST in SYN-RECEIVED closes with ECONNRESET', () => {
    const { h } = Harness.synReceived();
    assert.deepEqual(h.send({ seq: 5001, flags: 'R' }), []);
    assert.equal(h.tcb.state, 'CLOSED');
    assert.deepEqual(h.takeEvents(), ['closed:ECONNRESET']);
  });

  test('SYN-ACK is retransmitted with exponential backoff, then ETIMEDOUT', () => {
    const { h } = Harness.synReceived({ config: { synAckRetries: 3 } });
    const times: number[] = [];
    for (let i = 0; i < 20 && h.tcb.state !== 'CLOSED'; i++) {
      const at = h.tcb.pollAt()!;
      const sent = h.advance(at - h.now);
      // Each expiry resends exactly the SYN-ACK, except the last, which gives up and sends nothing.
      expectSegments(sent, h.tcb.closeReason === undefined ? [{ flags: 'SA', seq: 10000, ack: 5001 }] : [], `t=${h.now}`);
      if (sent.length > 0) times.push(h.now);
    }
    assert.deepEqual(times, [1000, 3000, 7000]);
    assert.equal(h.now, 15000);
    assert.deepEqual(h.takeEvents(), ['closed:ETIMEDOUT']);
    assert.equal(h.tcb.stats.timeouts, 4);
  });

  test('the SYN-RECEIVED lifetime cap closes a half-open connection', () => {
    const { h } = Harness.synReceived({ config: { synReceivedTimeoutMs: 2500, synAckRetries: 10 } });
    h.advance(2499);
    assert.equal(h.tcb.state, 'SYN-RECEIVED');
    h.advance(1);
    assert.equal(h.tcb.state, 'CLOSED');
    assert.deepEqual(h.takeEvents(), ['closed:ETIMEDOUT']);
  });
});

describe('active open (SYN-SENT)', () => {
  const open = (config = {}): Harness => {
    const resolved = resolveTcpConfig(config);
    const tcb = Tcb.connect({ endpoints: SERVER_ENDPOINTS, iss: 0x1000, now: 0, config: resolved, tsOffset: 5 });
    return new Harness(tcb, resolved, 0);
  };

  test('connect sends a SYN with MSS, window scale and timestamps; SYN-ACK completes it', () => {
    const h = open();
    const sent = h.out();
    expectSegments(sent, [{ flags: 'S', seq: 0x1000, window: 65535, length: 0 }]);
    assert.deepEqual(sent[0]!.options, { mss: 1460, windowScale: 3, timestamps: { tsVal: 5, tsEcr: 0 } });
    h.now = 40;
    const out = h.send({
      seq: 900,
      ack: 0x1001,
      flags: 'SA',
      window: 29200,
      options: { mss: 1000, windowScale: 2, timestamps: { tsVal: 3000, tsEcr: 5 } },
    });
    expectSegments(out, [{ flags: 'A', seq: 0x1001, ack: 901 }]);
    assert.deepEqual(out[0]!.options, { timestamps: { tsVal: 45, tsEcr: 3000 } });
    assert.equal(h.tcb.state, 'ESTABLISHED');
    assert.deepEqual(h.takeEvents(), ['established']);
    const v = h.vars;
    assert.equal(v.sndWnd, 29200, 'the SYN-ACK window is not scaled');
    assert.equal(v.sndMss, 1000);
    assert.equal(v.srtt, 40, 'RTT sampled from the echoed timestamp');
  });

  test('without timestamps the SYN is timed directly (Karn allows it when not retransmitted)', () => {
    const h = open({ timestamps: false });
    h.out();
    h.now = 80;
    h.send({ seq: 900, ack: 0x1001, flags: 'SA', options: { mss: 1460 } });
    assert.equal(h.vars.srtt, 80);
    assert.equal(h.vars.rto, 240);
  });

  test('RST with an acceptable ACK refuses the connection (ECONNREFUSED)', () => {
    const h = open();
    h.out();
    assert.deepEqual(h.send({ seq: 0, ack: 0x1001, flags: 'RA' }), []);
    assert.deepEqual(h.takeEvents(), ['closed:ECONNREFUSED']);
  });

  test('RST without ACK or with a bad ACK is ignored in SYN-SENT', () => {
    const h = open();
    h.out();
    assert.deepEqual(h.send({ seq: 0, flags: 'R' }), []);
    assert.deepEqual(h.send({ seq: 0, ack: 0x2000, flags: 'RA' }), []);
    assert.equal(h.tcb.state, 'SYN-SENT');
  });

  test('a SYN-ACK with an unacceptable ACK draws a RST and keeps SYN-SENT', () => {
    const h = open();
    h.out();
    const out = h.send({ seq: 900, ack: 0x1000, flags: 'SA' });
    expectSegments(out, [{ flags: 'R', seq: 0x1000 }]);
    assert.equal(h.tcb.state, 'SYN-SENT');
  });

  test('SYN retransmissions back off and end in ETIMEDOUT', () => {
    const h = open({ synRetries: 2 });
    h.out();
    const times: number[] = [];
    for (let i = 0; i < 10 && h.tcb.state !== 'CLOSED'; i++) {
      const sent = h.advance(h.tcb.pollAt()! - h.now);
      expectSegments(sent, h.tcb.closeReason === undefined ? [{ flags: 'S', seq: 0x1000 }] : [], `t=${h.now}`);
      if (sent.length > 0) times.push(h.now);
    }
    assert.deepEqual(times, [1000, 3000], 'RTO 1000 ms, doubled before each retransmission');
    assert.equal(h.now, 7000, 'gives up after the last doubled RTO');
    assert.equal(h.tcb.state, 'CLOSED');
    assert.deepEqual(h.takeEvents(), ['closed:ETIMEDOUT']);
  });

  test('simultaneous open: SYN in SYN-SENT -> SYN-RECEIVED with SYN-ACK, then ESTABLISHED', () => {
    const h = open({ timestamps: false, windowScaling: false });
    h.out();
    const out = h.send({ seq: 700, flags: 'S', options: { mss: 1460 } });
    expectSegments(out, [{ flags: 'SA', seq: 0x1000, ack: 701 }]);
    assert.equal(h.tcb.state, 'SYN-RECEIVED');
    // The peer's SYN-ACK (its SYN is a duplicate) completes the handshake, as on Linux.
    assert.deepEqual(h.send({ seq: 700, ack: 0x1001, flags: 'SA', options: { mss: 1460 } }), []);
    assert.equal(h.tcb.state, 'ESTABLISHED');
    assert.deepEqual(h.takeEvents(), ['established']);
    h.send({ seq: 701, ack: 0x1001, flags: 'PA', payload: 'hi' });
    assert.equal(h.readText(), 'hi');
  });

  test('data written in SYN-SENT goes out once established', () => {
    const h = open({ timestamps: false });
    h.out();
    assert.equal(h.write('early'), 5);
    assert.deepEqual(h.out(), []);
    const out = h.send({ seq: 900, ack: 0x1001, flags: 'SA', options: { mss: 1460 } });
    expectSegments(out, [{ flags: 'A', seq: 0x1001, ack: 901, payload: 'early' }]);
  });
});

test('simultaneous open: the SYN-ACK window is not scaled even though scaling is on (RFC 7323 §2.2)', () => {
  const config = resolveTcpConfig({ timestamps: false });
  const h = new Harness(Tcb.connect({ endpoints: SERVER_ENDPOINTS, iss: 0x1000, now: 0, config }), config, 0);
  h.out();
  h.send({ seq: 700, flags: 'S', window: 5000, options: { mss: 1460, windowScale: 4 } });
  assert.equal(h.vars.sndWscale, 4);
  h.out();
  h.send({ seq: 700, ack: 0x1001, flags: 'SA', window: 3000, options: { mss: 1460, windowScale: 4 } });
  assert.equal(h.tcb.state, 'ESTABLISHED');
  assert.equal(h.vars.sndWnd, 3000, 'a window in a SYN segment is taken as is');
  h.send({ seq: 701, ack: 0x1001, flags: 'A', window: 3000 });
  assert.equal(h.vars.sndWnd, 3000 << 4, 'later segments are scaled');
});

test('simultaneous open also completes on a plain ACK, and a SYN-ACK with a wrong ACK is challenged', () => {
  const config = resolveTcpConfig({ timestamps: false, windowScaling: false });
  const h = new Harness(Tcb.connect({ endpoints: SERVER_ENDPOINTS, iss: 0x1000, now: 0, config }), config, 0);
  h.out();
  h.send({ seq: 700, flags: 'S', options: { mss: 1460 } });
  h.out();
  const challenged = h.send({ seq: 700, ack: 0x0fff, flags: 'SA' });
  expectSegments(challenged, [{ flags: 'A', seq: 0x1001, ack: 701 }]);
  assert.equal(h.tcb.state, 'SYN-RECEIVED');
  h.send({ seq: 701, ack: 0x1001, flags: 'A' });
  assert.equal(h.tcb.state, 'ESTABLISHED');
});
