// Stack tests over a manual memory link with a scripted client and a FakeClock: malformed-packet fuzz,
// demux and RST for closed ports (RFC 9293 §3.10.7.1), source policy reactions, SYN faults.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { test } from 'node:test';
import { IMDS, SECONDARY, segment, StackHarness, synSegment, VM } from '../../test/helpers/stack-harness.ts';
import { parseIpv4Address } from '../util/ipv4-address.ts';
import { seededRandom } from '../util/seeded-random.ts';
import { buildTcpPacket } from '../wire/packet.ts';
import { TcpFlags } from '../wire/tcp-segment.ts';
import { parseNetFaults } from './net-faults.ts';

test('malformed packets are counted per WireError code and dropped; nothing is sent back', async () => {
  const h = new StackHarness();
  const random = seededRandom(2024);
  const good = buildTcpPacket({ src: VM, dst: IMDS }, segment({ srcPort: 555, flags: TcpFlags.ACK, seq: 1, ack: 1 }));
  let sent = 0;
  for (let i = 0; i < 3000; i++) {
    let packet: Uint8Array;
    const kind = i % 3;
    if (kind === 0) {
      packet = new Uint8Array(Math.floor(random() * 80));
      for (let j = 0; j < packet.length; j++) packet[j] = Math.floor(random() * 256);
      if (packet.length > 0 && random() < 0.5) packet[0] = 0x45;
    } else if (kind === 1) {
      packet = good.slice(0, Math.floor(random() * good.length));
    } else {
      packet = good.slice();
      const flips = 1 + Math.floor(random() * 3);
      for (let f = 0; f < flips; f++) packet[Math.floor(random() * packet.length)]! ^= 1 << Math.floor(random() * 8);
    }
    h.sendRaw(packet);
    sent++;
  }
  await h.settle();
  const s = h.stack.stats.snapshot();
  assert.equal(s.packetsIn, sent);
  assert.equal(s.unexpectedErrors, 0);
  const wireDrops = Object.entries(s.drops).filter(([k]) => k.startsWith('ERR_'));
  assert.ok(wireDrops.length >= 4, `several codes counted: ${JSON.stringify(s.drops)}`);
  assert.ok((s.drops.ERR_IPV4_CHECKSUM ?? 0) > 0 && (s.drops.ERR_IPV4_TRUNCATED ?? 0) > 0, '(s.drops.ERR_IPV4_CHECKSUM ?? 0) > 0 && (s.drops.ERR_IPV4_TRUNCATED ?? 0) > 0');
  // Mutations that survive the checksums are RST-answered ACKs at most; no crash, no connection.
  assert.equal(h.stack.connectionCount, 0);
  for (const r of h.take()) assert.ok(r.tcp && r.tcp.flags & TcpFlags.RST, 'only resets come back');
  h.close();
});

