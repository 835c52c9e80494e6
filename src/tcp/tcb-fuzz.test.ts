// Property test: hostile random segments, timers, reads and writes against Tcbs in every state never
// throw, every segment a Tcb emits encodes through the wire codec, and the RFC 9293 invariants hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom, type Random } from '../util/seeded-random.ts';
import { buildTcpPacket, parseTcpPacket } from '../wire/packet.ts';
import type { TcpOptions, TcpSegment } from '../wire/tcp-segment.ts';
import { le, seq, sub } from './seq.ts';
import { Tcb } from './tcb.ts';
import { Harness, SERVER_ENDPOINTS } from '../../test/helpers/tcb-harness.ts';
import { resolveTcpConfig } from './tcp-config.ts';
import { TcpState } from './tcp-states.ts';

const STATES = Object.values(TcpState);

function int(rng: Random, below: number): number {
  return Math.floor(rng() * below);
}

/** A number near one of the Tcb's edges (or anywhere), so many segments land in or around the windows. */
function near(rng: Random, anchors: number[]): number {
  if (rng() < 0.15) return int(rng, 2 ** 32);
  const anchor = anchors[int(rng, anchors.length)]!;
  const spread = [2, 2000, 70_000, 2 ** 31][int(rng, 4)]!;
  return (anchor + int(rng, 2 * spread) - spread) >>> 0;
}

function hostileOptions(rng: Random): TcpOptions {
  const options: { mss?: number; windowScale?: number; sackPermitted?: boolean; timestamps?: { tsVal: number; tsEcr: number } } = {};
  if (rng() < 0.3) options.mss = [0, 1, 63, 64, 536, 65535][int(rng, 6)]!;
  if (rng() < 0.3) options.windowScale = int(rng, 15);
  if (rng() < 0.2) options.sackPermitted = true;
  if (rng() < 0.5) options.timestamps = { tsVal: int(rng, 2 ** 32), tsEcr: int(rng, 2 ** 32) };
  return options;
}

function randomSegment(rng: Random, tcb: Tcb): TcpSegment {
  const v = tcb.vars;
  return {
    srcPort: SERVER_ENDPOINTS.remotePort,
    dstPort: SERVER_ENDPOINTS.localPort,
    seq: near(rng, [v.rcvNxt, v.irs, (v.rcvNxt + v.rcvWnd) >>> 0]),
    ack: near(rng, [v.sndUna, v.sndNxt, v.sndMax, v.iss]),
    flags: rng() < 0.6 ? 0x10 | int(rng, 2) | (int(rng, 2) << 3) : int(rng, 256),
    window: rng() < 0.2 ? 0 : int(rng, 65536),
    urgentPointer: 0,
    options: hostileOptions(rng),
    payload: new Uint8Array(rng() < 0.5 ? 0 : int(rng, 3000)).fill(0x41),
  };
}

/** Builds a Tcb in a random reachable state by driving the harness with a plausible peer. */
function randomTcb(rng: Random): Harness {
  const synOptions = rng() < 0.5 ? { mss: 1460, windowScale: 7, timestamps: { tsVal: 100, tsEcr: 0 } } : { mss: int(rng, 2000) };
  const config = { receiveBufferSize: [1000, 4096, 256 * 1024][int(rng, 3)]!, mslMs: 1000, delayedAckMs: int(rng, 2) * 40 };
  if (rng() < 0.15) {
    const resolved = resolveTcpConfig(config);
    return new Harness(Tcb.connect({ endpoints: SERVER_ENDPOINTS, iss: int(rng, 2 ** 32), now: 0, config: resolved }), resolved, 0);
  }
  if (rng() < 0.15) return Harness.synReceived({ synOptions, config, iss: int(rng, 2 ** 32), peerIss: 0xfffffff0 }).h;
  const h = Harness.established({ synOptions, config, iss: 0xffffff00, peerIss: int(rng, 2 ** 32) });
  const peerNext = (h.vars.irs + 1) >>> 0;
  const ts = synOptions.timestamps ? { timestamps: { tsVal: 200, tsEcr: 0 } } : {};
  h.write(int(rng, 5000));
  const step = int(rng, 4);
  if (step >= 1) h.tcb.shutdownWrite(h.now); // FIN-WAIT-1
  if (step >= 2) h.send({ seq: peerNext, ack: h.vars.sndMax, flags: 'A', options: ts }); // FIN-WAIT-2
  if (step >= 3) h.send({ seq: peerNext, ack: h.vars.sndMax, flags: 'FA', options: ts }); // TIME-WAIT
  if (step === 0 && rng() < 0.5) h.send({ seq: peerNext, ack: h.vars.sndUna, flags: 'FA', options: ts }); // CLOSE-WAIT
  h.out();
  return h;
}

