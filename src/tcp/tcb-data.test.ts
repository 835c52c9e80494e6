// Scripted data-transfer tests: receive window = free buffer space, window updates, reassembly,
// duplicate trimming, sending within the peer window and MSS, the bounded send buffer, wrap at 2^32.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, bytes, expectSegments } from '../../test/helpers/tcb-harness.ts';

describe('receiving', () => {
  test('the advertised window is the free receive-buffer space; reading sends a window update', () => {
    const h = Harness.established({ config: { receiveBufferSize: 4096 } });
    let out = h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: 1000 });
    expectSegments(out, [{ flags: 'A', ack: 6001, window: 3096 }]);
    out = h.send({ seq: 6001, ack: 10001, flags: 'PA', payload: 3000 });
    expectSegments(out, [{ flags: 'A', ack: 9001, window: 96 }]);
    assert.equal(h.tcb.readableLength, 4000);
    assert.equal(h.tcb.read(500, h.now)!.length, 500);
    assert.deepEqual(h.out(), [], 'a 500-byte opening is below min(bufsize/2, MSS): no update (receiver SWS)');
    assert.equal(h.tcb.read(undefined, h.now)!.length, 3500);
    expectSegments(h.out(), [{ flags: 'A', seq: 10001, ack: 9001, window: 4096 }]);
    assert.equal(h.tcb.read(), undefined);
  });

  test('receiver SWS avoidance: segments keep the right edge until the free space grows by min(bufsize/2, MSS)', () => {
    const h = Harness.established({ config: { receiveBufferSize: 4096 } });
    expectSegments(h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: 4000 }), [{ flags: 'A', ack: 9001, window: 96 }]);
    h.tcb.read(500, h.now);
    h.write('x');
    expectSegments(h.out(), [{ flags: 'A', seq: 10001, ack: 9001, window: 96, payload: 'x' }], 'a 500-byte opening is not offered, even on a data segment (RFC 9293 §3.8.6.2.2)');
    h.tcb.read(1000, h.now);
    expectSegments(h.out(), [{ flags: 'A', ack: 9001, window: 1596 }], 'a 1,500-byte opening (>= MSS 1460) is offered at once');
  });

  test('zero window: data beyond it is not accepted but ACKed, ACK fields still processed; update on read', () => {
    const h = Harness.established({ config: { receiveBufferSize: 2000 } });
    let out = h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: 2000 });
    expectSegments(out, [{ ack: 7001, window: 0 }]);
    h.write('abc');
    h.out();
    out = h.send({ seq: 7001, ack: 10004, flags: 'PA', payload: 1 }); // the peer's window probe acking our data
    expectSegments(out, [{ flags: 'A', seq: 10004, ack: 7001, window: 0 }]);
    assert.equal(h.tcb.unacknowledgedLength, 0, 'the ACK on the probe was processed');
    assert.equal(h.tcb.readableLength, 2000);
    h.tcb.read(undefined, h.now);
    expectSegments(h.out(), [{ flags: 'A', ack: 7001, window: 2000 }]);
  });

  test('a bare FIN at RCV.NXT is accepted with a zero window (as Linux), data still is not', () => {
    const h = Harness.established({ config: { receiveBufferSize: 1000 } });
    expectSegments(h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: 1000 }), [{ ack: 6001, window: 0 }]);
    expectSegments(h.send({ seq: 6001, ack: 10001, flags: 'FA', payload: 1 }), [{ ack: 6001, window: 0 }]);
    assert.equal(h.tcb.state, 'ESTABLISHED', 'a FIN behind data that does not fit waits');
    expectSegments(h.send({ seq: 6001, ack: 10001, flags: 'FA' }), [{ flags: 'A', ack: 6002, window: 0 }]);
    assert.equal(h.tcb.state, 'CLOSE-WAIT');
    assert.equal(h.tcb.readableLength, 1000);
    assert.deepEqual(h.takeEvents(), ['readable', 'peerFin']);
  });

  test('the advertised window never exceeds the free buffer space, rounded down to the scale unit', () => {
    // 262143 bytes gives shift 3; after 2000 bytes 260143 are free: 32517 units (260136 bytes), not 32518.
    const h = Harness.established({ synOptions: { mss: 1460, windowScale: 7 }, config: { receiveBufferSize: 262_143 } });
    assert.equal(h.vars.rcvWscale, 3);
    expectSegments(h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: 2000 }), [{ ack: 7001, window: 32_517 }]);
    assert.ok(h.vars.rcvWnd <= 262_143 - 2000);
  });

  test('out-of-order segments get an immediate duplicate ACK and are delivered once the hole fills', () => {
    const h = Harness.established();
    let out = h.send({ seq: 5006, ack: 10001, flags: 'PA', payload: 'world' });
    expectSegments(out, [{ flags: 'A', ack: 5001 }]);
    out = h.send({ seq: 5011, ack: 10001, flags: 'PA', payload: '!' });
    expectSegments(out, [{ flags: 'A', ack: 5001 }]);
    assert.equal(h.tcb.readableLength, 0);
    out = h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: 'hello' });
    expectSegments(out, [{ flags: 'A', ack: 5012 }]);
    assert.equal(h.readText(), 'helloworld!');
    assert.equal(h.tcb.stats.outOfOrderSegments, 2);
  });

  test('the Tcb keeps no reference to a delivered payload: the caller may reuse its buffer', () => {
    const h = Harness.established();
    const buffer = new TextEncoder().encode('later' + 'first');
    h.send({ seq: 5006, ack: 10001, flags: 'PA', payload: buffer.subarray(0, 5) }); // out of order
    h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: buffer.subarray(5, 10) }); // in order, drains
    h.send({ seq: 5011, ack: 10001, flags: 'PA', payload: buffer.subarray(0, 5) }); // in order, buffered
    buffer.fill(0x2a);
    assert.equal(h.readText(), 'firstlaterlater');
  });

  test('duplicate and overlapping segments are trimmed; old duplicates are ACKed', () => {
    const h = Harness.established();
    h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: 'abcdef' });
    let out = h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: 'abcdef' });
    expectSegments(out, [{ flags: 'A', ack: 5007 }]);
    out = h.send({ seq: 5004, ack: 10001, flags: 'PA', payload: 'XYZghi' });
    expectSegments(out, [{ flags: 'A', ack: 5010 }]);
    assert.equal(h.readText(), 'abcdefghi');
  });

  test('an out-of-order FIN is held until the data before it arrives', () => {
    const h = Harness.established();
    h.send({ seq: 5004, ack: 10001, flags: 'FA', payload: 'def' });
    assert.equal(h.tcb.state, 'ESTABLISHED');
    const out = h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: 'abc' });
    expectSegments(out, [{ flags: 'A', ack: 5008 }]);
    assert.equal(h.tcb.state, 'CLOSE-WAIT');
    assert.equal(h.readText(), 'abcdef');
    assert.deepEqual(h.takeEvents(), ['readable', 'peerFin']);
  });

  test('text beyond the advertised window is cut and a FIN behind it is not accepted', () => {
    const h = Harness.established({ config: { receiveBufferSize: 1000 } });
    const out = h.send({ seq: 5001, ack: 10001, flags: 'FA', payload: 1500 });
    expectSegments(out, [{ flags: 'A', ack: 6001, window: 0 }]);
    assert.equal(h.tcb.state, 'ESTABLISHED');
    assert.equal(h.tcb.readableLength, 1000);
  });

  test('delayed ACK: one segment waits delayedAckMs, the second is ACKed at once', () => {
    const h = Harness.established({ config: { delayedAckMs: 40 } });
    assert.deepEqual(h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: 10 }), []);
    assert.equal(h.tcb.pollAt(), 40);
    expectSegments(h.advance(40), [{ flags: 'A', ack: 5011 }]);
    assert.deepEqual(h.send({ seq: 5011, ack: 10001, flags: 'PA', payload: 10 }), []);
    expectSegments(h.send({ seq: 5021, ack: 10001, flags: 'PA', payload: 10 }), [{ flags: 'A', ack: 5031 }]);
    assert.equal(h.tcb.pollAt(), undefined);
  });
});

