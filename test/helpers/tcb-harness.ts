// Test-only helpers for scripted segment-in/segment-out Tcb tests (smoltcp `send!`/`recv!` style):
// a segment builder from the peer's side, a harness with an explicit clock, and flag formatting.
import assert from 'node:assert/strict';
import { TcpFlags, type TcpOptions, type TcpSegment } from '../../src/wire/tcp-segment.ts';
import { Tcb } from '../../src/tcp/tcb.ts';
import { resolveTcpConfig, type TcpConfig } from '../../src/tcp/tcp-config.ts';
import type { TcpEndpoints } from '../../src/tcp/tcb-types.ts';

export const LOCAL_PORT = 80;
export const REMOTE_PORT = 40000;
export const SERVER_ENDPOINTS: TcpEndpoints = {
  localAddress: 0xa9fea9fe,
  localPort: LOCAL_PORT,
  remoteAddress: 0x0a000004,
  remotePort: REMOTE_PORT,
};

const LETTERS: Record<string, number> = {
  S: TcpFlags.SYN,
  A: TcpFlags.ACK,
  F: TcpFlags.FIN,
  R: TcpFlags.RST,
  P: TcpFlags.PSH,
};

export function parseFlags(text: string): number {
  let flags = 0;
  for (const letter of text) {
    const bit = LETTERS[letter];
    if (bit === undefined) throw new Error(`unknown flag letter ${letter}`);
    flags |= bit;
  }
  return flags;
}

/** Canonical flag letters of a segment in the order S F R A, PSH ignored. */
export function flagsOf(seg: TcpSegment): string {
  let text = '';
  if (seg.flags & TcpFlags.SYN) text += 'S';
  if (seg.flags & TcpFlags.FIN) text += 'F';
  if (seg.flags & TcpFlags.RST) text += 'R';
  if (seg.flags & TcpFlags.ACK) text += 'A';
  return text;
}

export interface SegmentSpec {
  seq: number;
  ack?: number;
  /** Letters S, A, F, R, P. */
  flags: string;
  window?: number;
  payload?: Uint8Array | string | number;
  options?: TcpOptions;
}

export function bytes(spec: Uint8Array | string | number | undefined): Uint8Array {
  if (spec === undefined) return new Uint8Array(0);
  if (typeof spec === 'number') return Uint8Array.from({ length: spec }, (_, i) => (i * 7 + 3) & 0xff);
  if (typeof spec === 'string') return new TextEncoder().encode(spec);
  return spec;
}

/** A segment from the remote peer to the local Tcb. */
export function segment(spec: SegmentSpec): TcpSegment {
  return {
    srcPort: REMOTE_PORT,
    dstPort: LOCAL_PORT,
    seq: spec.seq >>> 0,
    ack: (spec.ack ?? 0) >>> 0,
    flags: parseFlags(spec.flags),
    window: spec.window ?? 65535,
    urgentPointer: 0,
    options: spec.options ?? {},
    payload: bytes(spec.payload),
  };
}

export interface ExpectedSegment {
  flags?: string;
  seq?: number;
  ack?: number;
  window?: number;
  length?: number;
  payload?: string;
}

/** Asserts the fields given in `expected` (flags exact, PSH ignored). */
export function expectSegment(actual: TcpSegment | undefined, expected: ExpectedSegment, label = ''): TcpSegment {
  assert.ok(actual, `${label} expected a segment ${JSON.stringify(expected)}, got none`);
  const got = {
    flags: flagsOf(actual),
    seq: actual.seq,
    ack: actual.ack,
    window: actual.window,
    length: actual.payload.length,
    payload: new TextDecoder().decode(actual.payload),
  };
  for (const key of Object.keys(expected) as (keyof ExpectedSegment)[]) {
    assert.equal(got[key], expected[key], `${label} field ${key}: got ${JSON.stringify(got)}`);
  }
  assert.equal(actual.srcPort, LOCAL_PORT);
  assert.equal(actual.dstPort, REMOTE_PORT);
  return actual;
}

/** Asserts that exactly these segments were sent, in this order, and nothing else (smoltcp's strictness). */
export function expectSegments(actual: readonly TcpSegment[], expected: readonly ExpectedSegment[], label = ''): void {
  const show = (segs: readonly TcpSegment[]): string => segs.map((s) => `${flagsOf(s)} seq=${s.seq} ack=${s.ack} len=${s.payload.length}`).join('; ');
  assert.equal(actual.length, expected.length, `${label} expected ${expected.length} segment(s), got ${actual.length}: ${show(actual)}`);
  expected.forEach((spec, i) => expectSegment(actual[i], spec, `${label} [${i}]`));
}

export interface HarnessOptions {
  config?: Partial<TcpConfig>;
  /** Our ISS. */
  iss?: number;
  /** The peer's ISS (IRS). */
  peerIss?: number;
  /** Options in the peer's SYN (default: MSS 1460 only). */
  synOptions?: TcpOptions;
  /** Window in the peer's SYN and ACK. */
  peerWindow?: number;
  now?: number;
  /** Delay before the third-step ACK arrives (the first RTT sample); default 0, giving RTO = rtoMinMs. */
  handshakeRttMs?: number;
}

/**
 * Where the harness puts the sequence spaces: a test writes the peer's ISS as 5000 and ours as 10000, and
 * the Tcb really sees them shifted to 256 bytes (peer) and 4 KiB (ours) before 2^32, so every scripted
 * test crosses the wrap. send() shifts what the test gives, out()/advance()/vars shift back what the Tcb
 * produces, so tests read in their own numbers.
 */
