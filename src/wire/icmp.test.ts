// Tests for the ICMP codec: round trips, destination-unreachable quoting (RFC 792), errors, answer policy, fuzzing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../util/seeded-random.ts';
import { assertOnlyWireErrors, hex, LINUX_SYN, mutate, randomBytes, randomInt, testRoundTrip, wireErrorCode as code } from '../../test/helpers/wire-test-kit.ts';
import { internetChecksum } from './checksum.ts';
import {
  type IcmpMessage,
  icmpQuote,
  IcmpType,
  IcmpUnreachableCode,
  mayAnswerWithIcmpError,
  parseIcmp,
  writeIcmp,
  writeIcmpDestinationUnreachable,
} from './icmp.ts';
import { parseIpv4, writeIpv4Header } from './ipv4.ts';

const comparable = (m: IcmpMessage): unknown => ({ ...m, body: Array.from(m.body) });

test('round trips echo and error messages at non-zero offsets, odd body lengths included', () => {
  const cases: IcmpMessage[] = [
    { type: IcmpType.ECHO_REQUEST, code: 0, rest: 0x00010002, body: hex('6162636465') },
    { type: IcmpType.DESTINATION_UNREACHABLE, code: 3, rest: 0, body: LINUX_SYN.subarray(0, 28) },
    { type: 255, code: 255, rest: 0xffffffff, body: new Uint8Array(0) },
  ];
  for (const m of cases) testRoundTrip<IcmpMessage>(writeIcmp, parseIcmp, m, { offset: 5, length: 8 + m.body.length, compare: comparable });
});

test('a known echo request: checksum matches the RFC 1071 reference and verifies', () => {
  // type 8, code 0, id 1, seq 1, body "abcd"; checksum by hand: ~(0x0800 + 0x0001 + 0x0001 + 0x6162 + 0x6364) = ~0xccc8 = 0x3337
  const buf = new Uint8Array(12);
  writeIcmp({ type: 8, code: 0, rest: 0x00010001, body: hex('61626364') }, buf, 0);
  assert.deepStrictEqual(Array.from(buf.subarray(2, 4)), [0x33, 0x37]);
  assert.equal(internetChecksum(buf), 0);
});

test('destination unreachable quotes the IPv4 header plus the first 8 data bytes (RFC 792)', () => {
  for (const unreachable of [IcmpUnreachableCode.NET, IcmpUnreachableCode.HOST, IcmpUnreachableCode.PORT, IcmpUnreachableCode.ADMIN_PROHIBITED]) {
    const buf = new Uint8Array(100);
    const n = writeIcmpDestinationUnreachable(unreachable, LINUX_SYN, buf, 4);
    assert.equal(n, 8 + 28);
    const msg = parseIcmp(buf.subarray(4, 4 + n));
    assert.equal(msg.type, 3);
    assert.equal(msg.code, unreachable);
    assert.equal(msg.rest, 0);
    assert.deepStrictEqual(msg.body, LINUX_SYN.subarray(0, 28));
  }
});

test('the quote follows IHL (options included) and stops at the total length, not link padding', () => {
  const withOptions = new Uint8Array(24 + 3 + 5);
  writeIpv4Header({ id: 1, ttl: 9, protocol: 17, src: 1, dst: 2, options: hex('01010100') }, 3, withOptions, 0);
  withOptions.set([7, 8, 9], 24);
  withOptions.fill(0xee, 27);
  assert.deepStrictEqual(Array.from(icmpQuote(withOptions)), Array.from(withOptions.subarray(0, 27)));
  const long = new Uint8Array(60);
  writeIpv4Header({ id: 1, ttl: 9, protocol: 6, src: 1, dst: 2, options: new Uint8Array(40) }, 0, long, 0);
  assert.equal(icmpQuote(long).length, 60);
  assert.equal(code(() => icmpQuote(new Uint8Array(19))), 'ERR_IPV4_TRUNCATED');
  assert.equal(code(() => icmpQuote(new Uint8Array(20))), 'ERR_IPV4_VERSION');
});

