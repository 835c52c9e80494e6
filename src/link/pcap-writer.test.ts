// Tests of the pcap writer and Link decorator: read back with pcap-parser (and tcpdump when installed).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { udpPacket } from '../../test/tools/raw-ipv4.ts';
import { FakeClock } from '../util/clock.ts';
import { createMemoryLinkPair } from './memory-link.ts';
import { LINKTYPE_RAW, PcapWriter, capturePcap } from './pcap-writer.ts';

type GlobalHeader = { magicNumber: number; majorVersion: number; minorVersion: number; snapshotLength: number; linkLayerType: number };
type PacketHeader = { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number };
type Parser = { on(event: 'globalHeader', cb: (h: GlobalHeader) => void): void; on(event: 'packet', cb: (p: { header: PacketHeader; data: Buffer }) => void): void; on(event: 'end', cb: () => void): void; on(event: 'error', cb: (e: Error) => void): void };
const pcapParser = createRequire(import.meta.url)('pcap-parser') as { parse(path: string): Parser };

function readPcap(path: string): Promise<{ global: GlobalHeader | undefined; packets: { header: PacketHeader; data: Buffer }[] }> {
  return new Promise((resolve, reject) => {
    const parser = pcapParser.parse(path);
    let global: GlobalHeader | undefined;
    const packets: { header: PacketHeader; data: Buffer }[] = [];
    parser.on('globalHeader', (h) => (global = h));
    parser.on('packet', (p) => packets.push({ header: { ...p.header }, data: Buffer.from(p.data) }));
    parser.on('error', reject);
    parser.on('end', () => resolve({ global, packets }));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'imds-lab-pcap-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const datagram = (n: number, from = '10.200.0.1', to = '10.200.0.2') =>
  udpPacket({ src: from, dst: to, srcPort: 4000 + n, dstPort: 53, data: new TextEncoder().encode(`packet ${n}`) });

describe('PcapWriter', () => {
  it('writes a classic pcap header and records with microsecond wall-clock stamps', async () => {
    const clock = new FakeClock({ wallTime: Date.UTC(2026, 0, 2, 3, 4, 5) + 678.9 });
    const path = join(dir, 'basic.pcap');
    const writer = new PcapWriter(path, { clock });
    writer.write(datagram(1));
    clock.advance(1500.25);
    writer.write(datagram(2));
    writer.close();
    writer.write(datagram(3)); // ignored after close
    const { global, packets } = await readPcap(path);
    assert.equal(global?.magicNumber, 0xa1b2c3d4);
    assert.equal(global?.majorVersion, 2);
    assert.equal(global?.minorVersion, 4);
    assert.equal(global?.snapshotLength, 65535);
    assert.equal(global?.linkLayerType, LINKTYPE_RAW);
    assert.equal(packets.length, 2);
    const t0 = Math.floor(Date.UTC(2026, 0, 2, 3, 4, 5) / 1000);
    assert.deepEqual(packets[0]!.header, { timestampSeconds: t0, timestampMicroseconds: 678900, capturedLength: datagram(1).length, originalLength: datagram(1).length });
    assert.equal(packets[1]!.header.timestampSeconds, t0 + 2);
    assert.equal(packets[1]!.header.timestampMicroseconds, 179150);
    assert.deepEqual(new Uint8Array(packets[0]!.data), datagram(1));
    assert.deepEqual(new Uint8Array(packets[1]!.data), datagram(2));
    // flushes: the header at open, the 1000 ms timer during advance(), and close()
    assert.deepEqual(writer.stats(), { packets: 2, bytes: datagram(1).length * 2, truncated: 0, flushes: 3 });
  });

  it('streams through a bounded buffer and cuts packets at the snap length', async () => {
    const clock = new FakeClock();
    const path = join(dir, 'stream.pcap');
    const writer = new PcapWriter(path, { clock, bufferSize: 256, flushIntervalMs: 0 });
    for (let i = 0; i < 20; i++) writer.write(datagram(i));
    const sizeBeforeClose = statSync(path).size;
    assert.ok(sizeBeforeClose > 24 + 4 * (16 + datagram(0).length), `records reach the file before close (${sizeBeforeClose} bytes)`);
    const big = new Uint8Array(70000);
    big[0] = 0x45;
    big[69999] = 7;
    writer.write(big); // larger than the buffer and than the snap length
    writer.write(datagram(99));
    writer.close();
    const { packets } = await readPcap(path);
    assert.equal(packets.length, 22);
    assert.deepEqual(packets[20]!.header.capturedLength, 65535);
    assert.deepEqual(packets[20]!.header.originalLength, 70000);
    assert.deepEqual(new Uint8Array(packets[21]!.data), datagram(99));
    for (let i = 0; i < 20; i++) assert.deepEqual(new Uint8Array(packets[i]!.data), datagram(i));
    assert.equal(writer.stats().truncated, 1);
  });

  it('flushes on the interval timer of the injected clock', () => {
    const clock = new FakeClock();
    const path = join(dir, 'timer.pcap');
    const writer = new PcapWriter(path, { clock, flushIntervalMs: 200 });
    writer.write(datagram(1));
    assert.equal(statSync(path).size, 24);
    clock.advance(200);
    assert.equal(statSync(path).size, 24 + 16 + datagram(1).length);
    writer.close();
    assert.equal(clock.pendingTimers(), 0);
  });

  it('names the path when the file cannot be created', () => {
    assert.throws(() => new PcapWriter(join(dir, 'missing', 'x.pcap'), { clock: new FakeClock() }), { code: 'ERR_PCAP_OPEN', message: /missing\/x\.pcap/ });
  });
});

describe('capturePcap decorator', () => {
  it('records both directions of a link in order, and tcpdump reads the file', async () => {
    const clock = new FakeClock();
    const pair = createMemoryLinkPair({ manual: true });
    const path = join(dir, 'link.pcap');
    const { link } = capturePcap(pair.a, path, { clock });
    const atB: Uint8Array[] = [];
    const atA: Uint8Array[] = [];
    link.setReceiver((p) => atA.push(p.slice()));
    pair.b.setReceiver((p) => {
      atB.push(p);
      pair.b.send([datagram(10 + atB.length, '10.200.0.2', '10.200.0.1')]);
    });
    link.send([datagram(1), datagram(2)]);
    pair.flush();
    assert.equal(link.mtu, 1500);
    link.close();
    assert.equal(pair.a.closed, true);
    assert.equal(atA.length, 2);
    const { packets } = await readPcap(path);
    const expected = [datagram(1), datagram(2), datagram(11, '10.200.0.2', '10.200.0.1'), datagram(12, '10.200.0.2', '10.200.0.1')];
    assert.deepEqual(packets.map((p) => new Uint8Array(p.data)), expected);
    let tcpdump: string;
    try {
      tcpdump = execFileSync('tcpdump', ['-r', path, '-nn'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // tcpdump not installed: pcap-parser already checked the file
      throw error;
    }
    const lines = tcpdump.trim().split('\n');
    assert.equal(lines.length, 4, tcpdump);
    assert.match(lines[0]!, /IP 10\.200\.0\.1\.4001 > 10\.200\.0\.2\.53: /);
    assert.match(lines[3]!, /IP 10\.200\.0\.2\.4012 > 10\.200\.0\.1\.53: /);
  });
});