export const PEER_SEQ_OFFSET = (0xffffff00 - 5000) >>> 0;
export const OUR_SEQ_OFFSET = (0xfffff000 - 10000) >>> 0;

/** One Tcb driven by hand, with an explicit clock and recorded events. */
export class Harness {
  tcb: Tcb;
  now: number;
  readonly events: string[] = [];
  readonly config: TcpConfig;
  /** Added to the test's peer / our sequence numbers on the way in, taken off on the way out. */
  readonly peerOffset: number;
  readonly ourOffset: number;

  constructor(tcb: Tcb, config: TcpConfig, now: number, offsets: { peer: number; ours: number } = { peer: 0, ours: 0 }) {
    this.tcb = tcb;
    this.config = config;
    this.now = now;
    this.peerOffset = offsets.peer;
    this.ourOffset = offsets.ours;
    this.attach();
  }

  /** The peer segment the Tcb sees for a test's spec (sequence numbers shifted into the Tcb's spaces). */
  inbound(spec: SegmentSpec): TcpSegment {
    return segment({ ...spec, seq: spec.seq + this.peerOffset, ...(spec.ack !== undefined ? { ack: spec.ack + this.ourOffset } : {}) });
  }

  /** A segment the Tcb sent, in the test's numbers. */
  private outbound(seg: TcpSegment): TcpSegment {
    if (this.peerOffset === 0 && this.ourOffset === 0) return seg;
    return { ...seg, seq: (seg.seq - this.ourOffset) >>> 0, ack: seg.flags & TcpFlags.ACK ? (seg.ack - this.peerOffset) >>> 0 : seg.ack };
  }

  /** The Tcb's RFC 9293 variables in the test's numbers. */
  get vars(): Tcb['vars'] {
    const v = this.tcb.vars;
    const ours = (x: number): number => (x - this.ourOffset) >>> 0;
    const peer = (x: number): number => (x - this.peerOffset) >>> 0;
    return { ...v, iss: ours(v.iss), sndUna: ours(v.sndUna), sndNxt: ours(v.sndNxt), sndMax: ours(v.sndMax), irs: peer(v.irs), rcvNxt: peer(v.rcvNxt) };
  }

  attach(): void {
    const events = this.events;
    this.tcb.setHandler({
      established: () => events.push('established'),
      readable: () => events.push('readable'),
      writable: () => events.push('writable'),
      peerFin: () => events.push('peerFin'),
      closed: (reason) => events.push(`closed:${reason}`),
    });
  }

  /** A Tcb in SYN-RECEIVED made from the peer's SYN; returns the harness and the SYN-ACK. */
  static synReceived(options: HarnessOptions = {}): { h: Harness; synAck: TcpSegment } {
    const config = resolveTcpConfig(options.config);
    const now = options.now ?? 0;
    const offsets = { peer: PEER_SEQ_OFFSET, ours: OUR_SEQ_OFFSET };
    const syn = segment({
      seq: (options.peerIss ?? 5000) + offsets.peer,
      flags: 'S',
      window: options.peerWindow ?? 65535,
      options: options.synOptions ?? { mss: 1460 },
    });
    const tcb = Tcb.acceptSyn(syn, { endpoints: SERVER_ENDPOINTS, iss: ((options.iss ?? 10000) + offsets.ours) >>> 0, now, config });
    const h = new Harness(tcb, config, now, offsets);
    const out = h.out();
    assert.equal(out.length, 1);
    return { h, synAck: out[0]! };
  }

  /** A Tcb in ESTABLISHED after SYN, SYN-ACK, ACK (peer next seq = peerIss+1, ours = iss+1). */
  static established(options: HarnessOptions = {}): Harness {
    const { h } = Harness.synReceived(options);
    const iss = options.iss ?? 10000;
    const peerIss = options.peerIss ?? 5000;
    h.now += options.handshakeRttMs ?? 0;
    const ackOptions = options.synOptions?.timestamps ? { timestamps: { tsVal: options.synOptions.timestamps.tsVal + 1, tsEcr: 0 } } : {};
    const out = h.send({ seq: peerIss + 1, ack: iss + 1, flags: 'A', window: options.peerWindow ?? 65535, options: ackOptions });
    assert.equal(out.length, 0);
    assert.equal(h.tcb.state, 'ESTABLISHED');
    h.events.length = 0;
    return h;
  }

  /** Delivers a peer segment at the current time; returns what the Tcb sends in response. */
  send(spec: SegmentSpec): TcpSegment[] {
    this.tcb.handleSegment(this.inbound(spec), this.now);
    return this.out();
  }

  out(): TcpSegment[] {
    return this.tcb.takeOutgoing().map((seg) => this.outbound(seg));
  }

  /** Moves time forward by `ms`, running every timer at its own deadline; returns what was sent. */
  advance(ms: number): TcpSegment[] {
    const target = this.now + ms;
    const sent: TcpSegment[] = [];
    for (let guard = 0; guard < 100_000; guard++) {
      const at = this.tcb.pollAt();
      if (at === undefined || at > target) break;
      this.now = Math.max(this.now, at);
      this.tcb.onTimer(this.now);
      sent.push(...this.out());
    }
    this.now = target;
    return sent;
  }

  /** Writes app data now; returns the bytes accepted. */
  write(data: Uint8Array | string | number): number {
    return this.tcb.write(bytes(data), this.now);
  }

  readText(): string {
    const data = this.tcb.read(undefined, this.now);
    return data ? new TextDecoder().decode(data) : '';
  }

  takeEvents(): string[] {
    return this.events.splice(0);
  }
}
