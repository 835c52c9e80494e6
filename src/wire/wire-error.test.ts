// Every WireError code in WIRE_ERROR_CODES is reachable: one crafted input per code, through the public codecs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ImdsLabError } from '../util/errors.ts';
import { hex, LINUX_SYN } from '../../test/helpers/wire-test-kit.ts';
import { internetChecksum } from './checksum.ts';
import { parseIcmp } from './icmp.ts';
import { parseIpv4, writeIpv4Header } from './ipv4.ts';
import { parseTcpPacket } from './packet.ts';
import { parseTcpOptions, writeTcpOptions } from './tcp-options.ts';
import { isWireError, WIRE_ERROR_CODES, WireError, type WireErrorCode } from './wire-error.ts';

/** The SYN with `edit` applied to a copy and both checksums recomputed, so only the edit is wrong. */
function syn(edit: (p: Uint8Array) => void, length = LINUX_SYN.length): Uint8Array {
  const p = Uint8Array.from(LINUX_SYN).slice(0, length);
  edit(p);
  const ihl = Math.min((p[0]! & 0x0f) * 4, p.length);
  p[10] = p[11] = 0;
  let c = internetChecksum(p, 0, ihl);
  p[10] = c >>> 8;
  p[11] = c & 0xff;
  if (p.length >= 40) {
    p[36] = p[37] = 0;
    const pseudo = new Uint8Array(12 + p.length - 20);
    pseudo.set(p.subarray(12, 20), 0);
    pseudo[9] = 6;
    pseudo[10] = (p.length - 20) >>> 8;
    pseudo[11] = (p.length - 20) & 0xff;
    pseudo.set(p.subarray(20), 12);
    c = internetChecksum(pseudo);
    p[36] = c >>> 8;
    p[37] = c & 0xff;
  }
  return p;
}

const opts = (text: string) => (): unknown => parseTcpOptions(hex(text), 0, hex(text).length);

const triggers: Record<WireErrorCode, () => unknown> = {
  ERR_IPV4_TRUNCATED: () => parseIpv4(LINUX_SYN.subarray(0, 10)),
  ERR_IPV4_VERSION: () => parseIpv4(syn((p) => (p[0] = 0x65))),
  ERR_IPV4_HEADER_LENGTH: () => parseIpv4(syn((p) => (p[0] = 0x43))),
  ERR_IPV4_TOTAL_LENGTH: () => parseIpv4(syn((p) => (p[3] = 0x50))),
  ERR_IPV4_CHECKSUM: () => parseIpv4(Uint8Array.from(LINUX_SYN, (b, i) => (i === 8 ? b ^ 1 : b))),
  ERR_IPV4_FRAGMENT: () => parseIpv4(syn((p) => (p[6] = 0x60))),
  ERR_IPV4_PROTOCOL: () => parseTcpPacket(syn((p) => (p[9] = 17))),
  ERR_TCP_TRUNCATED: () => parseTcpPacket(syn((p) => (p[3] = 39), 39)),
  ERR_TCP_DATA_OFFSET: () => parseTcpPacket(syn((p) => (p[32] = 0x30))),
  ERR_TCP_CHECKSUM: () => parseTcpPacket(Uint8Array.from(LINUX_SYN, (b, i) => (i === 30 ? b ^ 1 : b))),
  ERR_TCP_OPTION_LENGTH: () => parseTcpPacket(syn((p) => (p[41] = 1))),
  ERR_TCP_OPTION_MSS: () => parseTcpPacket(syn((p) => p.set([2, 2, 1, 1], 40))),
  ERR_TCP_OPTION_WSCALE: opts('03040100'),
  ERR_TCP_OPTION_SACK_PERMITTED: opts('0403ff'),
  ERR_TCP_OPTION_SACK: opts('0506ffffffff'),
  ERR_TCP_OPTION_TIMESTAMPS: opts('08030000'),
  ERR_TCP_OPTIONS_TOO_LONG: () =>
    writeTcpOptions({ mss: 1, sackBlocks: Array.from({ length: 5 }, () => ({ left: 1, right: 2 })) }, new Uint8Array(99), 0),
  ERR_ICMP_TRUNCATED: () => parseIcmp(new Uint8Array(4)),
  ERR_ICMP_CHECKSUM: () => parseIcmp(hex('0800000000010001')),
  ERR_WIRE_BUFFER_TOO_SMALL: () => writeIpv4Header({ id: 0, ttl: 1, protocol: 6, src: 1, dst: 2 }, 0, new Uint8Array(10), 0),
  ERR_WIRE_FIELD_RANGE: () => writeIpv4Header({ id: 0x10000, ttl: 1, protocol: 6, src: 1, dst: 2 }, 0, new Uint8Array(20), 0),
};

test('every exported code is triggered by a crafted input and no other code exists', () => {
  assert.deepStrictEqual(Object.keys(triggers).sort(), [...WIRE_ERROR_CODES].sort());
  for (const expected of WIRE_ERROR_CODES) {
    assert.throws(triggers[expected], (error: unknown) => {
      assert.ok(isWireError(error), `${expected}: not a WireError: ${String(error)}`);
      assert.equal(error.code, expected);
      return true;
    });
  }
});

test('WireError is an ImdsLabError with a stable code and a message naming the field', () => {
  const error = new WireError('ERR_TCP_CHECKSUM', 'TCP: checksum mismatch');
  assert.ok(error instanceof ImdsLabError);
  assert.equal(error.name, 'WireError');
  assert.equal(error.code, 'ERR_TCP_CHECKSUM');
  assert.throws(() => parseIpv4(syn((p) => (p[0] = 0x65))), /version field is 6/);
  assert.equal(new Set(WIRE_ERROR_CODES).size, WIRE_ERROR_CODES.length);
});
