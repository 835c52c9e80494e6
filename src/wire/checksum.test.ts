// Tests for the RFC 1071 checksum and the pseudo-header sum: RFC vectors, a naive reference, incremental use.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../util/seeded-random.ts';
import { hex, randomBytes, randomInt } from '../../test/helpers/wire-test-kit.ts';
import { checksumFinish, checksumSum, internetChecksum, pseudoHeaderSum } from './checksum.ts';

/** Reference: fold after every addition, byte by byte, as RFC 1071 §4.1's C loop would. */
function naiveChecksum(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    sum += (bytes[i]! << 8) + (bytes[i + 1] ?? 0);
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return ~sum & 0xffff;
}

test('RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2, checksum 0x220d', () => {
  const bytes = hex('0001f203f4f5f6f7');
  assert.equal(checksumSum(bytes), 0x2ddf0);
  assert.equal(checksumFinish(checksumSum(bytes)), 0x220d);
  assert.equal(internetChecksum(bytes), 0x220d);
});

test('known Linux SYN: the IPv4 header checksum is 0x4f7e and verifies to 0', () => {
  const header = hex('4500003c8d3c400040060000 0a010004a9fea9fe');
  assert.equal(internetChecksum(header), 0x4f7e);
  header[10] = 0x4f;
  header[11] = 0x7e;
  assert.equal(internetChecksum(header), 0);
});

test('known Linux SYN: pseudo-header + segment gives the TCP checksum 0x4577 (verified by tcpdump -vv)', () => {
  const tcp = hex('a8ca00500000007b00000000a002faf000000000020405b40402080a000000010000000001030307');
  const src = 0x0a010004;
  const dst = 0xa9fea9fe;
  assert.equal(checksumFinish(checksumSum(tcp, 0, tcp.length, pseudoHeaderSum(src, dst, 6, tcp.length))), 0x4577);
});

test('odd length pads the last byte with a zero low byte', () => {
  assert.equal(internetChecksum(hex('ab')), ~0xab00 & 0xffff);
  assert.equal(internetChecksum(hex('0001f2')), naiveChecksum([0, 1, 0xf2]));
  assert.equal(internetChecksum(new Uint8Array(0)), 0xffff);
});

test('start/end select a range and agree with a naive reference on thousands of random buffers', () => {
  const rng = seededRandom(1071);
  for (let round = 0; round < 3000; round++) {
    const bytes = randomBytes(rng, randomInt(rng, 200));
    const start = randomInt(rng, bytes.length + 1);
    const end = start + randomInt(rng, bytes.length - start + 1);
    assert.equal(internetChecksum(bytes, start, end), naiveChecksum(Array.from(bytes.subarray(start, end))), `round ${round}`);
  }
});

test('incremental sums over even-length chunks equal the one-shot checksum', () => {
  const rng = seededRandom(7);
  for (let round = 0; round < 500; round++) {
    const bytes = randomBytes(rng, 2 + randomInt(rng, 300));
    const cut = 2 * randomInt(rng, Math.floor(bytes.length / 2) + 1);
    const partial = checksumSum(bytes, 0, cut);
    assert.equal(checksumFinish(checksumSum(bytes, cut, bytes.length, partial)), internetChecksum(bytes));
  }
});

test('checksumFinish folds large unfolded sums correctly (one-complement arithmetic is mod 0xffff)', () => {
  const ref = (s: number): number => {
    let x = s;
    while (x > 0xffff) x = (x % 0x10000) + Math.floor(x / 0x10000);
    return ~x & 0xffff;
  };
  for (const s of [0, 1, 0xffff, 0x10000, 0x1fffe, 0xffffffff, 0x100000000, 0x1234567890, 2 ** 40 - 1, 65535 * 70000]) {
    assert.equal(checksumFinish(s), ref(s), `sum ${s}`);
  }
  const big = new Uint8Array(200_000).fill(0xff);
  assert.equal(internetChecksum(big), 0);
});

test('a block with its checksum embedded verifies to 0', () => {
  const rng = seededRandom(99);
  for (let round = 0; round < 500; round++) {
    const bytes = randomBytes(rng, 4 + 2 * randomInt(rng, 50));
    bytes[2] = 0;
    bytes[3] = 0;
    const c = internetChecksum(bytes);
    bytes[2] = c >>> 8;
    bytes[3] = c & 0xff;
    assert.equal(internetChecksum(bytes), 0);
  }
});

test('pseudoHeaderSum equals the sum of the 12 pseudo-header bytes (RFC 9293 §3.1)', () => {
  const rng = seededRandom(9293);
  for (let round = 0; round < 1000; round++) {
    const src = Math.floor(rng() * 2 ** 32);
    const dst = Math.floor(rng() * 2 ** 32);
    const protocol = randomInt(rng, 256);
    const length = randomInt(rng, 65536);
    const bytes = new Uint8Array(12);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, src);
    view.setUint32(4, dst);
    view.setUint8(9, protocol);
    view.setUint16(10, length);
    assert.equal(checksumFinish(pseudoHeaderSum(src, dst, protocol, length)), internetChecksum(bytes));
  }
});

test('the wide (32-bit) path agrees with the reference at every alignment, in shared and growing buffers', () => {
  const rng = seededRandom(32);
  const shared = randomBytes(rng, 4096);
  const other = randomBytes(rng, 4096);
  for (let round = 0; round < 2000; round++) {
    const source = round % 3 === 0 ? other : shared;
    const base = randomInt(rng, 8);
    const view = source.subarray(base, base + 64 + randomInt(rng, 1600));
    const start = randomInt(rng, 8);
    const end = view.length - randomInt(rng, 8);
    assert.equal(internetChecksum(view, start, end), naiveChecksum(Array.from(view.subarray(start, end))), `round ${round}`);
  }
  // Resizable ArrayBuffer (ES2024; in Node 20, not in this project's lib typings).
  type Resizable = ArrayBuffer & { resize(length: number): void };
  const ResizableBuffer = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => Resizable;
  const growing = new ResizableBuffer(128, { maxByteLength: 4096 });
  const small = new Uint8Array(growing).fill(3);
  assert.equal(internetChecksum(small), naiveChecksum(Array.from(small)));
  growing.resize(2048);
  const large = new Uint8Array(growing).fill(5);
  assert.equal(internetChecksum(large, 4, 2040), naiveChecksum(Array.from(large.subarray(4, 2040))));
});
