// Tests for whole-packet helpers: byte-exact SYN build, build into a given buffer, parse down to TCP, ICMP replies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../util/seeded-random.ts';
import { assertOnlyWireErrors, LINUX_SYN, LINUX_SYN_DST, LINUX_SYN_SEGMENT, LINUX_SYN_SRC, mutate, randomBytes, randomInt, testRoundTrip, wireErrorCode as code } from '../../test/helpers/wire-test-kit.ts';
import { parseIcmp } from './icmp.ts';
import { parseIpv4, writeIpv4Header } from './ipv4.ts';
import { buildIcmpUnreachablePacket, buildTcpPacket, parseTcpPacket, tcpPacketLength, type TcpPacket } from './packet.ts';
import { TcpFlags, type TcpSegment } from './tcp-segment.ts';

const VM = LINUX_SYN_SRC;
const IMDS = LINUX_SYN_DST;
const SYN = LINUX_SYN_SEGMENT;

test('buildTcpPacket reproduces the known Linux SYN byte for byte', () => {
  const packet = buildTcpPacket({ src: VM, dst: IMDS, id: 0x8d3c }, SYN);
  assert.deepStrictEqual(packet, Uint8Array.from(LINUX_SYN));
  assert.equal(packet.byteOffset, 0);
  assert.equal(packet.buffer.byteLength, 60, 'fresh buffer is exactly the packet');
});

test('parseTcpPacket parses the known SYN down to TCP', () => {
  const { ip, tcp } = parseTcpPacket(LINUX_SYN);
  assert.equal(ip.src, VM);
  assert.equal(ip.dst, IMDS);
  assert.equal(tcp.srcPort, 43210);
  assert.equal(tcp.options.mss, 1460);
  assert.equal(tcp.options.windowScale, 7);
});

test('buildTcpPacket into a given buffer returns a view at the offset; round trip through parseTcpPacket', () => {
  const segment: TcpSegment = {
    ...SYN,
    srcPort: 80,
    dstPort: 43210,
    flags: TcpFlags.PSH | TcpFlags.ACK,
    ack: 124,
    options: { timestamps: { tsVal: 5, tsEcr: 1 } },
    payload: new TextEncoder().encode('HTTP/1.1 200 OK\r\n\r\n{}'),
  };
  testRoundTrip<TcpSegment>(
    (value, buf, offset) => buildTcpPacket({ src: IMDS, dst: VM, ttl: 128, id: 77 }, value, buf, offset).length,
    (bytes) => {
      const { ip, tcp } = parseTcpPacket(bytes);
      assert.deepStrictEqual([ip.ttl, ip.id, ip.dontFragment, ip.src, ip.dst], [128, 77, true, IMDS, VM]);
      return tcp;
    },
    segment,
    {
      offset: 11,
      length: tcpPacketLength(segment),
      compare: (s) => ({ ...s, options: { ...s.options, mss: undefined, windowScale: undefined, sackPermitted: undefined, sackBlocks: undefined }, payload: Array.from(s.payload) }),
    },
  );
  const buf = new Uint8Array(200);
  const view = buildTcpPacket({ src: IMDS, dst: VM }, segment, buf, 9);
  assert.equal(view.buffer, buf.buffer);
  assert.equal(view.byteOffset, 9);
  assert.equal(code(() => buildTcpPacket({ src: IMDS, dst: VM }, segment, new Uint8Array(70), 9)), 'ERR_WIRE_BUFFER_TOO_SMALL');
});

test('parseTcpPacket rejects other protocols and passes IPv4 and TCP errors through', () => {
  const udp = new Uint8Array(28);
  writeIpv4Header({ id: 0, ttl: 64, protocol: 17, src: VM, dst: IMDS }, 8, udp, 0);
  assert.equal(code(() => parseTcpPacket(udp)), 'ERR_IPV4_PROTOCOL');
  const badIp = Uint8Array.from(LINUX_SYN);
  badIp[8] = 1;
  assert.equal(code(() => parseTcpPacket(badIp)), 'ERR_IPV4_CHECKSUM');
  const badTcp = Uint8Array.from(LINUX_SYN);
  badTcp[59] = 8;
  assert.equal(code(() => parseTcpPacket(badTcp)), 'ERR_TCP_CHECKSUM');
});

test('buildIcmpUnreachablePacket answers the offending packet with a parseable ICMP error', () => {
  const reply = buildIcmpUnreachablePacket({ src: IMDS, dst: VM }, 3, LINUX_SYN);
  const ip = parseIpv4(reply);
  assert.deepStrictEqual([ip.protocol, ip.src, ip.dst, ip.ttl, ip.dontFragment, ip.totalLength], [1, IMDS, VM, 64, false, 56]);
  const icmp = parseIcmp(ip.payload);
  assert.deepStrictEqual([icmp.type, icmp.code, icmp.rest], [3, 3, 0]);
  assert.deepStrictEqual(icmp.body, LINUX_SYN.subarray(0, 28));
});

test('buildIcmpUnreachablePacket may reuse the buffer that holds the offending packet', () => {
  const buf = new Uint8Array(100);
  buf.set(LINUX_SYN, 0);
  const reply = buildIcmpUnreachablePacket({ src: IMDS, dst: VM }, 13, buf.subarray(0, 60), buf, 0);
  const icmp = parseIcmp(parseIpv4(reply).payload);
  assert.equal(icmp.code, 13);
  assert.deepStrictEqual(icmp.body, LINUX_SYN.subarray(0, 28));
});

test('fuzz: mutated whole packets only raise WireError from parseTcpPacket', () => {
  const rng = seededRandom(1812);
  const valid: Uint8Array[] = [Uint8Array.from(LINUX_SYN)];
  for (let i = 0; i < 30; i++) {
    valid.push(
      buildTcpPacket(
        { src: randomInt(rng, 2 ** 32), dst: IMDS, id: i },
        { ...SYN, flags: randomInt(rng, 256), options: i % 3 ? {} : { sackBlocks: [{ left: i, right: i + 9 }] }, payload: randomBytes(rng, randomInt(rng, 50)) },
      ),
    );
  }
  const inputs = Array.from({ length: 4000 }, (_, i) => mutate(rng, valid[i % valid.length]!));
  const { ok, rejected } = assertOnlyWireErrors(inputs, (bytes): TcpPacket => parseTcpPacket(bytes));
  assert.ok(ok > 200, `${ok} accepted`);
  assert.ok(rejected.has('ERR_TCP_CHECKSUM') && rejected.has('ERR_IPV4_CHECKSUM'));
});
