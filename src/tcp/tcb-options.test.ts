// Hostile and unusual SYN options: MSS 0/1/absent/huge, window scale > 14, SACK, options turned off.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, expectSegments } from '../../test/helpers/tcb-harness.ts';
import { MIN_MSS, clampPeerMss, negotiate, receiveWindowShift } from './options-negotiation.ts';
import { defaultTcpConfig } from './tcp-config.ts';

describe('MSS', () => {
  for (const mss of [0, 1, 20]) {
    test(`peer MSS ${mss} is raised to ${MIN_MSS}: finite, non-empty segments (no zero-size loop)`, () => {
      const h = Harness.established({ synOptions: { mss }, peerWindow: 65535 });
      assert.equal(h.vars.sndMss, MIN_MSS);
      h.write(1000);
      let total = 0;
      let segments = 0;
      let out = h.out();
      for (let round = 0; round < 10 && total < 1000; round++) {
        assert.ok(out.length > 0, 'progress every round');
        for (const seg of out) assert.ok(seg.payload.length > 0 && seg.payload.length <= MIN_MSS);
        total += out.reduce((n, s) => n + s.payload.length, 0);
        segments += out.length;
        out = h.send({ seq: 5001, ack: 10001 + total, flags: 'A' });
      }
      assert.equal(total, 1000);
      assert.equal(segments, Math.ceil(1000 / MIN_MSS));
    });
  }

  test('with timestamps the payload shrinks by the 12 option bytes', () => {
    const h = Harness.established({ synOptions: { mss: 0, timestamps: { tsVal: 1, tsEcr: 0 } } });
    h.write(200);
    assert.deepEqual(h.out().map((s) => s.payload.length), [52, 52, 52, 44]);
  });

  test('no MSS option means 536; a huge MSS is limited by our own', () => {
    assert.equal(Harness.established({ synOptions: {} }).tcb.vars.sndMss, 536);
    assert.equal(Harness.established({ synOptions: { mss: 65535 } }).tcb.vars.sndMss, 1460);
    assert.equal(clampPeerMss(Number.NaN), 536);
  });
});

describe('window scale and timestamps', () => {
  test('a shift above 14 is used as 14 (RFC 7323 §2.3)', () => {
    const h = Harness.established({ synOptions: { mss: 1460, windowScale: 30 }, peerWindow: 1 });
    h.send({ seq: 5001, ack: 10001, flags: 'A', window: 1 });
    assert.equal(h.vars.sndWnd, 1 << 14);
  });

  test('scaling is off unless both sides offer it; the unscaled window is capped at 65535', () => {
    const { synAck } = Harness.synReceived({ synOptions: { mss: 1460 } });
    assert.equal(synAck.options.windowScale, undefined);
    const h = Harness.established({ synOptions: { mss: 1460 }, config: { receiveBufferSize: 1 << 20 } });
    h.write('x');
    expectSegments(h.out(), [{ flags: 'A', seq: 10001, payload: 'x', window: 65535 }]);
    const off = Harness.synReceived({ synOptions: { mss: 1460, windowScale: 2, timestamps: { tsVal: 1, tsEcr: 0 } }, config: { windowScaling: false, timestamps: false } });
    assert.deepEqual(off.synAck.options, { mss: 1460 });
  });

  test('the offered shift fits the receive buffer into 16 bits', () => {
    assert.equal(receiveWindowShift(65535), 1);
    assert.equal(receiveWindowShift(65534), 0);
    assert.equal(receiveWindowShift(256 * 1024), 3);
    assert.equal(receiveWindowShift(1 << 30), 14);
  });

  test('SACK-permitted is accepted but never offered; SACK blocks are ignored', () => {
    const agreed = negotiate(defaultTcpConfig, { mss: 1460, sackPermitted: true });
    assert.equal(agreed.peerSackPermitted, true);
    const { synAck } = Harness.synReceived({ synOptions: { mss: 1460, sackPermitted: true } });
    assert.equal(synAck.options.sackPermitted, undefined);
    const h = Harness.established({ synOptions: { mss: 1000, sackPermitted: true } });
    h.write(3000);
    h.out();
    h.send({ seq: 5001, ack: 11001, flags: 'A', options: { sackBlocks: [{ left: 12001, right: 13001 }] } });
    assert.equal(h.tcb.unacknowledgedLength, 2000);
  });
});

describe('hostile windows', () => {
  test('a zero window from the handshake on: probes only, no zero-length data segments', () => {
    const h = Harness.established({ peerWindow: 0 });
    h.write(100);
    const out = [...h.out(), ...h.advance(30_000)];
    assert.ok(out.length >= 3 && out.length <= 10, `sent ${out.length}`);
    for (const seg of out) assert.equal(seg.payload.length, 1, 'only 1-byte probes');
  });
});
