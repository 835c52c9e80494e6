// TIME-WAIT small state (RFC 9293 §3.10.7.4): re-ACK of a retransmitted FIN with a 2*MSL restart, RST ignored
// (RFC 1337), RFC 6191 reuse by timestamps or sequence, PAWS, rate-limited ACKs for other segments.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TcpFlags, type TcpSegment } from '../wire/tcp-segment.ts';
import { seq } from './seq.ts';
import { TIME_WAIT_ACK_INTERVAL_MS, timeWaitSegment, type TimeWaitState } from './time-wait.ts';

const TWO_MSL = 60_000;
// Sequence numbers just below the 2^32 wrap, so every comparison crosses it.
const RCV_NXT = 0xfffffffe; // after the peer's FIN at 0xfffffffd
const SND_NXT = 0xffffff00;

function entry(ts = true): TimeWaitState {
  return { localPort: 80, remotePort: 40000, sndNxt: seq(SND_NXT), rcvNxt: seq(RCV_NXT), window: 502, tsEnabled: ts, tsOffset: 1000, tsRecent: seq(5000), deadline: TWO_MSL, lastAckAt: -Infinity };
}

function seg(flags: number, seq: number, extra: Partial<TcpSegment> = {}): TcpSegment {
  return { srcPort: 40000, dstPort: 80, seq: seq >>> 0, ack: SND_NXT, flags, window: 100, urgentPointer: 0, options: {}, payload: new Uint8Array(0), ...extra };
}
const ts = (tsVal: number) => ({ options: { timestamps: { tsVal, tsEcr: 1 } } });

describe('TIME-WAIT state', () => {
  test('a retransmitted FIN is ACKed (seq SND.NXT, ack RCV.NXT, timestamps) and restarts 2*MSL', () => {
    const tw = entry();
    const v = timeWaitSegment(tw, seg(TcpFlags.FIN | TcpFlags.ACK, RCV_NXT - 1, ts(5100)), 20_000, TWO_MSL);
    assert.equal(v.kind, 'ack');
    if (v.kind !== 'ack') return;
    assert.equal(v.restart, true);
    assert.deepEqual(
      { seq: v.segment.seq, ack: v.segment.ack, flags: v.segment.flags, window: v.segment.window, ts: v.segment.options.timestamps, ports: [v.segment.srcPort, v.segment.dstPort] },
      { seq: SND_NXT, ack: RCV_NXT, flags: TcpFlags.ACK, window: 502, ts: { tsVal: 21_000, tsEcr: 5100 }, ports: [80, 40000] },
    );
    assert.equal(tw.deadline, 80_000);
    const again = timeWaitSegment(tw, seg(TcpFlags.FIN | TcpFlags.ACK, RCV_NXT - 1, ts(5200)), 20_010, TWO_MSL);
    assert.equal(again.kind, 'ack', 'every retransmitted FIN is answered (not rate limited)');
  });

  test('a RST is ignored (RFC 1337) and leaves the entry as it was', () => {
    const tw = entry();
    assert.deepEqual(timeWaitSegment(tw, seg(TcpFlags.RST, RCV_NXT), 10, TWO_MSL), { kind: 'drop', reason: 'time-wait-rst' });
    assert.equal(tw.deadline, TWO_MSL);
  });

  test('RFC 6191: a SYN with a newer timestamp reuses the tuple, an older one gets a challenge ACK', () => {
    assert.deepEqual(timeWaitSegment(entry(), seg(TcpFlags.SYN, 5, ts(5001)), 10, TWO_MSL), { kind: 'reuse' });
    const old = timeWaitSegment(entry(), seg(TcpFlags.SYN, RCV_NXT + 100, ts(4999)), 10, TWO_MSL);
    assert.equal(old.kind, 'ack', 'not newer by timestamp, whatever its sequence number');
  });

  test('without timestamps, a SYN above RCV.NXT (across the wrap) reuses the tuple', () => {
    assert.deepEqual(timeWaitSegment(entry(false), seg(TcpFlags.SYN, RCV_NXT + 10), 10, TWO_MSL), { kind: 'reuse' });
    assert.equal(timeWaitSegment(entry(false), seg(TcpFlags.SYN, RCV_NXT - 10), 10, TWO_MSL).kind, 'ack');
  });

  test('PAWS and out-of-window segments get one ACK per interval; an in-window pure ACK is dropped', () => {
    const tw = entry();
    assert.equal(timeWaitSegment(tw, seg(TcpFlags.ACK, RCV_NXT, ts(4000)), 100, TWO_MSL).kind, 'ack', 'PAWS');
    assert.deepEqual(timeWaitSegment(tw, seg(TcpFlags.ACK | TcpFlags.PSH, RCV_NXT, { ...ts(5001), payload: new Uint8Array(3) }), 200, TWO_MSL), { kind: 'drop', reason: 'time-wait-limited' });
    assert.equal(timeWaitSegment(tw, seg(TcpFlags.ACK, RCV_NXT + 7, ts(5001)), 100 + TIME_WAIT_ACK_INTERVAL_MS, TWO_MSL).kind, 'ack');
    assert.deepEqual(timeWaitSegment(tw, seg(TcpFlags.ACK, RCV_NXT, ts(5001)), 5000, TWO_MSL), { kind: 'drop', reason: 'time-wait-ack' });
    assert.deepEqual(timeWaitSegment(tw, seg(0, RCV_NXT), 9000, TWO_MSL), { kind: 'drop', reason: 'time-wait-no-ack' });
    assert.equal(tw.deadline, TWO_MSL, 'none of these restarts the timer');
  });
});
