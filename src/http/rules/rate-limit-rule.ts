// Rule 4 (imds-spec §2.7): per-VM rate limits; 429 with the style's body. Returns the release function of
// the identity concurrency slot, which the server calls when the response finishes.
import type { RateLimiter } from '../../ratelimit/rate-limiter.ts';
import { styledError } from '../error-response.ts';
import { RULES } from '../rule-names.ts';
import type { RuleContext } from './rule-context.ts';

/** The release function when no slot was taken (limits off): the server adds no listeners for it. */
export const NO_SLOT = (): void => {};

async function acquire(ctx: RuleContext, limiter: RateLimiter, key: string): Promise<() => void> {
  const decision = await limiter.acquire(ctx.rateClass, key);
  if (decision.allowed) return decision.release;
  throw styledError(429, 'too-many-requests', ctx.style, RULES.rateLimit);
}

/** Synchronous (no microtask) when limits are off; else a promise of the release function. */
export function checkRateLimit(ctx: RuleContext, limiter: RateLimiter | null, key: string): (() => void) | Promise<() => void> {
  if (!limiter || !ctx.settings.rateLimit.enabled) return NO_SLOT;
  return acquire(ctx, limiter, key);
}
