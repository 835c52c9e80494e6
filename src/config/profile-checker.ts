// A problem collector for profile validation: typed field reads (over util/field-reader.ts) that record
// (path, reason) and go on, so every problem is reported at once; plus the GUID check.
import { childPath, describeValue, isPlainObject, suggestKey, unknownKeys, type PlainObject } from '../util/field-reader.ts';
import type { ProfileProblem } from './profile-error.ts';

export class ProblemList {
  readonly problems: ProfileProblem[] = [];

  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  get count(): number {
    return this.problems.length;
  }

  /** True when a problem was recorded at `path` or below it (to avoid reporting follow-on problems). */
  hasUnder(path: string): boolean {
    return this.problems.some((p) => p.path === path || p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`));
  }

  /** Records every key of `value` not in `known`, with a "did you mean" hint; returns true when none. */
  checkKeys(path: string, value: PlainObject, known: Iterable<string>): boolean {
    const knownList = [...known];
    const unknown = unknownKeys(value, knownList);
    for (const key of unknown) {
      const hint = suggestKey(key, knownList);
      this.add(childPath(path, key), `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}`);
    }
    return unknown.length === 0;
  }

  object(path: string, value: unknown): PlainObject | undefined {
    if (isPlainObject(value)) return value;
    this.add(path, `must be an object, got ${describeValue(value)}`);
    return undefined;
  }

  array(path: string, value: unknown): readonly unknown[] | undefined {
    if (Array.isArray(value)) return value;
    this.add(path, `must be an array, got ${describeValue(value)}`);
    return undefined;
  }

  string(path: string, value: unknown): string | undefined {
    if (typeof value === 'string') return value;
    this.add(path, `must be a string, got ${describeValue(value)}`);
    return undefined;
  }

  boolean(path: string, value: unknown): boolean | undefined {
    if (typeof value === 'boolean') return value;
    this.add(path, `must be true or false, got ${describeValue(value)}`);
    return undefined;
  }

  /** An integer in [min, max]. */
  integer(path: string, value: unknown, min: number, max: number): number | undefined {
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    this.add(path, `must be an integer from ${min} to ${max}, got ${describeValue(value)}`);
    return undefined;
  }

  number(path: string, value: unknown, min: number, max: number): number | undefined {
    if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max) return value;
    this.add(path, `must be a number from ${min} to ${max}, got ${describeValue(value)}`);
    return undefined;
  }

  oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[]): T | undefined {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    const hint = typeof value === 'string' ? suggestKey(value, allowed) : undefined;
    this.add(path, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describeValue(value)}${hint ? ` (did you mean "${hint}"?)` : ''}`);
    return undefined;
  }
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isGuid(text: string): boolean {
  return GUID.test(text);
}
