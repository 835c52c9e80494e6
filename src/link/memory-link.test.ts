// Tests of the in-memory link pair: delivery order and timing, copies, counters, and seeded impairments.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../util/clock.ts';
import { createMemoryLinkPair } from './memory-link.ts';

const numbered = (n: number, size = 40): Uint8Array => {
  const p = new Uint8Array(size);
  new DataView(p.buffer).setUint32(size - 4, n);
  return p;
};
const numberOf = (p: Uint8Array): number => new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(p.length - 4);

describe('memory link pair', () => {
  it('delivers packets from a to b in order, asynchronously, as copies', async () => {
    const pair = createMemoryLinkPair();
    const got: Uint8Array[] = [];
    pair.b.setReceiver((p) => got.push(p));
    const sent = [numbered(1), numbered(2), numbered(3)];
    pair.a.send(sent);
    assert.equal(got.length, 0, 'nothing arrives during send()');
    sent[0]![0] = 0xee; // the sender reuses its buffer
    await Promise.resolve();
    assert.deepEqual(got.map(numberOf), [1, 2, 3]);
    assert.equal(got[0]![0], 0);
    assert.deepEqual(pair.a.stats(), { packetsOut: 3, bytesOut: 120, packetsIn: 0, bytesIn: 0, oversize: 0, noReceiver: 0, afterClose: 0 });
    assert.equal(pair.b.stats().packetsIn, 3);
    pair.close();
  });

  it('works both ways and lets a receiver answer (answers form the next manual round)', () => {
    const pair = createMemoryLinkPair({ manual: true });
    const atA: number[] = [];
    pair.b.setReceiver((p) => pair.b.send([numbered(numberOf(p) + 100)]));
    pair.a.setReceiver((p) => atA.push(numberOf(p)));
    pair.a.send([numbered(1), numbered(2)]);
    assert.equal(pair.flush(1), 2, 'the first round delivers only the two requests');
    assert.deepEqual(atA, []);
    assert.equal(pair.flush(), 2);
    assert.deepEqual(atA, [101, 102]);
    assert.equal(pair.flush(), 0);
  });

  it('bounds an endless ping-pong with maxRounds', () => {
    const pair = createMemoryLinkPair({ manual: true });
    pair.a.setReceiver((p) => pair.a.send([p]));
    pair.b.setReceiver((p) => pair.b.send([p]));
    pair.a.send([numbered(7)]);
    assert.equal(pair.flush(50), 50);
    pair.close();
    assert.equal(pair.flush(), 0, 'close() empties the queue');
  });

  it('applies latency through the injected clock', () => {
    const clock = new FakeClock();
    const pair = createMemoryLinkPair({ clock, latencyMs: 5 });
    const got: number[] = [];
    pair.b.setReceiver((p) => got.push(numberOf(p)));
    pair.a.send([numbered(1)]);
    clock.advance(4);
    assert.deepEqual(got, []);
    clock.advance(1);
    assert.deepEqual(got, [1]);
    pair.a.send([numbered(2)]);
    pair.close();
    assert.equal(clock.pendingTimers(), 0, 'close() cancels pending deliveries');
  });

  it('counts oversize packets, packets with no receiver, and use after close', async () => {
    const pair = createMemoryLinkPair({ mtu: 100 });
    pair.a.send([new Uint8Array(101), numbered(1)]);
    await Promise.resolve();
    assert.equal(pair.a.stats().oversize, 1);
    assert.equal(pair.b.stats().noReceiver, 1);
    pair.a.close();
    pair.a.send([numbered(2)]);
    assert.equal(pair.a.stats().afterClose, 1);
    assert.equal(pair.a.closed, true);
  });

  it('rejects a bad MTU or impairment naming the field', () => {
    assert.throws(() => createMemoryLinkPair({ mtu: 10 }), /mtu must be an integer/);
    assert.throws(() => createMemoryLinkPair({ impairments: { loss: 1.5 } }), /impairment\.loss must be a probability/);
    assert.throws(() => createMemoryLinkPair({ latencyMs: -1 }), /latencyMs/);
  });

  it('impairs each direction with its own seeded sequence, reproducibly', () => {
    const run = (seed: number) => {
      const clock = new FakeClock();
      const pair = createMemoryLinkPair({ manual: true, clock, impairments: { loss: 0.1, duplicate: 0.05, reorder: 0.2, corrupt: 0.02, seed } });
      const atB: number[] = [];
      const atA: number[] = [];
      pair.b.setReceiver((p) => atB.push(numberOf(p)));
      pair.a.setReceiver((p) => atA.push(numberOf(p)));
      for (let i = 0; i < 500; i++) {
        pair.a.send([numbered(i, 200)]);
        pair.b.send([numbered(i, 200)]);
      }
      clock.advance(100); // releases a packet still held for reordering
      pair.flush();
      return { atB, atA, stats: pair.impairmentStats() };
    };
    const first = run(42);
    const again = run(42);
    const other = run(43);
    assert.deepEqual(again.atB, first.atB, 'same seed, same delivery');
    assert.notDeepEqual(other.atB, first.atB, 'another seed, another delivery');
    assert.notDeepEqual(first.atA, first.atB, 'directions differ');
    const s = first.stats.aToB!;
    assert.equal(s.packets, 500);
    assert.equal(first.atB.length, s.delivered);
    assert.equal(s.delivered + s.held, s.packets - s.dropped + s.duplicated, 'every packet is delivered, dropped, duplicated or still held');
    assert.ok(s.dropped > 25 && s.dropped < 85, `about 10% lost: ${s.dropped}`);
    assert.ok(s.reordered > 50, `about 20% reordered: ${s.reordered}`);
    let inversions = 0;
    for (let i = 1; i < first.atB.length; i++) if (first.atB[i]! < first.atB[i - 1]!) inversions++;
    assert.ok(inversions > 30, `arrivals out of order: ${inversions}`);
  });
});
