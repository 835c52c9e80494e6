// Rate limits per VM: general 5/s (6th refused), identity 20/s and 5 concurrent, keys independent; windows on
// the injected clock; the numbers follow the current profile.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../util/clock.ts';
import { ConcurrencyGate } from './concurrency-gate.ts';
import { createRateLimiter } from './rate-limiter.ts';

const NUMBERS = { generalPerSecond: 5, identityPerSecond: 20, identityConcurrent: 5 };

describe('createRateLimiter', () => {
  it('general: 5 per second, the 6th is refused (rate), other VMs unaffected', async () => {
    const limiter = createRateLimiter(NUMBERS);
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await limiter.acquire('general', 'vm-a'));
    assert.deepEqual(results.map((r) => r.allowed), [true, true, true, true, true, false]);
    const refused = results[5]!;
    assert.equal(refused.allowed === false && refused.reason, 'rate');
    assert.equal((await limiter.acquire('general', 'vm-b')).allowed, true);
  });

  it('the general budget refills after the one-second window of the injected clock, not before', async () => {
    const clock = new FakeClock();
    const limiter = createRateLimiter({ ...NUMBERS, generalPerSecond: 1 }, clock);
    assert.equal((await limiter.acquire('general', 'vm')).allowed, true);
    clock.advance(400);
    const refused = await limiter.acquire('general', 'vm');
    assert.deepEqual(refused, { allowed: false, reason: 'rate', msBeforeNext: 600 });
    clock.advance(599);
    assert.equal((await limiter.acquire('general', 'vm')).allowed, false);
    clock.advance(1);
    assert.equal((await limiter.acquire('general', 'vm')).allowed, true);
  });

  it('follows the numbers it reads: a profile change applies to the next request', async () => {
    const clock = new FakeClock();
    let numbers = { ...NUMBERS, generalPerSecond: 2, identityConcurrent: 1 };
    const limiter = createRateLimiter(() => numbers, clock);
    assert.equal((await limiter.acquire('general', 'vm')).allowed, true);
    assert.equal((await limiter.acquire('general', 'vm')).allowed, true);
    assert.equal((await limiter.acquire('general', 'vm')).allowed, false);
    numbers = { ...numbers, generalPerSecond: 4, identityConcurrent: 2 };
    assert.equal((await limiter.acquire('general', 'vm')).allowed, true, 'the raised limit applies within the same window');
    const first = await limiter.acquire('identity', 'vm');
    const second = await limiter.acquire('identity', 'vm');
    assert.equal(first.allowed && second.allowed, true, 'two concurrent identity requests under the new limit');
    numbers = { ...numbers, generalPerSecond: 1 };
    assert.equal((await limiter.acquire('general', 'vm')).allowed, false);
  });

  it('identity: at most 5 concurrent; a release frees a slot; identity does not use the general budget', async () => {
    const limiter = createRateLimiter(NUMBERS);
    const held = [];
    for (let i = 0; i < 5; i++) {
      const d = await limiter.acquire('identity', 'vm');
      assert.equal(d.allowed, true);
      if (d.allowed) held.push(d.release);
    }
    const sixth = await limiter.acquire('identity', 'vm');
    assert.equal(sixth.allowed === false && sixth.reason, 'concurrency');
    held.pop()!();
    const again = await limiter.acquire('identity', 'vm');
    assert.equal(again.allowed, true);
    for (let i = 0; i < 5; i++) assert.equal((await limiter.acquire('general', 'vm')).allowed, true);
  });

  it('identity: 20 per second even when each request finishes at once', async () => {
    const limiter = createRateLimiter(NUMBERS);
    let allowed = 0;
    for (let i = 0; i < 25; i++) {
      const d = await limiter.acquire('identity', 'vm');
      if (d.allowed) {
        allowed++;
        d.release();
      } else {
        assert.equal(d.reason, 'rate');
      }
    }
    assert.equal(allowed, 20);
  });

  it('a rate refusal does not keep the concurrency slot', async () => {
    const limiter = createRateLimiter({ ...NUMBERS, identityPerSecond: 1, identityConcurrent: 1 });
    const first = await limiter.acquire('identity', 'vm');
    assert.ok(first.allowed, 'first.allowed');
    first.release();
    const second = await limiter.acquire('identity', 'vm');
    assert.equal(second.allowed === false && second.reason, 'rate');
    // The slot was given back, so the refusal reason is still 'rate', not 'concurrency'.
    const third = await limiter.acquire('identity', 'vm');
    assert.equal(third.allowed === false && third.reason, 'rate');
  });

  it('rejects nonsense numbers with the field name', () => {
    assert.throws(() => createRateLimiter({ ...NUMBERS, generalPerSecond: 0 }), /rateLimit\.generalPerSecond/);
    assert.throws(() => createRateLimiter({ ...NUMBERS, identityConcurrent: 1.5 }), /rateLimit\.identityConcurrent/);
  });
});

describe('ConcurrencyGate', () => {
  it('counts per key and releases once per holder', () => {
    const gate = new ConcurrencyGate(2);
    const a = gate.tryAcquire('k')!;
    gate.tryAcquire('k');
    assert.equal(gate.tryAcquire('k'), null);
    a();
    a();
    assert.equal(gate.inUse('k'), 1);
    assert.ok(gate.tryAcquire('k'), 'gate.tryAcquire(\'k\')');
    assert.equal(gate.inUse('other'), 0);
  });
});
