// Tests of the net-fault decisions and the fault spec parser (seeded, deterministic).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../util/seeded-random.ts';
import { decideLoss, decideSyn, drawDelay, hasFaults, NetFaultError, NO_FAULTS, parseNetFaults } from './net-faults.ts';

test('no faults: every SYN is accepted without delay', () => {
  const random = seededRandom(1);
  for (let i = 0; i < 100; i++) assert.deepEqual(decideSyn(NO_FAULTS, random), { action: 'accept', delayMs: 0 });
  assert.equal(hasFaults(NO_FAULTS), false);
});

test('drop-syn is a black hole; drop-syn=P drops about P of SYNs, reproducibly', () => {
  const all = parseNetFaults('drop-syn');
  const r = seededRandom(3);
  for (let i = 0; i < 50; i++) assert.equal(decideSyn(all, r).action, 'drop');
  const some = parseNetFaults('drop-syn=0.3,seed=9');
  const run = (): string[] => {
    const random = seededRandom(some.seed);
    return Array.from({ length: 1000 }, () => decideSyn(some, random).action);
  };
  const a = run();
  assert.deepEqual(a, run());
  const drops = a.filter((x) => x === 'drop').length;
  assert.ok(drops > 240 && drops < 360, `drops ${drops}`);
});

test('rst and the ICMP unreachable codes 0, 1, 13', () => {
  const r = seededRandom(1);
  assert.deepEqual(decideSyn(parseNetFaults('rst'), r), { action: 'rst' });
  assert.deepEqual(decideSyn(parseNetFaults('icmp-net'), r), { action: 'icmp', code: 0 });
  assert.deepEqual(decideSyn(parseNetFaults('icmp-host'), r), { action: 'icmp', code: 1 });
  assert.deepEqual(decideSyn(parseNetFaults('icmp-admin'), r), { action: 'icmp', code: 13 });
});

test('delays: at least the base, below base + jitter', () => {
  const f = parseNetFaults('delay-synack=2000~500,delay-first-byte=300');
  assert.deepEqual(f.synAckDelay, { ms: 2000, jitterMs: 500 });
  assert.deepEqual(f.firstByteDelay, { ms: 300, jitterMs: 0 });
  const r = seededRandom(5);
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const d = decideSyn(f, r);
    assert.equal(d.action, 'accept');
    if (d.action === 'accept') {
      assert.ok(d.delayMs >= 2000 && d.delayMs < 2500, 'd.delayMs >= 2000 && d.delayMs < 2500');
      seen.add(d.delayMs);
    }
  }
  assert.ok(seen.size > 50, 'jitter varies');
  assert.equal(drawDelay(f.firstByteDelay, r), 300);
});

test('loss, stall and seed parse; loss decisions follow the probability', () => {
  const f = parseNetFaults('loss=0.1, stall, seed=42');
  assert.equal(f.inboundLoss, 0.1);
  assert.equal(f.outboundLoss, 0.1);
  assert.equal(f.stall, true);
  assert.equal(f.seed, 42);
  const g = parseNetFaults('loss-in=0.2,loss-out=0');
  assert.equal(g.inboundLoss, 0.2);
  assert.equal(g.outboundLoss, 0);
  const r = seededRandom(7);
  let lost = 0;
  for (let i = 0; i < 10_000; i++) if (decideLoss(0.1, r)) lost++;
  assert.ok(lost > 900 && lost < 1100, `lost ${lost}`);
  assert.equal(decideLoss(0, r), false);
  assert.equal(decideLoss(1, r), true);
  assert.ok(hasFaults(f), 'hasFaults(f)');
});

test('bad specs name the item and the reason', () => {
  for (const [spec, why] of [
    ['drop-syn=2', /probability/],
    ['delay-synack=abc', /delay must be/],
    ['rst,icmp-net', /conflicts/],
    ['stall=1', /takes no value/],
    ['teleport', /unknown fault/],
    ['seed=-3', /seed/],
  ] as const) {
    assert.throws(
      () => parseNetFaults(spec),
      (e: unknown) => e instanceof NetFaultError && e.code === 'ERR_NET_FAULT' && why.test(e.message) && e.message.includes('net-fault'),
      spec,
    );
  }
  assert.equal(hasFaults(parseNetFaults('none')), false);
  assert.equal(hasFaults(parseNetFaults('')), false);
});
