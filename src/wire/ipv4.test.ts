// Tests for the IPv4 codec: a known Linux SYN, round trips at an offset, every error, and fuzzing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../util/seeded-random.ts';
import { assertOnlyWireErrors, hex, LINUX_SYN, mutate, randomBytes, randomInt, testRoundTrip, wireErrorCode as code } from '../../test/helpers/wire-test-kit.ts';
import { internetChecksum } from './checksum.ts';
import { type Ipv4Header, type Ipv4Packet, parseIpv4, writeIpv4Header } from './ipv4.ts';

/** Recomputes the header checksum after a test edits header bytes. */
function fixChecksum(packet: Uint8Array): Uint8Array {
  const headerLength = (packet[0]! & 0x0f) * 4;
  packet[10] = 0;
  packet[11] = 0;
  const c = internetChecksum(packet, 0, Math.min(headerLength, packet.length));
  packet[10] = c >>> 8;
  packet[11] = c & 0xff;
  return packet;
}

function normalize(h: Ipv4Header, payload: Uint8Array): unknown {
  return {
    tos: h.tos ?? 0,
    id: h.id,
    dontFragment: h.dontFragment ?? false,
    moreFragments: h.moreFragments ?? false,
    fragmentOffset: h.fragmentOffset ?? 0,
    ttl: h.ttl,
    protocol: h.protocol,
    src: h.src,
    dst: h.dst,
    options: Array.from(h.options ?? []),
    payload: Array.from(payload),
  };
}

test('parses the known Linux SYN field by field', () => {
  const ip = parseIpv4(LINUX_SYN);
  assert.equal(ip.tos, 0);
  assert.equal(ip.id, 0x8d3c);
  assert.equal(ip.dontFragment, true);
  assert.equal(ip.moreFragments, false);
  assert.equal(ip.fragmentOffset, 0);
  assert.equal(ip.ttl, 64);
  assert.equal(ip.protocol, 6);
  assert.equal(ip.src, 0x0a010004);
  assert.equal(ip.dst, 0xa9fea9fe);
  assert.equal(ip.headerLength, 20);
  assert.equal(ip.totalLength, 60);
  assert.equal(ip.options.length, 0);
  assert.equal(ip.payload.length, 40);
  assert.equal(ip.payload.buffer, LINUX_SYN.buffer, 'payload is zero-copy');
  assert.equal(ip.payload.byteOffset, LINUX_SYN.byteOffset + 20);
});

test('writeIpv4Header reproduces the known SYN header byte for byte', () => {
  const buf = new Uint8Array(20);
  const n = writeIpv4Header(
    { id: 0x8d3c, dontFragment: true, ttl: 64, protocol: 6, src: 0x0a010004, dst: 0xa9fea9fe },
    40,
    buf,
    0,
  );
  assert.equal(n, 20);
  assert.deepStrictEqual(buf, LINUX_SYN.subarray(0, 20));
});

// The round trip writes header + payload: writeIpv4Header only writes the header, the payload follows it.
type Datagram = Ipv4Packet | { header: Ipv4Header; payload: Uint8Array };
function roundTrip(header: Ipv4Header, payload: Uint8Array, offset: number): void {
  testRoundTrip<Datagram>(
    (value, buf, at) => {
      const n = writeIpv4Header('header' in value ? value.header : value, value.payload.length, buf, at);
      buf.set(value.payload, at + n);
      return n + value.payload.length;
    },
    (bytes) => parseIpv4(bytes),
    { header, payload },
    {
      offset,
      length: 20 + (header.options?.length ?? 0) + payload.length,
      compare: (v) => normalize('header' in v ? v.header : v, v.payload),
    },
  );
}

test('round trip at non-zero offsets, with and without options, all field extremes', () => {
  roundTrip({ id: 1, ttl: 64, protocol: 6, src: 0x0a010004, dst: 0xa9fea9fe }, hex('deadbeef'), 7);
  roundTrip(
    { tos: 0xff, id: 0xffff, dontFragment: true, ttl: 255, protocol: 255, src: 0xffffffff, dst: 0, options: hex('01010100 94040000') },
    new Uint8Array(0),
    13,
  );
  roundTrip({ tos: 0xb8, id: 0, ttl: 1, protocol: 1, src: 0x80000000, dst: 0x7fffffff, options: new Uint8Array(40).fill(1) }, hex('00'), 1);
});

test('bytes after the total length (link padding) are ignored', () => {
  const padded = new Uint8Array(LINUX_SYN.length + 6);
  padded.set(LINUX_SYN);
  padded.fill(0xee, LINUX_SYN.length);
  const ip = parseIpv4(padded);
  assert.equal(ip.totalLength, 60);
  assert.equal(ip.payload.length, 40);
});

test('options are skipped by IHL and exposed raw', () => {
  const buf = new Uint8Array(28);
  writeIpv4Header({ id: 5, ttl: 3, protocol: 17, src: 1, dst: 2, options: hex('07 07 04 00 00 00 00 01') }, 0, buf, 0);
  const ip = parseIpv4(buf);
  assert.equal(ip.headerLength, 28);
  assert.deepStrictEqual(Array.from(ip.options), [7, 7, 4, 0, 0, 0, 0, 1]);
  assert.equal(ip.payload.length, 0);
});