test('packets not for the served address and non-TCP protocols are dropped and counted', async () => {
  const h = new StackHarness();
  h.send(synSegment(), VM, IMDS + 1);
  const icmpEcho = new Uint8Array(28);
  icmpEcho.set(buildTcpPacket({ src: VM, dst: IMDS }, synSegment()).subarray(0, 20));
  icmpEcho[9] = 1;
  icmpEcho[2] = 0;
  icmpEcho[3] = 28;
  icmpEcho[10] = icmpEcho[11] = 0;
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (icmpEcho[i]! << 8) | icmpEcho[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  icmpEcho[10] = c >>> 8;
  icmpEcho[11] = c & 0xff;
  h.sendRaw(icmpEcho);
  await h.settle();
  const s = h.stack.stats.snapshot();
  assert.equal(s.drops['not-for-us'], 1);
  assert.equal(s.drops.ERR_IPV4_PROTOCOL, 1);
  assert.equal(h.take().length, 0);
  h.close();
});

test('a SYN to a closed port gets RST+ACK, an ACK for no connection gets RST (RFC 9293 §3.10.7.1)', async () => {
  const h = new StackHarness();
  h.send(segment({ dstPort: 81, flags: TcpFlags.SYN, seq: 5000 }));
  h.send(segment({ srcPort: 41000, flags: TcpFlags.ACK, seq: 7, ack: 99999 }));
  h.send(segment({ srcPort: 41001, flags: TcpFlags.RST, seq: 7 }));
  await h.settle();
  const got = h.take();
  assert.equal(got.length, 2);
  const [closedPort, unknown] = got;
  assert.equal(closedPort!.tcp!.flags, TcpFlags.RST | TcpFlags.ACK);
  assert.equal(closedPort!.tcp!.seq, 0);
  assert.equal(closedPort!.tcp!.ack, 5001);
  assert.equal(closedPort!.tcp!.srcPort, 81);
  assert.equal(closedPort!.ip.src, IMDS);
  assert.equal(closedPort!.ip.dst, VM);
  assert.equal(unknown!.tcp!.flags, TcpFlags.RST);
  assert.equal(unknown!.tcp!.seq, 99999);
  assert.equal(h.stack.stats.resetsSent, 2);
  h.close();
});

test('no RST or ICMP towards a source that is not a single host (RFC 1122 §4.2.3.10, §3.2.2)', async () => {
  for (const reaction of ['rst', 'icmp'] as const) {
    const h = new StackHarness({ reaction, allowed: [VM] });
    for (const source of ['224.0.0.5', '127.0.0.1', '0.0.0.0', '255.255.255.255']) h.send(synSegment(43100, 1), parseIpv4Address(source));
    h.send(segment({ dstPort: 81, flags: TcpFlags.SYN, seq: 5000 }), parseIpv4Address('239.1.2.3'));
    await h.settle();
    assert.deepEqual(h.take(), [], `${reaction}: nothing sent`);
    assert.equal(h.stack.stats.dropCount('source-policy'), 5, `${reaction}: each counted as a source-policy drop`);
    h.close();
  }
});

for (const reaction of ['drop', 'rst', 'icmp'] as const) {
  test(`source policy '${reaction}': a non-primary source is never answered with a SYN-ACK`, async () => {
    const h = new StackHarness({ reaction });
    const drops: unknown[] = [];
    const onDrop = (m: unknown): void => void drops.push(m);
    subscribe('imds-lab:stack:drop', onDrop);
    h.send(synSegment(43000, 1), SECONDARY);
    await h.settle();
    unsubscribe('imds-lab:stack:drop', onDrop);
    const got = h.take();
    assert.equal(h.stack.stats.dropCount('source-policy'), 1);
    assert.deepEqual(drops, [{ reason: 'source-policy', remoteAddress: '10.1.0.5' }]);
    if (reaction === 'drop') assert.equal(got.length, 0);
    if (reaction === 'rst') {
      assert.equal(got.length, 1);
      assert.equal(got[0]!.tcp!.flags, TcpFlags.RST | TcpFlags.ACK);
      assert.equal(got[0]!.tcp!.ack, 2);
      assert.equal(got[0]!.ip.dst, SECONDARY);
    }
    if (reaction === 'icmp') {
      assert.equal(got.length, 1);
      assert.equal(got[0]!.icmp!.type, 3);
      assert.equal(got[0]!.icmp!.code, 13);
      // The quote is the offending IPv4 header + 8 bytes (source port 43000 first).
      assert.equal(got[0]!.icmp!.body.length, 28);
      assert.equal((got[0]!.icmp!.body[20]! << 8) | got[0]!.icmp!.body[21]!, 43000);
    }
    h.close();
  });
}

test('net fault drop-syn: SYNs vanish (no RST, no ICMP), counted', async () => {
  const h = new StackHarness({ faults: parseNetFaults('drop-syn') });
  for (let i = 0; i < 5; i++) h.send(synSegment(44000, 1));
  await h.settle();
  assert.equal(h.take().length, 0);
  assert.equal(h.stack.stats.dropCount('fault-syn-drop'), 5);
  h.close();
});

test('net fault rst: a SYN gets RST+ACK', async () => {
  const h = new StackHarness({ faults: parseNetFaults('rst') });
  h.send(synSegment(44001, 77));
  await h.settle();
  const got = h.take();
  assert.equal(got.length, 1);
  assert.equal(got[0]!.tcp!.flags, TcpFlags.RST | TcpFlags.ACK);
  assert.equal(got[0]!.tcp!.ack, 78);
  h.close();
});

for (const [name, code] of [['icmp-net', 0], ['icmp-host', 1], ['icmp-admin', 13]] as const) {
  test(`net fault ${name}: a SYN gets ICMP destination unreachable code ${code}`, async () => {
    const h = new StackHarness({ faults: parseNetFaults(name) });
    h.send(synSegment(44002, 1));
    await h.settle();
    const got = h.take();
    assert.equal(got.length, 1);
    assert.deepEqual([got[0]!.icmp!.type, got[0]!.icmp!.code], [3, code]);
    assert.equal(got[0]!.ip.src, IMDS);
    assert.equal(h.stack.stats.icmpSent, 1);
    h.close();
  });
}

test('per-VM faults apply only to that VM', async () => {
  const other = VM + 256;
  const h = new StackHarness({ allowed: [VM, other] });
  h.stack.setFaults(parseNetFaults('rst'), other);
  h.stack.setFaults(parseNetFaults('drop-syn'));
  h.send(synSegment(45000, 1), other);
  h.send(synSegment(45001, 1), VM);
  await h.settle();
  const got = h.take();
  assert.equal(got.length, 1);
  assert.equal(got[0]!.ip.dst, other);
  assert.equal(got[0]!.tcp!.flags, TcpFlags.RST | TcpFlags.ACK);
  assert.equal(h.stack.stats.dropCount('fault-syn-drop'), 1);
  h.close();
});

test('segments a Tcb drops are counted per reason in the stack statistics', async () => {
  const h = new StackHarness();
  const { clientSeq, serverSeq } = await h.handshake(41500);
  h.send(segment({ srcPort: 41500, seq: clientSeq + 1_000_000, ack: serverSeq, flags: TcpFlags.ACK, payload: new Uint8Array(10) }));
  h.send(segment({ srcPort: 41500, seq: clientSeq + 1_000_000, flags: TcpFlags.RST }));
  h.send(segment({ srcPort: 41500, seq: clientSeq, flags: TcpFlags.PSH, payload: new Uint8Array(1) }));
  await h.settle();
  const drops = h.stack.stats.snapshot().drops;
  assert.deepEqual([drops['tcb-out-of-window'], drops['tcb-rst-out-of-window'], drops['tcb-no-ack']], [1, 1, 1]);
  assert.deepEqual(h.accepted[0]!.tcb.stats.drops, { 'syn-sent-bad-ack': 0, 'syn-sent-rst-without-ack': 0, 'syn-sent-no-syn': 0, paws: 0, 'rst-out-of-window': 1, 'out-of-window': 1, 'no-ack': 1 });
  h.close();
});

test('a stack-internal error goes to the unexpected-error sink, not into the drop counters', async () => {
  const h = new StackHarness();
  h.stack.setConnectionHandler(() => {
    throw new Error('bug in the acceptor');
  });
  await h.handshake(41600);
  const errors = h.takeUnexpected();
  assert.deepEqual(errors.map((e) => (e as Error).message), ['bug in the acceptor']);
  assert.equal(h.stack.stats.snapshot().unexpectedErrors, 1);
  assert.equal(h.stack.stats.snapshot().drops['internal-error'], undefined);
  h.close();
});
