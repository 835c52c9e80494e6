// Tests of the seeded Impairer: each impairment on its own, the reorder hold timer, and validation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../util/clock.ts';
import { Impairer, isNoImpairment } from './impairment.ts';

const packet = (n: number, size = 60): Uint8Array => {
  const p = new Uint8Array(size);
  p[0] = n;
  return p;
};

function collect(options: ConstructorParameters<typeof Impairer>[0], clock = new FakeClock()) {
  const out: Uint8Array[] = [];
  const impairer = new Impairer(options, (p) => out.push(p), clock);
  return { out, impairer, clock };
}

describe('Impairer', () => {
  it('passes everything through unchanged with no impairment', () => {
    const { out, impairer } = collect({});
    for (let i = 0; i < 50; i++) impairer.push(packet(i));
    assert.deepEqual(out.map((p) => p[0]), [...Array(50).keys()]);
    assert.deepEqual(impairer.stats(), { packets: 50, delivered: 50, dropped: 0, duplicated: 0, reordered: 0, corrupted: 0, held: 0 });
    assert.equal(isNoImpairment({ seed: 3 }), true);
    assert.equal(isNoImpairment({ loss: 0.1 }), false);
  });

  it('drops everything at loss 1 and about half at loss 0.5', () => {
    const all = collect({ loss: 1 });
    for (let i = 0; i < 100; i++) all.impairer.push(packet(i));
    assert.equal(all.out.length, 0);
    const half = collect({ loss: 0.5, seed: 9 });
    for (let i = 0; i < 1000; i++) half.impairer.push(packet(i));
    assert.ok(half.out.length > 430 && half.out.length < 570, `${half.out.length}`);
    assert.equal(half.impairer.stats().dropped, 1000 - half.out.length);
  });

  it('duplicates into independent copies', () => {
    const { out, impairer } = collect({ duplicate: 1 });
    impairer.push(packet(5));
    assert.equal(out.length, 2);
    assert.deepEqual(out[0], out[1]);
    assert.notEqual(out[0]!.buffer, out[1]!.buffer);
  });

  it('corrupts exactly one bit past the IPv4 header', () => {
    const { out, impairer } = collect({ corrupt: 1, seed: 5 });
    for (let i = 0; i < 200; i++) impairer.push(packet(0));
    assert.equal(out.length, 200, 'corrupted packets are still delivered');
    for (const p of out) {
      let bits = 0;
      p.forEach((byte, index) => {
        if (byte !== 0) {
          assert.ok(index >= 20, `byte ${index} changed`);
          bits += byte.toString(2).split('1').length - 1;
        }
      });
      assert.equal(bits, 1);
    }
    assert.equal(impairer.stats().corrupted, 200);
  });

  it('holds a reordered packet until the next one, or until the hold time passes', () => {
    const clock = new FakeClock();
    const { out, impairer } = collect({ reorder: 1, reorderHoldMs: 7 }, clock);
    impairer.push(packet(1)); // held
    assert.equal(out.length, 0);
    assert.equal(impairer.stats().held, 1, 'one packet held for reordering');
    impairer.push(packet(2)); // 1 is held, so 2 goes out first, then 1
    assert.deepEqual(out.map((p) => p[0]), [2, 1]);
    impairer.push(packet(3)); // held again
    clock.advance(6);
    assert.equal(out.length, 2);
    clock.advance(1);
    assert.deepEqual(out.map((p) => p[0]), [2, 1, 3]);
    assert.equal(impairer.stats().held, 0, 'the held packet was released by the timer');
    impairer.push(packet(4));
    impairer.close();
    assert.equal(clock.pendingTimers(), 0);
  });

  it('rejects bad options naming the field', () => {
    const clock = new FakeClock();
    assert.throws(() => new Impairer({ duplicate: -0.1 }, () => {}, clock), { code: 'ERR_BAD_IMPAIRMENT', message: /impairment\.duplicate/ });
    assert.throws(() => new Impairer({ seed: 1.5 }, () => {}, clock), /impairment\.seed/);
    assert.throws(() => new Impairer({ reorderHoldMs: Number.NaN }, () => {}, clock), /impairment\.reorderHoldMs/);
  });
});
