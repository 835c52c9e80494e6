// Privileged tests of the TUN link (root): packets from the kernel, packets into the kernel, batching, errors, cleanup.
// Each test makes its own namespace and creates the TUN inside it (openTun's `netns` option, or a child under `ip netns exec`).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openTun, TunError, type TunLink } from '../src/link/tun.ts';
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
