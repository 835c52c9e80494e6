// Privileged tests of the TUN link (root): packets from the kernel, packets into the kernel, batching, errors, cleanup.
// Each test makes its own namespace and creates the TUN inside it (openTun's `netns` option, or a child under `ip netns exec`).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { openTun, TunError, type TunLink } from '../src/link/tun.ts';
import { parseIpv4Address } from '../src/util/ipv4-address.ts';
import { buildTcpPacket, parseTcpPacket } from '../src/wire/packet.ts';
import { NO_TCP_OPTIONS } from '../src/wire/tcp-options.ts';
import { TcpFlags, type TcpSegment } from '../src/wire/tcp-segment.ts';
import { echoReplyFor, parseIpv4, parseUdp, udpPacket } from './tools/raw-ipv4.ts';
import { addNetns, deleteNetns, execIn, ip, netnsExists, nsRun, nsRunAsync, nsSpawn, privilegedSkipReason, removeLeftoversAfterTests, stopChild, uniqueNsName, until, waitForLine } from './helpers/netns.ts';

const skip = privilegedSkipReason();
removeLeftoversAfterTests();
const PYTHON_SEND = 'import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(int(sys.argv[1])): s.sendto(b"hello %d" % i, (sys.argv[2], 4000))\n';
const PYTHON_RECV = [
  'import socket,sys',
  's=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)',
  's.bind(("10.200.1.1",5000)); s.settimeout(3)',
  'print("ready", flush=True)',
  'n=0',
  'try:',
  '  while n < int(sys.argv[1]):',
  '    data, addr = s.recvfrom(2048); n += 1',
  '    if n == 1: print("first %s:%d %s" % (addr[0], addr[1], data.decode()), flush=True)',
  'except socket.timeout: pass',
  'print("count %d" % n, flush=True)',
].join('\n');
// A kernel TCP listener that reads one connection to EOF and prints how many bytes arrived and their SHA-256.
const PYTHON_TCP_SINK = [
  'import hashlib,socket',
  's=socket.socket(socket.AF_INET,socket.SOCK_STREAM)',
  's.bind(("10.200.5.1",7000)); s.listen(1); s.settimeout(8)',
  'print("ready", flush=True)',
  'c,_=s.accept(); c.settimeout(8); data=b""',
  'while True:',
  '  chunk=c.recv(65536)',
  '  if not chunk: break',
  '  data+=chunk',
  'print("got %d %s" % (len(data), hashlib.sha256(data).hexdigest()), flush=True)',
].join('\n');

/** The namespace's Tcp InCsumErrors counter (/proc/net/snmp is per network namespace). */
function tcpInCsumErrors(ns: string): number {
  const lines = nsRun(ns, ['cat', '/proc/net/snmp']).split('\n').filter((line) => line.startsWith('Tcp:'));
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/);
  return Number(values[names.indexOf('InCsumErrors')]);
}

