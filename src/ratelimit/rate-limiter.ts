// Per-VM IMDS rate limits (imds-spec §2.7): general 5 req/s; identity 20 req/s AND at most 5 concurrent.
// Built on rate-limiter-flexible's RateLimiterMemory (fixed one-second windows) plus a concurrency gate.
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
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

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`rateLimit.${name} must be a positive integer, got ${value}`);
  return value;
}

export function createRateLimiter(numbers: RateLimitNumbers): RateLimiter {
  const general = new RateLimiterMemory({
    keyPrefix: 'general',
    points: positiveInteger('generalPerSecond', numbers.generalPerSecond),
    duration: 1,
  });
  const identity = new RateLimiterMemory({
    keyPrefix: 'identity',
    points: positiveInteger('identityPerSecond', numbers.identityPerSecond),
    duration: 1,
  });
  const gate = new ConcurrencyGate(positiveInteger('identityConcurrent', numbers.identityConcurrent));

  async function consume(limiter: RateLimiterMemory, key: string): Promise<number | null> {
    try {
      await limiter.consume(key, 1);
      return null;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return rejection.msBeforeNext;
      throw rejection;
    }
  }

  return {
    async acquire(rateClass, key) {
      if (rateClass === 'general') {
        const wait = await consume(general, key);
        return wait === null ? { allowed: true, release: noop } : { allowed: false, reason: 'rate', msBeforeNext: wait };
      }
      const release = gate.tryAcquire(key);
      if (!release) return { allowed: false, reason: 'concurrency', msBeforeNext: 0 };
      const wait = await consume(identity, key);
      if (wait !== null) {
        release();
        return { allowed: false, reason: 'rate', msBeforeNext: wait };
      }
      return { allowed: true, release };
    },
  };
}