function checkInvariants(tcb: Tcb, label: string): void {
  assert.ok(STATES.includes(tcb.state), `${label}: state ${tcb.state}`);
  const v = tcb.vars;
  if (tcb.state !== TcpState.CLOSED) {
    assert.ok(le(seq(v.sndUna), seq(v.sndNxt)) && le(seq(v.sndNxt), seq(v.sndMax)), `${label}: SND.UNA ${v.sndUna} <= SND.NXT ${v.sndNxt} <= max ${v.sndMax}`);
    assert.ok(sub(seq(v.sndMax), seq(v.sndUna)) <= tcb.unacknowledgedLength + 2, `${label}: flight beyond the send buffer`);
  }
  assert.ok(v.rcvWnd >= 0 && v.rcvWnd <= 65535 * 2 ** v.rcvWscale, `${label}: RCV.WND ${v.rcvWnd}`);
  const at = tcb.pollAt();
  assert.ok(at === undefined || Number.isFinite(at), `${label}: pollAt ${at}`);
  assert.ok(v.rto > 0 && Number.isFinite(v.rto), `${label}: RTO ${v.rto}`);
}

function drain(tcb: Tcb, label: string): void {
  for (const seg of tcb.takeOutgoing()) {
    // Every field must be in range (buildTcpPacket validates) and survive a parse.
    const packet = buildTcpPacket({ src: SERVER_ENDPOINTS.localAddress, dst: SERVER_ENDPOINTS.remoteAddress }, seg);
    const back = parseTcpPacket(packet).tcp;
    assert.equal(back.seq, seg.seq, label);
    assert.equal(back.window, seg.window, label);
    assert.equal(back.payload.length, seg.payload.length, label);
  }
}

test('random hostile input in every state: no throw, encodable output, invariants hold', () => {
  const reached = new Set<string>();
  for (let round = 0; round < 300; round++) {
    const rng = seededRandom(round + 1);
    const h = randomTcb(rng);
    const closedReasons: string[] = [];
    h.tcb.setHandler({ closed: (reason) => closedReasons.push(reason) });
    reached.add(h.tcb.state);
    for (let step = 0; step < 150; step++) {
      const label = `round ${round} step ${step} (${h.tcb.state})`;
      const action = rng();
      if (action < 0.7) {
        h.tcb.handleSegment(randomSegment(rng, h.tcb), h.now);
      } else if (action < 0.85) {
        h.now += int(rng, 3000);
        h.tcb.onTimer(h.now);
      } else if (action < 0.93) {
        if (h.tcb.writableSpace > 0) h.tcb.write(new Uint8Array(int(rng, 4000)), h.now);
      } else if (action < 0.97) {
        h.tcb.read(int(rng, 3000) || undefined, h.now);
      } else {
        [() => h.tcb.shutdownWrite(h.now), () => h.tcb.close(h.now), () => h.tcb.abort(h.now)][int(rng, 3)]!();
      }
      reached.add(h.tcb.state);
      drain(h.tcb, label);
      checkInvariants(h.tcb, label);
    }
    assert.ok(closedReasons.length <= 1, `round ${round}: closed delivered ${closedReasons.length} times`);
    assert.equal(closedReasons.length === 1, h.tcb.state === TcpState.CLOSED, `round ${round}: closed event matches CLOSED`);
  }
  for (const state of STATES.filter((s) => s !== TcpState.LISTEN)) assert.ok(reached.has(state), `never reached ${state}`);
});
