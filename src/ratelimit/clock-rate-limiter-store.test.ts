// The rate-limiter-flexible store on the injected clock: windows end on FakeClock time, get/delete/block work,
// and limiters sharing a store keep counting when recreated with other points.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { FakeClock } from '../util/clock.ts';
import { ClockRateLimiter, ClockWindowStore } from './clock-rate-limiter-store.ts';

describe('ClockRateLimiter', () => {
  it('consume counts per key in a window that ends on the injected clock', async () => {
    const clock = new FakeClock();
    const limiter = new ClockRateLimiter({ store: new ClockWindowStore(clock), keyPrefix: 'g', points: 2, duration: 2 });
    const first = await limiter.consume('vm');
    assert.equal(first.isFirstInDuration, true);
    assert.equal(first.remainingPoints, 1);
    clock.advance(500);
    assert.equal((await limiter.consume('vm')).msBeforeNext, 1500);
    const refused = await limiter.consume('vm').then(() => null, (r: unknown) => r);
    assert.ok(refused instanceof RateLimiterRes, 'refused with a RateLimiterRes');
    assert.equal(refused.msBeforeNext, 1500);
    assert.equal(refused.consumedPoints, 3);
    assert.equal((await limiter.consume('other')).consumedPoints, 1);
    clock.advance(1499);
    assert.equal((await limiter.get('vm'))?.consumedPoints, 3, 'still the same window (refusals count too)');
    clock.advance(1);
    assert.equal(await limiter.get('vm'), null, 'the window ended at 2,000 ms of clock time');
    assert.equal((await limiter.consume('vm')).isFirstInDuration, true);
  });

  it('delete and block act on the same windows', async () => {
    const clock = new FakeClock();
    const limiter = new ClockRateLimiter({ store: new ClockWindowStore(clock), keyPrefix: 'g', points: 1, duration: 1 });
    await limiter.consume('vm');
    assert.equal(await limiter.delete('vm'), true);
    assert.equal(await limiter.delete('vm'), false);
    await limiter.block('vm', 5);
    clock.advance(4999);
    assert.ok(await limiter.consume('vm').then(() => false, () => true), 'blocked for 5 s of clock time');
    clock.advance(1);
    assert.equal((await limiter.consume('vm')).consumedPoints, 1);
  });

  it('limiters sharing a store and prefix continue one count when recreated with other points', async () => {
    const clock = new FakeClock();
    const store = new ClockWindowStore(clock);
    await new ClockRateLimiter({ store, keyPrefix: 'g', points: 1, duration: 1 }).consume('vm');
    const raised = new ClockRateLimiter({ store, keyPrefix: 'g', points: 3, duration: 1 });
    assert.equal((await raised.consume('vm')).consumedPoints, 2);
    const otherPrefix = new ClockRateLimiter({ store, keyPrefix: 'i', points: 1, duration: 1 });
    assert.equal((await otherPrefix.consume('vm')).consumedPoints, 1);
  });
});
