// Tests for tcpdump-style packet lines: the known SYN, flags, and a differential test against tcpdump itself.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { seededRandom } from '../util/seeded-random.ts';
import { LINUX_SYN, mutate, randomBytes, randomInt, writeRawPcap } from '../../test/helpers/wire-test-kit.ts';
import { formatPacket, formatTcpFlags } from './format.ts';
import { writeIcmp } from './icmp.ts';
import { writeIpv4Header } from './ipv4.ts';
import { buildIcmpUnreachablePacket, buildTcpPacket } from './packet.ts';
import type { TcpOptions, TcpSegment } from './tcp-segment.ts';

const VM = 0x0a010004;
const IMDS = 0xa9fea9fe;

test('the known Linux SYN reads as tcpdump -n -S prints it', () => {
  assert.equal(
    formatPacket(LINUX_SYN),
    '10.1.0.4.43210 > 169.254.169.254.80: Flags [S], seq 123, win 64240, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0',
  );
});

test('flags print in tcpdump order with "." for ACK', () => {
  assert.equal(formatTcpFlags(0x12), 'S.');
  assert.equal(formatTcpFlags(0x18), 'P.');
  assert.equal(formatTcpFlags(0x11), 'F.');
  assert.equal(formatTcpFlags(0x04), 'R');
  assert.equal(formatTcpFlags(0), 'none');
  assert.equal(formatTcpFlags(0xff), 'FSRP.UEW');
});

test('rejected packets are still described and name the error code', () => {
  const bad = Uint8Array.from(LINUX_SYN);
  bad[59]! ^= 1;
  assert.match(formatPacket(bad), /^10\.1\.0\.4\.43210 > 169\.254\.169\.254\.80: Flags \[S\].* \[ERR_TCP_CHECKSUM\]$/);
  assert.equal(formatPacket(new Uint8Array(3)), '[not IPv4, 3 bytes]');
  const rng = seededRandom(5);
  for (let i = 0; i < 3000; i++) assert.equal(typeof formatPacket(i % 3 ? mutate(rng, LINUX_SYN) : randomBytes(rng, randomInt(rng, 90))), 'string');
});

function randomSegment(rng: () => number, i: number): TcpSegment {
  const options: TcpOptions[] = [
    {},
    { mss: 1460, sackPermitted: true, timestamps: { tsVal: randomInt(rng, 2 ** 32), tsEcr: 0 }, windowScale: 7 },
    { mss: 536, windowScale: 0, sackPermitted: true },
    { timestamps: { tsVal: 1, tsEcr: randomInt(rng, 2 ** 32) } },
    { timestamps: { tsVal: 1, tsEcr: 2 }, sackBlocks: [{ left: 100, right: 200 }, { left: 0xfffffff0, right: 5 }] },
  ];
  return {
    // Ports above 30000 that tcpdump has no application decoder for.
    srcPort: 40000 + randomInt(rng, 20000),
    dstPort: 30000 + randomInt(rng, 9000),
    seq: randomInt(rng, 2 ** 32),
    ack: randomInt(rng, 2 ** 32),
    flags: randomInt(rng, 256),
    window: randomInt(rng, 65536),
    urgentPointer: randomInt(rng, 65536),
    options: options[i % options.length]!,
    payload: randomBytes(rng, i % 3 === 0 ? 0 : randomInt(rng, 300)),
  };
}

test('differential: the same lines as `tcpdump -n -S -t` for hundreds of random packets', () => {
  const rng = seededRandom(2024);
  const packets: Uint8Array[] = [LINUX_SYN];
  for (let i = 0; i < 300; i++) packets.push(buildTcpPacket({ src: randomInt(rng, 2 ** 32), dst: IMDS }, randomSegment(rng, i)));
  const http = new TextEncoder().encode('GET /metadata/instance?api-version=2021-02-01 HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n');
  packets.push(buildTcpPacket({ src: VM, dst: IMDS }, { ...randomSegment(rng, 0), dstPort: 80, flags: 0x18, payload: http }));
  packets.push(buildTcpPacket({ src: IMDS, dst: VM }, { ...randomSegment(rng, 0), srcPort: 80, flags: 0x18, payload: new TextEncoder().encode('HTTP/1.1 200 OK\r\n\r\n') }));
  for (const code of [0, 1, 3, 13] as const) packets.push(buildIcmpUnreachablePacket({ src: IMDS, dst: VM }, code, LINUX_SYN));
  const echo = new Uint8Array(20 + 8 + 56);
  writeIpv4Header({ id: 1, ttl: 64, protocol: 1, src: VM, dst: IMDS }, 64, echo, 0);
  writeIcmp({ type: 8, code: 0, rest: 0x00070001, body: randomBytes(rng, 56) }, echo, 20);
  packets.push(echo);

  const dir = mkdtempSync(join(tmpdir(), 'wire-format-'));
  try {
    const file = join(dir, 'packets.pcap');
    writeRawPcap(file, packets);
    const output = execFileSync('tcpdump', ['-n', '-S', '-t', '-r', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = output.trimEnd().split('\n');
    assert.equal(lines.length, packets.length);
    for (const [i, packet] of packets.entries()) {
      assert.equal(formatPacket(packet), lines[i]!.replace(/^IP /, ''), `packet ${i}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