describe('TUN link', { skip }, () => {
  const ns = uniqueNsName('imdslab-tun');
  let tun: TunLink | undefined;

  before(() => {
    addNetns(ns);
    tun = openTun({ name: 'tl0', mtu: 1400, netns: ns, batchSize: 16 });
    ip(['-n', ns, 'addr', 'add', '10.200.1.1/24', 'dev', 'tl0']);
    ip(['-n', ns, 'route', 'add', '10.200.2.0/24', 'dev', 'tl0']);
  });
  after(() => {
    tun?.close();
    deleteNetns(ns);
  });

  it('creates the interface in the namespace, up, with the MTU', () => {
    assert.equal(tun!.name, 'tl0');
    assert.equal(tun!.mtu, 1400);
    const shown = ip(['-n', ns, '-o', 'link', 'show', 'tl0']);
    assert.match(shown, /mtu 1400/);
    assert.match(shown, /<[^>]*\bUP\b[^>]*>/);
    assert.throws(() => ip(['link', 'show', 'tl0']), 'not in the root namespace');
  });

  it('reads datagrams the kernel routes into the TUN, in batches', async () => {
    const link = tun!;
    // Queue 200 datagrams in the TUN before reading so wakeups find full batches.
    nsRun(ns, ['python3', '-c', PYTHON_SEND, '200', '10.200.2.9']);
    const got: { dst: string; port: number; text: string }[] = [];
    const before = link.stats();
    link.setReceiver((packet) => {
      const ipv4 = parseIpv4(packet);
      if (ipv4.protocol !== 17) return;
      const udp = parseUdp(ipv4.payload);
      got.push({ dst: ipv4.dst, port: udp.dstPort, text: new TextDecoder().decode(udp.data) });
    });
    await until(() => got.length >= 200, 5000, '200 datagrams');
    assert.deepEqual(got[0], { dst: '10.200.2.9', port: 4000, text: 'hello 0' });
    assert.deepEqual(got.map((g) => g.text), Array.from({ length: 200 }, (_, i) => `hello ${i}`));
    const stats = link.stats();
    assert.equal(stats.packetsIn - before.packetsIn, 200);
    assert.ok(stats.bytesIn - before.bytesIn >= 200 * 35, 'stats.bytesIn - before.bytesIn >= 200 * 35');
    assert.equal(stats.readBatches - before.readBatches, 13, '200 queued packets in batches of 16');
  });

  it('answers ping from the namespace by writing echo replies into the kernel', async () => {
    const link = tun!;
    link.setReceiver((packet) => {
      const reply = echoReplyFor(packet);
      if (reply) link.send([reply]);
    });
    const out = await nsRunAsync(ns, ['ping', '-c', '3', '-i', '0.2', '-W', '2', '10.200.2.7']);
    assert.match(out, /3 packets transmitted, 3 received/);
  });

  it('writes a batch of crafted datagrams that a kernel socket receives', async () => {
    const link = tun!;
    const receiver = nsSpawn(ns, ['python3', '-c', PYTHON_RECV, '100']);
    try {
      await waitForLine(receiver, /^ready/);
      const before = link.stats();
      const packets = Array.from({ length: 100 }, (_, i) =>
        udpPacket({ src: '10.200.2.9', dst: '10.200.1.1', srcPort: 4001, dstPort: 5000, data: new TextEncoder().encode(`crafted ${i}`), id: i }),
      );
      const lines: string[] = [];
      receiver.stdout!.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').trim().split('\n')));
      link.send(packets);
      await new Promise((resolve) => receiver.once('exit', resolve));
      assert.ok(lines.includes('first 10.200.2.9:4001 crafted 0'), lines.join('|'));
      assert.ok(lines.includes('count 100'), lines.join('|'));
      const stats = link.stats();
      assert.equal(stats.packetsOut - before.packetsOut, 100);
      assert.equal(stats.writeCalls - before.writeCalls, 100);
      assert.equal(stats.writeErrors, 0);
    } finally {
      await stopChild(receiver);
    }
  });

  it('counts a packet the kernel refuses (not IPv4/IPv6) as a write error', () => {
    const link = tun!;
    const bad = new Uint8Array(40); // version nibble 0
    link.send([bad]);
    const stats = link.stats();
    assert.equal(stats.writeErrors, 1);
    assert.equal(stats.lastWriteErrno, 22); // EINVAL
  });

  it('reports a busy name, a non-TUN name and bad names with clear errors', () => {
    assert.throws(() => openTun({ name: 'tl0', netns: ns }), (e: unknown) => e instanceof TunError && e.code === 'ERR_TUN_BUSY' && e.errno === 'EBUSY' && /busy/.test(e.message));
    assert.throws(() => openTun({ name: 'lo', netns: ns }), { code: 'ERR_TUN_BAD_NAME', errno: 'EINVAL' });
    assert.throws(() => openTun({ name: 'a/b', netns: ns }), { code: 'ERR_TUN_BAD_NAME' });
    assert.throws(() => openTun({ name: 'x'.repeat(16), netns: ns }), { code: 'ERR_TUN_BAD_NAME' });
    assert.throws(() => openTun({ name: '', netns: ns }), { code: 'ERR_TUN_BAD_NAME' });
    assert.throws(() => openTun({ name: 'ok0', mtu: 20, netns: ns }), { code: 'ERR_TUN_BAD_OPTION', message: /mtu/ });
  });
});

