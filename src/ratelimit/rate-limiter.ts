// Per-VM IMDS rate limits (imds-spec §2.7): general 5 req/s; identity 20 req/s AND at most 5 concurrent.
// rate-limiter-flexible fixed one-second windows on the daemon's clock (clock-rate-limiter-store.ts) plus a
// concurrency gate; the numbers are read on every request, so a profile change (ctl profile set) applies at once.
import { RateLimiterRes } from 'rate-limiter-flexible';
import { systemClock, type Clock } from '../util/clock.ts';
import { ClockRateLimiter, ClockWindowStore } from './clock-rate-limiter-store.ts';
import { ConcurrencyGate } from './concurrency-gate.ts';

/** Which budget a request draws from; routes declare theirs (RouteDefinition.rateClass). */
export type RateLimitClass = 'general' | 'identity';

export interface RateLimitNumbers {
  readonly generalPerSecond: number;
  readonly identityPerSecond: number;
  readonly identityConcurrent: number;
}

export type RateDecision =
  | { readonly allowed: true; readonly release: () => void }
  | { readonly allowed: false; readonly reason: 'rate' | 'concurrency'; readonly msBeforeNext: number };

export interface RateLimiter {
  /** Takes one request's budget for `key` (one VM); on success call release() when the response finishes. */
  acquire(rateClass: RateLimitClass, key: string): Promise<RateDecision>;
}

const noop = (): void => {};

function checkNumbers(numbers: RateLimitNumbers): RateLimitNumbers {
  for (const name of ['generalPerSecond', 'identityPerSecond', 'identityConcurrent'] as const) {
    const value = numbers[name];
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`rateLimit.${name} must be a positive integer, got ${value}`);
  }
  return numbers;
}

/** The limiter for one class at its current points, recreated when they change; its store keeps the counts. */
function limiterFor(prefix: RateLimitClass, store: ClockWindowStore): (points: number) => ClockRateLimiter {
  let current: ClockRateLimiter | undefined;
  return (points) => {
    if (current?.points !== points) current = new ClockRateLimiter({ store, keyPrefix: prefix, points, duration: 1 });
    return current;
  };
}

/** Consumes one point; null when allowed, else the ms until the window ends. */
async function consume(limiter: ClockRateLimiter, key: string): Promise<number | null> {
  try {
    await limiter.consume(key, 1);
    return null;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return Math.max(1, rejection.msBeforeNext);
    throw rejection;
  }
}

/**
 * `numbers`: fixed, or read on every request (the VM's current profile); `clock`: the daemon's (IMDS) clock,
 * so a virtual clock moves the windows too.
 */
export function createRateLimiter(numbers: RateLimitNumbers | (() => RateLimitNumbers), clock: Clock = systemClock): RateLimiter {
  const read = typeof numbers === 'function' ? numbers : () => numbers;
  checkNumbers(read());
  const store = new ClockWindowStore(clock);
  const general = limiterFor('general', store);
  const identity = limiterFor('identity', store);
  const gate = new ConcurrencyGate(() => read().identityConcurrent);

  return {
    async acquire(rateClass, key) {
      const current = checkNumbers(read());
      if (rateClass === 'general') {
        const wait = await consume(general(current.generalPerSecond), key);
        return wait === null ? { allowed: true, release: noop } : { allowed: false, reason: 'rate', msBeforeNext: wait };
      }
      const release = gate.tryAcquire(key);
      if (!release) return { allowed: false, reason: 'concurrency', msBeforeNext: 0 };
      const wait = await consume(identity(current.identityPerSecond), key);
      if (wait !== null) {
        release();
        return { allowed: false, reason: 'rate', msBeforeNext: wait };
      }
      return { allowed: true, release };
    },
  };
}
