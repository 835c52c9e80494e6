// Micro-benchmark of the wire codecs: parse and write packets/s, each as a ratio to Buffer.copy of the same bytes.
// Run: node --import tsx scripts/bench-wire.ts [--ms 400]
import { parseArgs } from 'node:util';
import { internetChecksum } from '../src/wire/checksum.ts';
import { buildTcpPacket, parseTcpPacket } from '../src/wire/packet.ts';
import { TcpFlags, type TcpSegment } from '../src/wire/tcp-segment.ts';
import { LINUX_SYN_DST as IMDS, LINUX_SYN_SEGMENT, LINUX_SYN_SRC as VM } from '../test/helpers/wire-test-kit.ts';

const { values } = parseArgs({ options: { ms: { type: 'string', default: '400' } } });
const budgetMs = Number(values.ms);

const syn = LINUX_SYN_SEGMENT;
const data: TcpSegment = {
  ...syn,
  srcPort: 80,
  dstPort: 43210,
  flags: TcpFlags.ACK | TcpFlags.PSH,
  ack: 124,
  options: { timestamps: { tsVal: 9, tsEcr: 1 } },
  payload: new Uint8Array(1448).map((_, i) => i & 0xff),
};

let sink = 0;

/** Runs fn in batches until budgetMs has passed; returns operations per second. */
function measure(fn: () => void): number {
  for (let i = 0; i < 20_000; i++) fn();
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    for (let i = 0; i < 10_000; i++) fn();
    ops += 10_000;
    elapsed = performance.now() - start;
  }
  return (ops / elapsed) * 1000;
}

function row(name: string, opsPerSecond: number, baseline: number): void {
  const ratio = opsPerSecond / baseline;
  console.log(`${name.padEnd(44)} ${(opsPerSecond / 1e6).toFixed(2).padStart(7)} M/s   ${ratio.toFixed(2)}x copy`);
}

for (const [label, segment] of [['SYN (60 B)', syn], ['data (1500 B)', data]] as const) {
  const packet = Buffer.from(buildTcpPacket({ src: VM, dst: IMDS }, segment));
  const out = Buffer.alloc(2048);
  const copy = measure(() => {
    sink += packet.copy(out, 0);
  });
  console.log(`\n${label}: baseline Buffer.copy ${(copy / 1e6).toFixed(2)} M packets/s`);
  row('parseTcpPacket (IPv4+TCP, both checksums)', measure(() => {
    sink += parseTcpPacket(packet).tcp.window;
  }), copy);
  row('buildTcpPacket into a given buffer', measure(() => {
    sink += buildTcpPacket({ src: IMDS, dst: VM }, segment, out, 0).length;
  }), copy);
  row('internetChecksum over the packet', measure(() => {
    sink += internetChecksum(packet);
  }), copy);
}
if (sink === 0) console.log('(sink)');