describe('TUN errors and lifetime', { skip }, () => {
  it('says /dev/net/tun is missing when the clone device does not exist', () => {
    assert.throws(
      () => openTun({ name: 'tx0', devicePath: '/nonexistent/net/tun' }),
      (e: unknown) => e instanceof TunError && e.code === 'ERR_TUN_NO_DEVICE' && e.errno === 'ENOENT' && /is missing \(ENOENT\).*mknod/.test(e.message),
    );
  });

  it('names a namespace that does not exist', () => {
    assert.throws(() => openTun({ name: 'tx0', netns: 'imdslab-no-such-ns' }), { code: 'ERR_TUN_NETNS', errno: 'ENOENT' });
  });

  it('removes the interface on close and reports a deleted interface through onError', async () => {
    const ns = uniqueNsName('imdslab-tunlife');
    addNetns(ns);
    try {
      const first = openTun({ name: 'tz0', netns: ns });
      first.setReceiver(() => {});
      first.close();
      first.close();
      assert.throws(() => ip(['-n', ns, 'link', 'show', 'tz0']), 'a closed non-persistent TUN disappears');
      first.send([new Uint8Array(20)]);
      assert.equal(first.stats().sendAfterClose, 1);

      const second = openTun({ name: 'tz0', netns: ns });
      const errors: TunError[] = [];
      second.onError((e) => errors.push(e));
      second.setReceiver(() => {});
      ip(['-n', ns, 'link', 'del', 'tz0']);
      await until(() => errors.length > 0, 3000, 'a read error after deleting the interface');
      assert.equal(errors[0]!.code, 'ERR_TUN_IO');
      assert.equal(second.stats().readErrors, 1);
      second.close();
    } finally {
      deleteNetns(ns);
    }
  });

  it('a packet longer than the read buffer (MTU raised after opening) arrives cut to the buffer; reading goes on', async () => {
    const ns = uniqueNsName('imdslab-tunbig');
    addNetns(ns);
    try {
      // batchSize 2 at MTU 1280: a 2,560-byte slab; a 4,028-byte packet does not fit, the kernel cuts it.
      const tun = openTun({ name: 'tb1', mtu: 1280, netns: ns, batchSize: 2 });
      const seen: { length: number; totalLength: number }[] = [];
      tun.setReceiver((packet) => seen.push({ length: packet.length, totalLength: (packet[2]! << 8) | packet[3]! }));
      ip(['-n', ns, 'addr', 'add', '10.200.3.1/24', 'dev', 'tb1']);
      ip(['-n', ns, 'route', 'add', '10.200.4.0/24', 'dev', 'tb1']);
      ip(['-n', ns, 'link', 'set', 'tb1', 'mtu', '9000']);
      await execIn(ns, ['ping', '-c', '3', '-i', '0.2', '-W', '1', '-s', '4000', '10.200.4.9']);
      await execIn(ns, ['ping', '-c', '1', '-W', '1', '-s', '100', '10.200.4.9']);
      await until(() => seen.some((p) => p.totalLength === 128), 3000, 'the small ping after the big ones');
      const big = seen.filter((p) => p.totalLength === 4028);
      assert.equal(big.length, 3, `three big pings seen: ${JSON.stringify(seen)}`);
      // Cut, never past the slab: the stack's parser rejects them (ERR_IPV4_TOTAL_LENGTH), counted and dropped.
      assert.ok(big.every((p) => p.length <= 2560 && p.length < p.totalLength), `big packets cut to the buffer: ${JSON.stringify(big)}`);
      tun.close();
    } finally {
      deleteNetns(ns);
    }
  });

  it('works inside a child started with `ip netns exec` (no netns option)', async () => {
    const ns = uniqueNsName('imdslab-tunchild');
    addNetns(ns);
    const script = [
      "import { openTun } from './src/link/tun.ts';",
      "const tun = openTun({ name: 'tc0', mtu: 1280 });",
      'console.log(`open ${tun.name} ${tun.mtu}`);',
      "process.stdin.on('end', () => { tun.close(); console.log('closed'); });",
      'process.stdin.resume();',
    ].join('\n');
    const child = nsSpawn(ns, [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script]);
    try {
      assert.equal(await waitForLine(child, /^open /, 20_000), 'open tc0 1280');
      assert.match(ip(['-n', ns, '-o', 'link', 'show', 'tc0']), /mtu 1280/);
      const closed = waitForLine(child, /^closed/);
      child.stdin!.end();
      await closed;
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      assert.equal(child.exitCode, 0);
      assert.throws(() => ip(['-n', ns, 'link', 'show', 'tc0']));
    } finally {
      await stopChild(child);
      deleteNetns(ns);
    }
    assert.equal(netnsExists(ns), false);
  });
});

