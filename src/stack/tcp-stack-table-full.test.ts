// A full connection table (issue 11 point 3): a per-source cap and eviction of the least recently active idle
// connection of the heaviest source keep other VMs (and the filling VM's new clients) served.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { segment, SECONDARY, StackHarness, VM } from '../../test/helpers/stack-harness.ts';
import { TcpFlags } from '../wire/tcp-segment.ts';

test('one VM holding the whole table: another VM still connects (the least recently active connection of the filler goes)', async () => {
  const h = new StackHarness({ allowed: [VM, SECONDARY], maxConnections: 8, maxConnectionsPerSource: 8 });
  for (let port = 30000; port < 30008; port++) await h.handshake(port, SECONDARY);
  assert.equal(h.stack.connectionCount, 8);
  await h.advance(2000);
  // 30000 is the oldest, but it just sent a segment: 30001 is now the least recently active.
  h.send(segment({ srcPort: 30000, seq: 1001, ack: 0, flags: TcpFlags.ACK }), SECONDARY);
  await h.settle();
  h.take();
  await h.handshake(40000, VM);
  assert.equal(h.accepted.at(-1)!.remoteAddress, VM, 'vm0 is accepted');
  const evicted = h.accepted.find((c) => c.isClosed);
  assert.equal(evicted?.remotePort, 30001);
  assert.equal(evicted?.closeReason, 'ECONNABORTED');
  assert.equal(h.stack.connectionCount, 8);
  assert.equal(h.stack.stats.snapshot().connectionsEvicted, 1);
  h.close();
});

test('a source at its cap gives up its own idle connection, not one of another VM', async () => {
  const h = new StackHarness({ allowed: [VM, SECONDARY], maxConnections: 100, maxConnectionsPerSource: 3 });
  await h.handshake(40000, VM);
  for (let port = 30000; port < 30003; port++) await h.handshake(port, SECONDARY);
  await h.advance(1500);
  await h.handshake(30003, SECONDARY);
  const closed = h.accepted.filter((c) => c.isClosed).map((c) => [c.remoteAddress, c.remotePort]);
  assert.deepEqual(closed, [[SECONDARY, 30000]]);
  assert.equal(h.stack.connectionCount, 4);
  h.close();
});

test('no idle connection to evict: the SYN is dropped and counted, nobody is reset', async () => {
  const h = new StackHarness({ allowed: [VM, SECONDARY], maxConnections: 2, maxConnectionsPerSource: 2, evictIdleMs: 10_000 });
  await h.handshake(30000, SECONDARY);
  await h.handshake(30001, SECONDARY);
  await h.advance(500);
  h.send(segment({ srcPort: 40000, seq: 1000, flags: TcpFlags.SYN, options: { mss: 1460 } }), VM);
  await h.settle();
  assert.deepEqual(h.take(), [], 'no SYN-ACK, no RST');
  assert.equal(h.stack.stats.dropCount('table-full'), 1);
  assert.equal(h.accepted.filter((c) => c.isClosed).length, 0);
  h.close();
});
