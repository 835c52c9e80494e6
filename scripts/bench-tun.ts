// TUN packet rate of the tun.node binding against minimal C programs compiled on the spot (root; own namespace).
// drain: a C UDP flooder queues --backlog datagrams in the TUN (txqueuelen raised), then the binding (a Link counting
// in its JS receiver; default options, and again with offload) or a blocking C reader reads them all: reader capacity. live: both read while the flooder
// runs. write: the binding's send() of 64-packet batches against a C write() loop. Rounds alternate; medians.
// Usage: node --import tsx scripts/bench-tun.ts [--seconds 5] [--rounds 3] [--warmup 1] [--size 64] [--backlog 100000]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openTun } from '../src/link/tun.ts';
import { addNetns, deleteNetns, ip, privilegedSkipReason, uniqueNsName } from '../test/helpers/netns.ts';
import { udpPacket } from '../test/tools/raw-ipv4.ts';

const C_COMMON = `
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
static double cpu(void) { struct rusage u; getrusage(RUSAGE_SELF, &u); return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6; }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static int attach(const char *name) {
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) { perror("open /dev/net/tun"); exit(2); }
  struct ifreq ifr; memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  if (strlen(name) >= IFNAMSIZ) { fprintf(stderr, "name too long\\n"); exit(2); }
  strcpy(ifr.ifr_name, name);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) { perror("TUNSETIFF"); exit(2); }
  return fd;
}
`;

/** reader IFNAME WARMUP SECONDS: blocking reads; counts packets read inside the measured window. */
const C_READER = `${C_COMMON}
int main(int argc, char **argv) {
  if (argc != 4) return 2;
  int fd = attach(argv[1]);
  double warm = atof(argv[2]), secs = atof(argv[3]);
  alarm((unsigned)(warm + secs) + 5);
  static unsigned char buf[65536];
  printf("ready\\n"); fflush(stdout);
  double start = now(), t0 = start + warm, t1 = t0 + secs;
  long count = 0;
  double cpu0 = -1, cpu1 = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) { if (errno == EINTR) continue; perror("read"); return 1; }
    double t = now();
    if (t >= t1) { cpu1 = cpu(); break; }
    if (t >= t0) { if (cpu0 < 0) cpu0 = cpu(); count++; }
  }
  printf("%ld %.6f %.6f\\n", count, secs, cpu1 - cpu0);
  return 0;
}
`;

/** drain IFNAME COUNT: attaches, says ready, waits for a line on stdin, then times blocking reads of COUNT packets. */
const C_DRAIN = `${C_COMMON}
int main(int argc, char **argv) {
  if (argc != 3) return 2;
  int fd = attach(argv[1]);
  long want = atol(argv[2]);
  static unsigned char buf[65536];
  char line[16];
  printf("ready\\n"); fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 2;
  alarm(60);
  double t0 = now(), c0 = cpu();
  long count = 0;
  while (count < want) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) { if (errno == EINTR) continue; perror("read"); return 1; }
    count++;
  }
  printf("%ld %.6f %.6f\\n", count, now() - t0, cpu() - c0);
  return 0;
}
`;

/** writer IFNAME SECONDS HEX: write() of one packet in a loop; prints packets written and elapsed seconds. */
const C_WRITER = `${C_COMMON}
int main(int argc, char **argv) {
  if (argc != 4) return 2;
  int fd = attach(argv[1]);
  double secs = atof(argv[2]);
  size_t len = strlen(argv[3]) / 2;
  unsigned char pkt[2048];
  if (len == 0 || len > sizeof pkt) return 2;
  for (size_t i = 0; i < len; i++) { unsigned v; if (sscanf(argv[3] + 2 * i, "%2x", &v) != 1) return 2; pkt[i] = (unsigned char)v; }
  long count = 0, errors = 0;
  double start = now(), t = start, cpu0 = cpu();
  while (t - start < secs) {
    for (int i = 0; i < 64; i++) { if (write(fd, pkt, len) == (ssize_t)len) count++; else errors++; }
    t = now();
  }
  printf("%ld %.6f %ld %.6f\\n", count, t - start, errors, cpu() - cpu0);
  return 0;
}
`;