describe('TUN segmentation offload', { skip }, () => {
  it('writes consecutive segments of one TCP flow as one GSO packet that kernel TCP accepts; a bad checksum is not merged', async () => {
    const ns = uniqueNsName('imdslab-tungso');
    addNetns(ns);
    let tun: TunLink | undefined;
    let sink: ReturnType<typeof nsSpawn> | undefined;
    try {
      tun = openTun({ name: 'tg0', mtu: 1400, netns: ns, offload: true });
      ip(['-n', ns, 'addr', 'add', '10.200.5.1/24', 'dev', 'tg0']);
      ip(['-n', ns, 'route', 'add', '10.200.6.0/24', 'dev', 'tg0']);
      const link = tun;
      const peer = { src: parseIpv4Address('10.200.6.9'), dst: parseIpv4Address('10.200.5.1') };
      const fromKernel: TcpSegment[] = [];
      link.setReceiver((packet) => {
        try {
          const { tcp } = parseTcpPacket(packet);
          if (tcp.srcPort === 7000 && tcp.dstPort === 40000) fromKernel.push(tcp);
        } catch {
          // not TCP (none expected with IPv6 off): ignored
        }
      });
      sink = nsSpawn(ns, ['python3', '-c', PYTHON_TCP_SINK]);
      await waitForLine(sink, /^ready/);
      const segment = (seq: number, ack: number, flags: number, payload: Uint8Array, id: number, options = NO_TCP_OPTIONS): Uint8Array =>
        buildTcpPacket({ ...peer, id }, { srcPort: 40000, dstPort: 7000, seq, ack, flags, window: 65535, urgentPointer: 0, options, payload });

      // Handshake with the kernel listener (RFC 9293 §3.5).
      const iss = 1_000_000;
      link.send([segment(iss, 0, TcpFlags.SYN, new Uint8Array(0), 1, { ...NO_TCP_OPTIONS, mss: 1360 })]);
      await until(() => fromKernel.some((s) => s.flags === (TcpFlags.SYN | TcpFlags.ACK)), 3000, 'the SYN-ACK');
      const synAck = fromKernel.find((s) => s.flags === (TcpFlags.SYN | TcpFlags.ACK))!;
      assert.equal(synAck.ack, iss + 1);
      const ack = (synAck.seq + 1) >>> 0;
      link.send([segment(iss + 1, ack, TcpFlags.ACK, new Uint8Array(0), 2)]);

      // Six payloads, distinct bytes each so order and content are checked: 5 x 1000 bytes, then 500.
      const sizes = [1000, 1000, 1000, 1000, 1000, 500];
      const payloads = sizes.map((size, i) => Uint8Array.from({ length: size }, (_, k) => (i * 37 + k) & 0xff));
      const seqOf = (i: number): number => iss + 1 + sizes.slice(0, i).reduce((a, b) => a + b, 0);
      const data = (i: number, flags: number): Uint8Array => segment(seqOf(i), ack, flags, payloads[i]!, 10 + i);
      const highestAck = (): number => Math.max(...fromKernel.filter((s) => (s.flags & TcpFlags.ACK) !== 0 && s.ack >= iss).map((s) => s.ack));

      // (a) Segments 0-3 in one send(): one GSO write carrying four segments.
      const s0 = link.stats();
      link.send([data(0, TcpFlags.ACK), data(1, TcpFlags.ACK), data(2, TcpFlags.ACK), data(3, TcpFlags.ACK | TcpFlags.PSH)]);
      const s1 = link.stats();
      assert.equal(s1.gsoWrites - s0.gsoWrites, 1, 'one GSO write');
      assert.equal(s1.gsoPackets - s0.gsoPackets, 4, 'carrying the four segments');
      assert.equal(s1.packetsOut - s0.packetsOut, 4);
      assert.equal(s1.writeCalls - s0.writeCalls, 1, 'one writev for the four segments');
      assert.equal(s1.writeErrors, 0);
      await until(() => highestAck() === seqOf(4), 3000, 'the kernel acknowledging all four coalesced segments');

      // (c) Segment 4 and a contiguous segment 5 whose payload was altered after its checksum was computed:
      // without the corruption they would merge; with it, both are written alone and the kernel drops the bad one.
      const csumBefore = tcpInCsumErrors(ns);
      const corrupted = data(5, TcpFlags.ACK);
      const last = corrupted.length - 1;
      corrupted[last] = corrupted[last]! ^ 0xff;
      link.send([data(4, TcpFlags.ACK), corrupted]);
      const s2 = link.stats();
      assert.equal(s2.gsoWrites, s1.gsoWrites, 'no GSO write for a run broken by a bad checksum');
      assert.equal(s2.gsoPackets, s1.gsoPackets);
      assert.equal(s2.packetsOut - s1.packetsOut, 2);
      assert.equal(s2.writeCalls - s1.writeCalls, 2, 'two single writes');
      assert.equal(s2.writeErrors, 0);
      await until(() => tcpInCsumErrors(ns) > csumBefore, 3000, 'the kernel counting the bad checksum');
      assert.equal(tcpInCsumErrors(ns) - csumBefore, 1);
      await until(() => highestAck() === seqOf(5), 3000, 'the kernel acknowledging segment 4');
      assert.equal(highestAck(), seqOf(5), 'the corrupted segment was not acknowledged');

      // The intact segment 5 with FIN: the listener reads exactly the six payloads, in order.
      const got = waitForLine(sink, /^got /, 5000);
      link.send([data(5, TcpFlags.ACK | TcpFlags.PSH | TcpFlags.FIN)]);
      const all = Buffer.concat(payloads);
      assert.equal(await got, `got ${all.length} ${createHash('sha256').update(all).digest('hex')}`);
      await until(() => highestAck() === seqOf(6) + 1, 3000, 'the kernel acknowledging the data and the FIN');
      assert.equal(link.stats().gsoWrites, s1.gsoWrites);
    } finally {
      if (sink) await stopChild(sink);
      tun?.close();
      deleteNetns(ns);
    }
    assert.equal(netnsExists(ns), false);
  });
});