test('every parse error code is triggered by a crafted packet', () => {
  const syn = (): Uint8Array => Uint8Array.from(LINUX_SYN);
  assert.equal(code(() => parseIpv4(syn().subarray(0, 19))), 'ERR_IPV4_TRUNCATED');
  assert.equal(code(() => parseIpv4(new Uint8Array(0))), 'ERR_IPV4_TRUNCATED');
  const version6 = syn();
  version6[0] = 0x65;
  assert.equal(code(() => parseIpv4(fixChecksum(version6))), 'ERR_IPV4_VERSION');
  const ihl4 = syn();
  ihl4[0] = 0x44;
  assert.equal(code(() => parseIpv4(ihl4)), 'ERR_IPV4_HEADER_LENGTH');
  const ihlBeyond = syn().subarray(0, 24);
  ihlBeyond[0] = 0x47;
  assert.equal(code(() => parseIpv4(ihlBeyond)), 'ERR_IPV4_TRUNCATED');
  const totalShort = syn();
  totalShort[3] = 19;
  assert.equal(code(() => parseIpv4(fixChecksum(totalShort))), 'ERR_IPV4_TOTAL_LENGTH');
  const totalLong = syn();
  totalLong[3] = 61;
  assert.equal(code(() => parseIpv4(fixChecksum(totalLong))), 'ERR_IPV4_TOTAL_LENGTH');
  const badSum = syn();
  badSum[11]! ^= 1;
  assert.equal(code(() => parseIpv4(badSum)), 'ERR_IPV4_CHECKSUM');
  const mf = syn();
  mf[6] = 0x20;
  assert.equal(code(() => parseIpv4(fixChecksum(mf))), 'ERR_IPV4_FRAGMENT');
  const offset = syn();
  offset[6] = 0x40;
  offset[7] = 0x01;
  assert.equal(code(() => parseIpv4(fixChecksum(offset))), 'ERR_IPV4_FRAGMENT');
  assert.match(
    (() => {
      try {
        parseIpv4(fixChecksum(offset));
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })(),
    /offset 8/,
  );
});

test('writeIpv4Header rejects bad fields and small buffers with WireError', () => {
  const ok = { id: 1, ttl: 64, protocol: 6, src: 1, dst: 2 };
  assert.equal(code(() => writeIpv4Header(ok, 0, new Uint8Array(19), 0)), 'ERR_WIRE_BUFFER_TOO_SMALL');
  assert.equal(code(() => writeIpv4Header(ok, 0, new Uint8Array(30), 11)), 'ERR_WIRE_BUFFER_TOO_SMALL');
  assert.equal(code(() => writeIpv4Header(ok, 0, new Uint8Array(30), -1)), 'ERR_WIRE_BUFFER_TOO_SMALL');
  assert.equal(code(() => writeIpv4Header({ ...ok, ttl: 256 }, 0, new Uint8Array(20), 0)), 'ERR_WIRE_FIELD_RANGE');
  assert.equal(code(() => writeIpv4Header({ ...ok, id: -1 }, 0, new Uint8Array(20), 0)), 'ERR_WIRE_FIELD_RANGE');
  assert.equal(code(() => writeIpv4Header({ ...ok, src: 2 ** 32 }, 0, new Uint8Array(20), 0)), 'ERR_WIRE_FIELD_RANGE');
  assert.equal(code(() => writeIpv4Header({ ...ok, dst: 1.5 }, 0, new Uint8Array(20), 0)), 'ERR_WIRE_FIELD_RANGE');
  assert.equal(code(() => writeIpv4Header({ ...ok, options: new Uint8Array(3) }, 0, new Uint8Array(30), 0)), 'ERR_WIRE_FIELD_RANGE');
  assert.equal(code(() => writeIpv4Header({ ...ok, options: new Uint8Array(44) }, 0, new Uint8Array(80), 0)), 'ERR_WIRE_FIELD_RANGE');
  assert.equal(code(() => writeIpv4Header(ok, 65516, new Uint8Array(20), 0)), 'ERR_IPV4_TOTAL_LENGTH');
  assert.equal(writeIpv4Header(ok, 65515, new Uint8Array(20), 0), 20);
});

test('fuzz: random and mutated datagrams only ever raise WireError and never read out of bounds', () => {
  const rng = seededRandom(791);
  const valid: Uint8Array[] = [LINUX_SYN];
  for (let i = 0; i < 50; i++) {
    const options = randomBytes(rng, 4 * randomInt(rng, 11));
    const payload = randomBytes(rng, randomInt(rng, 64));
    const buf = new Uint8Array(20 + options.length + payload.length);
    writeIpv4Header({ id: i, ttl: 64, protocol: randomInt(rng, 256), src: i * 7919, dst: 0xa9fea9fe, options }, payload.length, buf, 0);
    buf.set(payload, 20 + options.length);
    valid.push(buf);
  }
  const inputs: Uint8Array[] = [];
  for (let i = 0; i < 4000; i++) {
    const base = valid[randomInt(rng, valid.length)]!;
    inputs.push(i % 4 === 0 ? randomBytes(rng, randomInt(rng, 80)) : mutate(rng, i % 8 === 1 ? mutate(rng, base) : base));
  }
  for (let cut = 0; cut <= LINUX_SYN.length; cut++) inputs.push(LINUX_SYN.slice(0, cut));
  const { ok, rejected } = assertOnlyWireErrors(inputs, (bytes) => {
    const ip = parseIpv4(bytes);
    assert.ok(ip.headerLength >= 20 && ip.headerLength <= ip.totalLength && ip.totalLength <= bytes.length);
    assert.equal(ip.payload.length, ip.totalLength - ip.headerLength);
  });
  assert.ok(ok > 100, `some mutations stay valid (${ok})`);
  for (const expected of ['ERR_IPV4_TRUNCATED', 'ERR_IPV4_CHECKSUM', 'ERR_IPV4_TOTAL_LENGTH', 'ERR_IPV4_VERSION']) {
    assert.ok(rejected.has(expected), `fuzzing reached ${expected}`);
  }
});