describe('sending', () => {
  test('segments are cut at the peer MSS and never exceed the peer window', () => {
    const h = Harness.established({ synOptions: { mss: 1000 }, peerWindow: 3000 });
    assert.equal(h.write(10_000), 10_000);
    let out = h.out();
    assert.deepEqual(out.map((s) => [s.seq, s.payload.length]), [[10001, 1000], [11001, 1000], [12001, 1000]]);
    out = h.send({ seq: 5001, ack: 11001, flags: 'A', window: 3000 });
    assert.deepEqual(out.map((s) => [s.seq, s.payload.length]), [[13001, 1000]]);
    out = h.send({ seq: 5001, ack: 14001, flags: 'A', window: 6000 });
    assert.deepEqual(out.map((s) => s.payload.length), [1000, 1000, 1000, 1000, 1000, 1000]);
    assert.equal(out.at(-1)!.seq, 19001);
    assert.deepEqual(out[0]!.payload, bytes(10_000).subarray(4000, 5000));
  });

  test('the send buffer is bounded; ACKs free space and fire writable', () => {
    const h = Harness.established({ config: { sendBufferSize: 5000 } });
    assert.equal(h.write(8000), 5000);
    assert.equal(h.tcb.writableSpace, 0);
    assert.equal(h.write(1), 0);
    h.out();
    h.send({ seq: 5001, ack: 12001, flags: 'A' });
    assert.equal(h.tcb.writableSpace, 2000);
    assert.deepEqual(h.takeEvents(), ['writable']);
  });

  test('sender SWS avoidance: no tiny segment while data is in flight, unless it ends the data', () => {
    const h = Harness.established({ synOptions: { mss: 1000 }, peerWindow: 10_000 });
    h.write(2500);
    assert.deepEqual(h.out().map((s) => s.payload.length), [1000, 1000, 500]);
    h.send({ seq: 5001, ack: 12501, flags: 'A', window: 1200 }); // window shrinks to 1200 after all acked
    h.write(3000);
    assert.deepEqual(h.out().map((s) => s.payload.length), [1000], 'nothing in flight: one full segment fits');
    assert.deepEqual(h.send({ seq: 5001, ack: 12501, flags: 'A', window: 1200 }), [], '200 usable with 1000 in flight: wait');
  });
});