/** flood DST PORT SECONDS SIZE [COUNT]: UDP send() as fast as possible, for SECONDS or COUNT datagrams. */
const C_FLOOD = `
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) return 2;
  long limit = argc == 6 ? atol(argv[5]) : 0;
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) { perror("socket"); return 2; }
  struct sockaddr_in to; memset(&to, 0, sizeof to);
  to.sin_family = AF_INET; to.sin_port = htons((unsigned short)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) return 2;
  if (connect(s, (struct sockaddr *)&to, sizeof to) < 0) { perror("connect"); return 2; }
  double secs = atof(argv[3]);
  size_t size = (size_t)atoi(argv[4]);
  char payload[1400]; memset(payload, 'x', sizeof payload);
  if (size > sizeof payload) size = sizeof payload;
  struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
  long sent = 0;
  for (;;) {
    for (int i = 0; i < 256 && (!limit || sent < limit); i++) if (send(s, payload, size, 0) >= 0) sent++;
    if (limit && sent >= limit) break;
    clock_gettime(CLOCK_MONOTONIC, &b);
    if ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 >= secs) break;
  }
  printf("%ld\\n", sent);
  return 0;
}
`;

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, warmup: { type: 'string', default: '1' }, size: { type: 'string', default: '64' }, rounds: { type: 'string', default: '3' }, backlog: { type: 'string', default: '100000' } },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const payloadSize = Number(values.size);
const backlog = Number(values.backlog);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function run(argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${argv.join(' ')} exited ${code}: ${err}`))));
  });
}

const lastLine = (text: string): string => text.trim().split('\n').pop() ?? '';

async function main(): Promise<void> {
  const skip = privilegedSkipReason();
  if (skip) throw new Error(`bench-tun ${skip}`);
  const dir = mkdtempSync(join(tmpdir(), 'imds-lab-bench-tun-'));
  const ns = uniqueNsName('imdslab-bench');
  const tunName = 'tb0';
  try {
    for (const [name, source] of [['reader', C_READER], ['drain', C_DRAIN], ['writer', C_WRITER], ['flood', C_FLOOD]] as const) {
      writeFileSync(join(dir, `${name}.c`), source);
      execFileSync('cc', ['-O2', '-Wall', '-o', join(dir, name), join(dir, `${name}.c`)], { stdio: 'inherit' });
    }
    addNetns(ns);
    // A persistent TUN, so the binding and the C programs attach to the same device one after the other.
    ip(['-n', ns, 'tuntap', 'add', 'dev', tunName, 'mode', 'tun']);
    ip(['-n', ns, 'link', 'set', tunName, 'txqueuelen', String(backlog + 1000)]); // the drain backlog fits in the ring
    ip(['-n', ns, 'link', 'set', tunName, 'up']);
    ip(['-n', ns, 'addr', 'add', '10.200.9.1/24', 'dev', tunName]);
    ip(['-n', ns, 'route', 'add', '10.200.10.0/24', 'dev', tunName]);
    const flood = () => run(['ip', 'netns', 'exec', ns, join(dir, 'flood'), '10.200.10.9', '4000', String(warmup + seconds + 0.5), String(payloadSize)]);
    const floodSeconds = warmup + seconds + 0.5;

    const floodCount = () => run(['ip', 'netns', 'exec', ns, join(dir, 'flood'), '10.200.10.9', '4000', '60', String(payloadSize), String(backlog)]);

    // Drain, binding: queue the backlog while attached but not reading, then read it all.
    // Default options (as serve opens the TUN), or with `offload` (IFF_VNET_HDR: every read carries a virtio_net_hdr).
    const bindingDrain = async (offload: boolean) => {
      const link = openTun({ name: tunName, netns: ns, offload });
      await floodCount();
      let received = 0;
      let done: () => void = () => {};
      const finished = new Promise<void>((resolve) => (done = resolve));
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      link.setReceiver(() => {
        if (++received === backlog) done();
      });
      const timeout = setTimeout(done, 60_000);
      await finished;
      clearTimeout(timeout);
      const secs = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const batch = received / link.stats().readBatches;
      link.close();
      if (received !== backlog) throw new Error(`binding drained ${received} of ${backlog} packets`);
      return { pps: received / secs, cpuPerPacket: (cpu.user + cpu.system) / received, batch };
    };
    // Drain, C blocking reader.
    const cDrain = async () => {
      const child = spawn('ip', ['netns', 'exec', ns, join(dir, 'drain'), tunName, String(backlog)], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('ready')) resolve();
        });
        void exited.then((code) => reject(new Error(`drain exited ${code}: ${err}`)));
      });
      await floodCount();
      child.stdin.end('go\n');
      const code = await exited;
      if (code !== 0) throw new Error(`drain exited ${code}: ${err}`);
      const [count, secs, cpuSeconds] = lastLine(out).split(' ').map(Number);
      return { pps: count! / secs!, cpuPerPacket: (cpuSeconds! * 1e6) / count! };
    };

    // Live read, binding: the JS receiver counts every packet.
    const bindingRead = async () => {
      const link = openTun({ name: tunName, netns: ns });
      let received = 0;
      link.setReceiver(() => received++);
      const sending = flood();
      await sleep(warmup * 1000);
      const a0 = received;
      const batches0 = link.stats().readBatches;
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      await sleep(seconds * 1000);
      const cpu = process.cpuUsage(cpu0);
      const pps = (received - a0) / ((performance.now() - t0) / 1000);
      const batch = (received - a0) / (link.stats().readBatches - batches0);
      const cpuPerPacket = (cpu.user + cpu.system) / (received - a0); // microseconds
      link.close();
      const sent = Number(lastLine(await sending)) / floodSeconds;
      return { pps, batch, sent, cpuPerPacket };
    };
    // Read path, C blocking reader.
    const cRead = async () => {
      const reader = run(['ip', 'netns', 'exec', ns, join(dir, 'reader'), tunName, String(warmup), String(seconds)]);
      await sleep(200);
      const [sentOut, readerOut] = await Promise.all([flood(), reader]);
      const [count, secs, cpuSeconds] = lastLine(readerOut).split(' ').map(Number);
      return { pps: count! / secs!, sent: Number(lastLine(sentOut)) / floodSeconds, cpuPerPacket: (cpuSeconds! * 1e6) / count! };
    };
    // Write path: UDP to a local port with no listener (the kernel parses and drops it; ICMP errors are rate-limited).
    const packet = udpPacket({ src: '10.200.10.9', dst: '10.200.9.1', srcPort: 4000, dstPort: 9, data: new Uint8Array(payloadSize) });
    const bindingWrite = async () => {
      const link = openTun({ name: tunName, netns: ns });
      const batch = Array.from({ length: 64 }, () => packet);
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      while (performance.now() - t0 < seconds * 1000) {
        for (let i = 0; i < 16; i++) link.send(batch);
        await new Promise((resolve) => setImmediate(resolve));
      }
      const cpu = process.cpuUsage(cpu0);
      const stats = link.stats();
      const pps = stats.packetsOut / ((performance.now() - t0) / 1000);
      link.close();
      return { pps, errors: stats.writeErrors, eagain: stats.writeEagain, cpuPerPacket: (cpu.user + cpu.system) / stats.packetsOut };
    };
    const cWrite = async () => {
      const out = await run(['ip', 'netns', 'exec', ns, join(dir, 'writer'), tunName, String(seconds), Buffer.from(packet).toString('hex')]);
      const [count, secs, errors, cpuSeconds] = lastLine(out).split(' ').map(Number);
      return { pps: count! / secs!, errors: errors!, cpuPerPacket: (cpuSeconds! * 1e6) / count! };
    };

    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const results = { bRead: [] as number[], cRead: [] as number[], bWrite: [] as number[], cWrite: [] as number[], bCpu: [] as number[], cCpu: [] as number[], bwCpu: [] as number[], cwCpu: [] as number[], bDrain: [] as number[], cDrain: [] as number[], bDrainCpu: [] as number[], cDrainCpu: [] as number[], drainRatio: [] as number[], bDrainRaw: [] as number[], bDrainRawCpu: [] as number[], drainRawRatio: [] as number[], readRatio: [] as number[], writeRatio: [] as number[] };
    console.log(`TUN I/O, ${payloadSize}-byte UDP payloads, ${rounds} rounds of ${seconds} s per run after ${warmup} s warm-up (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
    for (let round = 1; round <= rounds; round++) {
      const bd = await bindingDrain(false);
      const cd = await cDrain();
      const braw = await bindingDrain(true);
      results.bDrainRaw.push(braw.pps);
      results.bDrainRawCpu.push(braw.cpuPerPacket);
      results.drainRawRatio.push(braw.pps / cd.pps);
      results.bDrain.push(bd.pps);
      results.cDrain.push(cd.pps);
      results.bDrainCpu.push(bd.cpuPerPacket);
      results.cDrainCpu.push(cd.cpuPerPacket);
      results.drainRatio.push(bd.pps / cd.pps);
      console.log(
        `round ${round}: drain ${backlog} binding ${fmt(bd.pps)}/s (avg batch ${bd.batch.toFixed(1)}, ${bd.cpuPerPacket.toFixed(2)} µs CPU/packet), ` +
          `binding with offload ${fmt(braw.pps)}/s (${braw.cpuPerPacket.toFixed(2)} µs CPU/packet), ` +
          `C ${fmt(cd.pps)}/s (${cd.cpuPerPacket.toFixed(2)} µs CPU/packet)`,
      );
      const br = await bindingRead();
      const cr = await cRead();
      const bw = await bindingWrite();
      const cw = await cWrite();
      results.bRead.push(br.pps);
      results.cRead.push(cr.pps);
      results.bWrite.push(bw.pps);
      results.cWrite.push(cw.pps);
      results.bCpu.push(br.cpuPerPacket);
      results.cCpu.push(cr.cpuPerPacket);
      results.bwCpu.push(bw.cpuPerPacket);
      results.cwCpu.push(cw.cpuPerPacket);
      results.readRatio.push(br.pps / cr.pps);
      results.writeRatio.push(bw.pps / cw.pps);
      console.log(
        `round ${round}: live read binding ${fmt(br.pps)}/s (avg batch ${br.batch.toFixed(1)}, ${br.cpuPerPacket.toFixed(2)} µs CPU/packet, flooder ${fmt(br.sent)}/s), ` +
          `C ${fmt(cr.pps)}/s (${cr.cpuPerPacket.toFixed(2)} µs CPU/packet, flooder ${fmt(cr.sent)}/s); ` +
          `write binding ${fmt(bw.pps)}/s (${bw.cpuPerPacket.toFixed(2)} µs CPU/packet, errors ${bw.errors}, EAGAIN ${bw.eagain}), C ${fmt(cw.pps)}/s (${cw.cpuPerPacket.toFixed(2)} µs CPU/packet, errors ${cw.errors})`,
      );
    }
    const [bRead, cReadM, bWrite, cWriteM] = [median(results.bRead), median(results.cRead), median(results.bWrite), median(results.cWrite)];
    console.log(
      `median drain  binding ${fmt(median(results.bDrain))} packets/s, C reader ${fmt(median(results.cDrain))} packets/s; per-round ratio median ${median(results.drainRatio).toFixed(2)}x (target >= 0.8x); ` +
        `CPU per packet ${median(results.bDrainCpu).toFixed(2)} vs ${median(results.cDrainCpu).toFixed(2)} µs`,
    );
    console.log(
      `median drain  binding with offload (virtio_net_hdr per read) ${fmt(median(results.bDrainRaw))} packets/s; per-round ratio median ${median(results.drainRawRatio).toFixed(2)}x; ` +
        `CPU per packet ${median(results.bDrainRawCpu).toFixed(2)} vs ${median(results.cDrainCpu).toFixed(2)} µs (efficiency ${(median(results.cDrainCpu) / median(results.bDrainRawCpu)).toFixed(2)}x of C)`,
    );
    const [bCpu, cCpu] = [median(results.bCpu), median(results.cCpu)];
    console.log(`median live   binding ${fmt(bRead)} packets/s, C reader ${fmt(cReadM)} packets/s; per-round ratio median ${median(results.readRatio).toFixed(2)}x (target >= 0.8x)`);
    console.log(`median live   CPU per packet: binding ${bCpu.toFixed(2)} µs, C reader ${cCpu.toFixed(2)} µs; efficiency ${(cCpu / bCpu).toFixed(2)}x of C`);
    console.log(`median write  binding ${fmt(bWrite)} packets/s, C writer ${fmt(cWriteM)} packets/s; per-round ratio median ${median(results.writeRatio).toFixed(2)}x`);
    const [bwCpu, cwCpu] = [median(results.bwCpu), median(results.cwCpu)];
    console.log(`median write  CPU per packet: binding ${bwCpu.toFixed(2)} µs, C writer ${cwCpu.toFixed(2)} µs; efficiency ${(cwCpu / bwCpu).toFixed(2)}x of C`);
  } finally {
    deleteNetns(ns);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
