// Tests for the TCP segment codec: the known Linux SYN, round trips, in-place payload, errors, fuzzing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../util/seeded-random.ts';
import { assertOnlyWireErrors, LINUX_SYN, LINUX_SYN_DST, LINUX_SYN_SEGMENT, LINUX_SYN_SRC, mutate, randomBytes, randomInt, testRoundTrip, wireErrorCode as code } from '../../test/helpers/wire-test-kit.ts';
import { checksumFinish, checksumSum, pseudoHeaderSum } from './checksum.ts';
import { parseTcp, tcpSegmentLength, writeTcp } from './tcp.ts';
import { TcpFlags, type TcpSegment } from './tcp-segment.ts';

const SRC = LINUX_SYN_SRC;
const DST = LINUX_SYN_DST;
const SYN_TCP = LINUX_SYN.subarray(20);

/** Re-checksums a crafted segment so a test reaches the check after the checksum. */
function fixChecksum(seg: Uint8Array, src = SRC, dst = DST): Uint8Array {
  seg[16] = 0;
  seg[17] = 0;
  const c = checksumFinish(checksumSum(seg, 0, seg.length, pseudoHeaderSum(src, dst, 6, seg.length)));
  seg[16] = c >>> 8;
  seg[17] = c & 0xff;
  return seg;
}

function comparable(s: TcpSegment): unknown {
  return {
    ...s,
    options: Object.fromEntries(Object.entries(s.options).filter(([, v]) => v !== undefined)),
    payload: Array.from(s.payload),
  };
}

function segment(overrides: Partial<TcpSegment>): TcpSegment {
  return {
    srcPort: 80,
    dstPort: 43210,
    seq: 1000,
    ack: 124,
    flags: TcpFlags.ACK,
    window: 502,
    urgentPointer: 0,
    options: {},
    payload: new Uint8Array(0),
    ...overrides,
  };
}

test('parses the known Linux SYN segment', () => {
  const tcp = parseTcp(SYN_TCP, SRC, DST);
  assert.deepStrictEqual(comparable(tcp), comparable(LINUX_SYN_SEGMENT));
  assert.equal(tcp.payload.length, 0, 'a SYN without data');
});

test('writeTcp reproduces the known Linux SYN segment byte for byte', () => {
  const buf = new Uint8Array(40);
  const syn = parseTcp(SYN_TCP, SRC, DST);
  assert.equal(writeTcp(syn, SRC, DST, buf, 0), 40);
  assert.deepStrictEqual(buf, Uint8Array.from(SYN_TCP));
});

test('round trips at non-zero offsets: flags, extremes, options, odd payloads', () => {
  const cases: TcpSegment[] = [
    segment({}),
    segment({ flags: 0xff, seq: 0xffffffff, ack: 0x80000000, window: 0xffff, urgentPointer: 0xffff, srcPort: 0, dstPort: 65535 }),
    segment({ flags: TcpFlags.PSH | TcpFlags.ACK, payload: new TextEncoder().encode('GET /metadata/instance HTTP/1.1\r\n\r\n') }),
    segment({ options: { timestamps: { tsVal: 7, tsEcr: 9 }, sackBlocks: [{ left: 1, right: 9 }] }, payload: Uint8Array.of(1, 2, 3) }),
    segment({ flags: TcpFlags.SYN | TcpFlags.ACK, options: { mss: 1460, windowScale: 7, sackPermitted: true } }),
  ];
  for (const [i, s] of cases.entries()) {
    testRoundTrip<TcpSegment>(
      (value, buf, offset) => writeTcp(value, SRC, DST, buf, offset),
      (bytes) => parseTcp(bytes, SRC, DST),
      s,
      { offset: 3 + i, length: tcpSegmentLength(s), compare: comparable },
    );
  }
});

test('the parsed payload is a zero-copy view; a payload already in place is not copied', () => {
  const buf = new Uint8Array(100);
  const payloadAt = 10 + 20 + 12;
  buf.set(Uint8Array.of(5, 6, 7), payloadAt);
  const inPlace = buf.subarray(payloadAt, payloadAt + 3);
  const n = writeTcp(segment({ options: { timestamps: { tsVal: 1, tsEcr: 2 } }, payload: inPlace }), SRC, DST, buf, 10);
  assert.equal(n, 35);
  const parsed = parseTcp(buf.subarray(10, 10 + n), SRC, DST);
  assert.deepStrictEqual(Array.from(parsed.payload), [5, 6, 7]);
  assert.equal(parsed.payload.buffer, buf.buffer);
  assert.equal(parsed.payload.byteOffset, payloadAt);
});

test('the checksum covers the pseudo-header: other addresses fail verification', () => {
  assert.equal(code(() => parseTcp(SYN_TCP, SRC, DST + 1)), 'ERR_TCP_CHECKSUM');
  assert.equal(code(() => parseTcp(SYN_TCP, SRC + 0x10000, DST)), 'ERR_TCP_CHECKSUM');
});