describe('sequence wrap near 2^32', () => {
  test('ISN 0xFFFFFF00 both ways: data and FINs cross the wrap with correct seq/ack', () => {
    const h = Harness.established({ iss: 0xffffff00, peerIss: 0xfffffff0, synOptions: { mss: 200 } });
    const fromPeer = bytes(600);
    let ackOut: number | undefined;
    for (let off = 0; off < 600; off += 200) {
      const out = h.send({ seq: (0xfffffff1 + off) >>> 0, ack: 0xffffff01, flags: 'PA', payload: fromPeer.subarray(off, off + 200) });
      ackOut = out[0]!.ack;
    }
    assert.equal(ackOut, (0xfffffff1 + 600) >>> 0);
    assert.deepEqual(h.tcb.read(undefined, h.now), fromPeer);
    h.write(1000);
    const sent = h.out();
    assert.deepEqual(sent.map((s) => s.seq), [0xffffff01, 0xffffffc9, 0x91, 0x159, 0x221].map((n) => n >>> 0));
    h.send({ seq: (0xfffffff1 + 600) >>> 0, ack: 0x2e9, flags: 'A' });
    assert.equal(h.tcb.unacknowledgedLength, 0);
    h.tcb.shutdownWrite(h.now);
    expectSegments(h.out(), [{ flags: 'FA', seq: 0x2e9, ack: 0x249 }]);
    h.send({ seq: 0x249, ack: 0x2ea, flags: 'FA' });
    assert.equal(h.tcb.state, 'TIME-WAIT');
  });
});

test('the harness puts both sequence spaces just below 2^32, so scripted transfers cross the wrap', () => {
  const h = Harness.established();
  assert.equal(h.tcb.vars.iss, 0xfffff000, 'our ISS as the Tcb sees it');
  assert.equal(h.tcb.vars.irs, 0xffffff00, "the peer's ISS as the Tcb sees it");
  const out = h.send({ seq: 5001, ack: 10001, flags: 'PA', payload: 600 });
  expectSegments(out, [{ flags: 'A', seq: 10001, ack: 5601 }]);
  assert.equal(h.tcb.vars.rcvNxt, (0xffffff00 + 601) >>> 0, 'RCV.NXT wrapped past 0');
  assert.ok(h.tcb.vars.rcvNxt < 0x1000);
  assert.equal(h.readText().length, 600);
});
