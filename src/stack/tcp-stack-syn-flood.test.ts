// A half-open SYN flood against the stack (fake clock, memory link): the flooding VM's own later clients and
// every other VM connect at once, through SYN cookies (RFC 4987 §3.6) and the per-source half-open share.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IMDS, SECONDARY, segment, StackHarness, synSegment, VM } from '../../test/helpers/stack-harness.ts';
import { TcpFlags } from '../wire/tcp-segment.ts';
import { defaultTcpConfig } from '../tcp/tcp-config.ts';

const SYN_ACK = TcpFlags.SYN | TcpFlags.ACK;
/** Half-open connections one source may hold before its SYNs get cookies. */
const SHARE = defaultTcpConfig.synBacklogPerSource;

async function flood(h: StackHarness, from: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) h.send(synSegment(20000 + i, 7000 + i), from);
  await h.settle();
}

test('unanswered SYNs past the share: the same VM connects at once, through a cookie once its share is taken', async () => {
  const h = new StackHarness();
  await flood(h, VM, SHARE + 200);
  const synAcks = h.take().filter((r) => r.tcp?.flags === SYN_ACK);
  assert.equal(synAcks.length, SHARE + 200, 'every SYN is answered');
  const s = h.stack.stats.snapshot();
  assert.equal(s.synCookiesSent, 200, 'past the per-source share, cookies');
  assert.equal(h.stack.connectionCount, SHARE, 'only the share holds state');
  const { serverSeq } = await h.handshake(40000);
  assert.equal(h.accepted.length, 1, 'the legitimate client is accepted');
  assert.equal(h.accepted[0]!.remotePort, 40000);
  assert.equal(h.stack.stats.synCookiesAccepted, 1);
  h.send(segment({ seq: 1001, ack: serverSeq, flags: TcpFlags.ACK | TcpFlags.PSH, payload: new TextEncoder().encode('hi') }));
  await h.settle();
  assert.equal(h.accepted[0]!.read()?.length, 2);
  h.close();
});

test('a flood from one VM leaves another VM its stateful slots, before and after the flood times out', async () => {
  const h = new StackHarness({ allowed: [VM, SECONDARY] });
  await flood(h, SECONDARY, SHARE + 500);
  h.take();
  h.send(synSegment(40000, 1000), VM);
  await h.settle();
  const answer = h.take().find((r) => r.tcp?.flags === SYN_ACK && r.ip.dst === VM);
  assert.ok(answer, 'vm0 gets a SYN-ACK at once');
  assert.equal(h.stack.stats.synCookiesSent, 500, 'vm0 was not answered with a cookie');
  await h.advance(120_000); // every half-open entry of the flood has given up
  assert.equal(h.stack.connectionCount, 0);
  await h.handshake(40001, VM);
  await h.handshake(40002, SECONDARY);
  assert.equal(h.accepted.length, 2);
  h.close();
});

test('with synCookies off, a full share drops the flooding source only', async () => {
  const h = new StackHarness({ allowed: [VM, SECONDARY], tcpConfig: { synCookies: false } });
  await flood(h, SECONDARY, SHARE + 100);
  assert.equal(h.stack.stats.dropCount('listener-backlog-full'), 100);
  await h.handshake(40000, VM);
  assert.equal(h.accepted.length, 1);
  assert.equal(IMDS, h.stack.localAddress);
  h.close();
});