test('every TCP parse error code is triggered by a crafted segment', () => {
  const syn = (): Uint8Array => Uint8Array.from(SYN_TCP);
  assert.equal(code(() => parseTcp(syn().subarray(0, 19), SRC, DST)), 'ERR_TCP_TRUNCATED');
  const flipped = syn();
  flipped[25]! ^= 0x10;
  assert.equal(code(() => parseTcp(flipped, SRC, DST)), 'ERR_TCP_CHECKSUM');
  const offset4 = syn();
  offset4[12] = 0x40;
  assert.equal(code(() => parseTcp(fixChecksum(offset4), SRC, DST)), 'ERR_TCP_DATA_OFFSET');
  const offsetBeyond = syn().slice(0, 36);
  offsetBeyond[12] = 0xa0;
  assert.equal(code(() => parseTcp(fixChecksum(offsetBeyond), SRC, DST)), 'ERR_TCP_DATA_OFFSET');
  const badMss = syn();
  badMss[21] = 21;
  assert.equal(code(() => parseTcp(fixChecksum(badMss), SRC, DST)), 'ERR_TCP_OPTION_LENGTH');
  const mss3 = syn();
  mss3.set([2, 3, 1, 1], 20);
  assert.equal(code(() => parseTcp(fixChecksum(mss3), SRC, DST)), 'ERR_TCP_OPTION_MSS');
  const ws4 = syn();
  ws4.set([3, 4, 7, 0], 36);
  assert.equal(code(() => parseTcp(fixChecksum(ws4), SRC, DST)), 'ERR_TCP_OPTION_WSCALE');
});

test('writeTcp rejects bad fields, too many options and small buffers', () => {
  const big = new Uint8Array(200);
  assert.equal(code(() => writeTcp(segment({ srcPort: 65536 }), SRC, DST, big, 0)), 'ERR_WIRE_FIELD_RANGE');
  assert.equal(code(() => writeTcp(segment({ seq: -1 }), SRC, DST, big, 0)), 'ERR_WIRE_FIELD_RANGE');
  assert.equal(code(() => writeTcp(segment({ flags: 256 }), SRC, DST, big, 0)), 'ERR_WIRE_FIELD_RANGE');
  assert.equal(code(() => writeTcp(segment({ window: 70000 }), SRC, DST, big, 0)), 'ERR_WIRE_FIELD_RANGE');
  assert.equal(code(() => writeTcp(segment({ payload: new Uint8Array(65516) }), SRC, DST, big, 0)), 'ERR_WIRE_FIELD_RANGE');
  const b = { left: 1, right: 2 };
  const tooMany = segment({ options: { mss: 1, timestamps: { tsVal: 0, tsEcr: 0 }, sackBlocks: [b, b, b] } });
  assert.equal(code(() => writeTcp(tooMany, SRC, DST, big, 0)), 'ERR_TCP_OPTIONS_TOO_LONG');
  assert.equal(code(() => writeTcp(segment({}), SRC, DST, new Uint8Array(25), 6)), 'ERR_WIRE_BUFFER_TOO_SMALL');
});

test('fuzz: random, truncated and bit-flipped segments only raise WireError and never read out of bounds', () => {
  const rng = seededRandom(9293);
  const valid: Uint8Array[] = [Uint8Array.from(SYN_TCP)];
  for (let i = 0; i < 40; i++) {
    const s = segment({
      flags: randomInt(rng, 256),
      seq: randomInt(rng, 2 ** 32),
      options: i % 2 ? { timestamps: { tsVal: i, tsEcr: 1 }, sackBlocks: [{ left: 1, right: 2 }] } : { mss: 536 + i },
      payload: randomBytes(rng, randomInt(rng, 100)),
    });
    const buf = new Uint8Array(tcpSegmentLength(s));
    writeTcp(s, SRC, DST, buf, 0);
    valid.push(buf);
  }
  const inputs: Uint8Array[] = [];
  for (let i = 0; i < 5000; i++) {
    if (i % 5 === 0) {
      inputs.push(randomBytes(rng, randomInt(rng, 80)));
      continue;
    }
    const mutated = mutate(rng, valid[randomInt(rng, valid.length)]!);
    // Half keep a valid checksum, so the header and option checks behind it get exercised too.
    inputs.push(i % 2 === 0 && mutated.length >= 20 ? fixChecksum(mutated) : mutated);
  }
  const { ok, rejected } = assertOnlyWireErrors(inputs, (bytes) => {
    const s = parseTcp(bytes, SRC, DST);
    assert.ok(s.payload.length <= bytes.length - 20);
  });
  assert.ok(ok > 500, `${ok} accepted`);
  for (const expected of ['ERR_TCP_TRUNCATED', 'ERR_TCP_CHECKSUM', 'ERR_TCP_DATA_OFFSET', 'ERR_TCP_OPTION_LENGTH']) {
    assert.ok(rejected.has(expected), `fuzzing reached ${expected} (got ${[...rejected.keys()].join(', ')})`);
  }
});