test('every ICMP parse error code is triggered', () => {
  assert.equal(code(() => parseIcmp(new Uint8Array(7))), 'ERR_ICMP_TRUNCATED');
  const buf = new Uint8Array(12);
  writeIcmp({ type: 8, code: 0, rest: 1, body: hex('61626364') }, buf, 0);
  buf[9]! ^= 0x40;
  assert.equal(code(() => parseIcmp(buf)), 'ERR_ICMP_CHECKSUM');
  assert.equal(code(() => writeIcmp({ type: 256, code: 0, rest: 0, body: new Uint8Array(0) }, buf, 0)), 'ERR_WIRE_FIELD_RANGE');
  assert.equal(code(() => writeIcmp({ type: 3, code: 0, rest: 0, body: new Uint8Array(5) }, buf, 0)), 'ERR_WIRE_BUFFER_TOO_SMALL');
});

test('mayAnswerWithIcmpError follows RFC 1122 §3.2.2', () => {
  const packet = (src: number, dst: number, protocol: number, payload: Uint8Array): Uint8Array => {
    const buf = new Uint8Array(20 + payload.length);
    writeIpv4Header({ id: 0, ttl: 64, protocol, src, dst }, payload.length, buf, 0);
    buf.set(payload, 20);
    return buf;
  };
  const ok = parseIpv4(packet(0x0a010004, 0xa9fea9fe, 6, new Uint8Array(20)));
  assert.equal(mayAnswerWithIcmpError(ok), true);
  assert.equal(mayAnswerWithIcmpError(parseIpv4(packet(0x0a010004, 0xa9fea9fe, 1, hex('0800')))), true, 'echo request');
  assert.equal(mayAnswerWithIcmpError(parseIpv4(packet(0x0a010004, 0xa9fea9fe, 1, hex('0303')))), false, 'ICMP error');
  assert.equal(mayAnswerWithIcmpError(parseIpv4(packet(0x0a010004, 0xa9fea9fe, 1, new Uint8Array(0)))), false, 'empty ICMP');
  assert.equal(mayAnswerWithIcmpError(parseIpv4(packet(0, 0xa9fea9fe, 6, new Uint8Array(0)))), false, '0.0.0.0 source');
  assert.equal(mayAnswerWithIcmpError(parseIpv4(packet(0x7f000001, 0xa9fea9fe, 6, new Uint8Array(0)))), false, 'loopback source');
  assert.equal(mayAnswerWithIcmpError(parseIpv4(packet(0xe0000001, 0xa9fea9fe, 6, new Uint8Array(0)))), false, 'multicast source');
  assert.equal(mayAnswerWithIcmpError(parseIpv4(packet(0x0a010004, 0xffffffff, 6, new Uint8Array(0)))), false, 'broadcast destination');
  assert.equal(mayAnswerWithIcmpError({ ...ok, fragmentOffset: 3 }), false, 'non-initial fragment');
});

test('fuzz: random and mutated ICMP messages only raise WireError and never read out of bounds', () => {
  const rng = seededRandom(792);
  const valid: Uint8Array[] = [];
  for (let i = 0; i < 20; i++) {
    const buf = new Uint8Array(8 + randomInt(rng, 60));
    writeIcmp({ type: randomInt(rng, 256), code: randomInt(rng, 16), rest: randomInt(rng, 2 ** 32), body: randomBytes(rng, buf.length - 8) }, buf, 0);
    valid.push(buf);
  }
  const inputs: Uint8Array[] = [];
  for (let i = 0; i < 4000; i++) inputs.push(i % 4 === 0 ? randomBytes(rng, randomInt(rng, 40)) : mutate(rng, valid[i % valid.length]!));
  const { ok, rejected } = assertOnlyWireErrors(inputs, (bytes) => parseIcmp(bytes));
  assert.ok(ok > 20, `${ok} accepted`);
  assert.ok(rejected.has('ERR_ICMP_TRUNCATED') && rejected.has('ERR_ICMP_CHECKSUM'));
  const quotes = Array.from({ length: 2000 }, () => mutate(rng, LINUX_SYN));
  assertOnlyWireErrors(quotes, (bytes) => {
    const q = icmpQuote(bytes);
    assert.ok(q.length <= bytes.length && q.length <= 68);
  });
});
