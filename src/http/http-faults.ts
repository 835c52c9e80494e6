// HTTP fault injection for client retry tests (imds-spec §2.8, §15 item 8): profile faults plus runtime
// additions; each answers a status and/or waits a delay on matching paths, for the next `count` matching
// requests and/or with a seeded probability (reproducible: one mulberry32 generator per fault).
import { HTTP_FAULT_STATUSES, type HttpFault } from '../config/vm-profile.ts';
import { ImdsLabError } from '../util/errors.ts';
import { seededRandom, type Random } from '../util/seeded-random.ts';

export class FaultError extends ImdsLabError {
  constructor(message: string) {
    super('ERR_BAD_FAULT', message);
  }
}

export interface FaultState {
  readonly id: number;
  readonly fault: HttpFault;
  /** Remaining applications when `count` was given, else null (unlimited). */
  readonly remaining: number | null;
  /** How many requests this fault has answered or delayed. */
  readonly applied: number;
}

export interface FaultHit {
  readonly id: number;
  readonly status: number | undefined;
  readonly delayMs: number;
}

interface Entry {
  readonly id: number;
  readonly fault: HttpFault;
  readonly matcher: (path: string) => boolean;
  readonly random: Random | null;
  remaining: number | null;
  applied: number;
}

/** `*` matches any run of characters (slashes included) and the whole path must match; no `*` = prefix. */
export function faultPathMatcher(pattern: string): (path: string) => boolean {
  if (!pattern.includes('*')) return (path) => path.startsWith(pattern);
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regex = new RegExp(`^${source}$`);
  return (path) => regex.test(path);
}

/** Checks a fault and names the offending field; returns it unchanged. */
export function validateFault(fault: HttpFault): HttpFault {
  if (typeof fault.path !== 'string' || fault.path === '' || !(fault.path.startsWith('/') || fault.path.startsWith('*'))) {
    throw new FaultError(`fault.path must start with "/" or "*", got ${JSON.stringify(fault.path)}`);
  }
  if (fault.status !== undefined && !(HTTP_FAULT_STATUSES as readonly number[]).includes(fault.status)) {
    throw new FaultError(`fault.status must be one of ${HTTP_FAULT_STATUSES.join(', ')}, got ${fault.status}`);
  }
  if (fault.delayMs !== undefined && !(Number.isFinite(fault.delayMs) && fault.delayMs >= 0)) {
    throw new FaultError(`fault.delayMs must be a number >= 0, got ${fault.delayMs}`);
  }
  if (fault.status === undefined && !fault.delayMs) throw new FaultError('a fault needs a status, a delay, or both');
  if (fault.count !== undefined && !(Number.isInteger(fault.count) && fault.count >= 1)) {
    throw new FaultError(`fault.count must be a positive integer, got ${fault.count}`);
  }
  if (fault.probability !== undefined && !(fault.probability >= 0 && fault.probability <= 1)) {
    throw new FaultError(`fault.probability must be between 0 and 1, got ${fault.probability}`);
  }
  if (fault.seed !== undefined && !Number.isInteger(fault.seed)) {
    throw new FaultError(`fault.seed must be an integer, got ${fault.seed}`);
  }
  return fault;
}

export class HttpFaultSet {
  private readonly entries: Entry[] = [];
  private nextId = 1;

  constructor(initial: readonly HttpFault[] = []) {
    for (const fault of initial) this.add(fault);
  }

  /** Adds a fault (checked first) after the existing ones; returns its id. */
  add(fault: HttpFault): number {
    validateFault(fault);
    const id = this.nextId++;
    this.entries.push({
      id,
      fault,
      matcher: faultPathMatcher(fault.path),
      random: fault.probability === undefined ? null : seededRandom(fault.seed ?? 1),
      remaining: fault.count ?? null,
      applied: 0,
    });
    return id;
  }

  remove(id: number): boolean {
    const index = this.entries.findIndex((e) => e.id === id);
    if (index < 0) return false;
    this.entries.splice(index, 1);
    return true;
  }

  clear(): void {
    this.entries.length = 0;
  }

  list(): FaultState[] {
    return this.entries.map((e) => ({ id: e.id, fault: e.fault, remaining: e.remaining, applied: e.applied }));
  }

  /**
   * Decides whether a request to `path` is faulted: the first matching fault (in insertion order) that has
   * applications left and wins its probability roll. Consumes one count and one roll per candidate.
   */
  take(path: string): FaultHit | undefined {
    for (const entry of this.entries) {
      if (entry.remaining === 0 || !entry.matcher(path)) continue;
      if (entry.random && entry.random() >= (entry.fault.probability ?? 1)) continue;
      if (entry.remaining !== null) entry.remaining--;
      entry.applied++;
      return { id: entry.id, status: entry.fault.status, delayMs: entry.fault.delayMs ?? 0 };
    }
    return undefined;
  }
}
