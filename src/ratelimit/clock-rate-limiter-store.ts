// A rate-limiter-flexible limiter whose store counts on the injected Clock: a RateLimiterStoreAbstract subclass
// over a Map (its documented _upsert/_get/_delete/_getRateLimiterRes seam). Windows expire lazily, no timers.
import { createRequire } from 'node:module';
import { RateLimiterRes, type RateLimiterStoreAbstract } from 'rate-limiter-flexible';
import type { Clock } from '../util/clock.ts';

// The package types RateLimiterStoreAbstract but its index.js does not export it; load the class from its file.
const StoreAbstract = createRequire(import.meta.url)('rate-limiter-flexible/lib/RateLimiterStoreAbstract.js') as typeof RateLimiterStoreAbstract;

/** One key's window: points consumed and when it ends (clock.now() ms; null = never). */
interface WindowRecord {
  consumed: number;
  expiresAt: number | null;
}

/** What _upsert/_get hand to _getRateLimiterRes. */
interface StoreResult {
  readonly consumed: number;
  readonly msBeforeNext: number;
  readonly isFirstInDuration: boolean;
}

/** The windows of every limiter built on it; limiters sharing one keep counting across a change of points. */
export class ClockWindowStore {
  readonly clock: Clock;
  private readonly records = new Map<string, WindowRecord>();
  private sweepAt = 1024;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Adds `points` to the live window of `key`, or starts a new one (also when `forceExpire`). */
  upsert(key: string, points: number, msDuration: number, forceExpire: boolean): StoreResult {
    const now = this.clock.now();
    const record = this.live(key, now);
    if (record && !forceExpire) {
      record.consumed += points;
      return { consumed: record.consumed, msBeforeNext: record.expiresAt === null ? -1 : record.expiresAt - now, isFirstInDuration: false };
    }
    if (this.records.size >= this.sweepAt) this.sweep(now);
    this.records.set(key, { consumed: points, expiresAt: msDuration > 0 ? now + msDuration : null });
    return { consumed: points, msBeforeNext: msDuration > 0 ? msDuration : -1, isFirstInDuration: true };
  }

  get(key: string): StoreResult | null {
    const now = this.clock.now();
    const record = this.live(key, now);
    if (!record) return null;
    return { consumed: record.consumed, msBeforeNext: record.expiresAt === null ? -1 : record.expiresAt - now, isFirstInDuration: false };
  }

  delete(key: string): boolean {
    const now = this.clock.now();
    const existed = this.live(key, now) !== undefined;
    this.records.delete(key);
    return existed;
  }

  /** The record of `key` unless its window has ended (then it is dropped). */
  private live(key: string, now: number): WindowRecord | undefined {
    const record = this.records.get(key);
    if (record && record.expiresAt !== null && record.expiresAt <= now) {
      this.records.delete(key);
      return undefined;
    }
    return record;
  }

  /** Drops ended windows once the map has grown, so many short-lived keys do not accumulate. */
  private sweep(now: number): void {
    for (const [key, record] of this.records) if (record.expiresAt !== null && record.expiresAt <= now) this.records.delete(key);
    this.sweepAt = Math.max(1024, this.records.size * 2);
  }
}

export interface ClockRateLimiterOptions {
  readonly store: ClockWindowStore;
  readonly keyPrefix: string;
  readonly points: number;
  /** Window length in seconds. */
  readonly duration: number;
}

/** rate-limiter-flexible's store limiter (consume/penalty/reward/get/delete/block) on a ClockWindowStore. */
export class ClockRateLimiter extends StoreAbstract {
  private readonly store: ClockWindowStore;

  constructor(options: ClockRateLimiterOptions) {
    super({ storeClient: options.store, keyPrefix: options.keyPrefix, points: options.points, duration: options.duration });
    this.store = options.store;
  }

  _upsert(rlKey: string, points: number, msDuration: number, forceExpire = false): Promise<StoreResult> {
    return Promise.resolve(this.store.upsert(rlKey, points, msDuration, forceExpire));
  }

  _get(rlKey: string): Promise<StoreResult | null> {
    return Promise.resolve(this.store.get(rlKey));
  }

  _delete(rlKey: string): Promise<boolean> {
    return Promise.resolve(this.store.delete(rlKey));
  }

  _getRateLimiterRes(_rlKey: string, _changedPoints: number, result: StoreResult): RateLimiterRes {
    return new RateLimiterRes(Math.max(this.points - result.consumed, 0), result.msBeforeNext, result.consumed, result.isFirstInDuration);
  }
}
