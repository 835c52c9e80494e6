// A problem collector for profile validation: typed field readers that record (path, reason) and go on,
// so every problem is reported at once; plus the "did you mean" hint for unknown keys.
import type { ProfileProblem } from './profile-error.ts';

export type PlainObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Describes a value for an error message: `number 5`, `boolean true`, `null`, `an array`, `an object`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  return `${typeof value} ${String(value)}`;
}

/** Joins a path and a key or index: `a` + `b` -> `a.b`, `a` + 2 -> `a[2]`. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The closest known key (case-insensitive edit distance within a third of the length), or undefined. */
export function suggestKey(unknown: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(unknown.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.ceil(unknown.length / 3));
  return best !== undefined && bestDistance <= limit ? best : undefined;
}

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
    let ok = true;
    for (const key of Object.keys(value)) {
      if (knownList.includes(key)) continue;
      const hint = suggestKey(key, knownList);
      this.add(childPath(path, key), `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}`);
      ok = false;
    }
    return ok;
  }

  object(path: string, value: unknown): PlainObject | undefined {
    if (isPlainObject(value)) return value;
    this.add(path, `must be an object, got ${describe(value)}`);
    return undefined;
  }

  array(path: string, value: unknown): readonly unknown[] | undefined {
    if (Array.isArray(value)) return value;
    this.add(path, `must be an array, got ${describe(value)}`);
    return undefined;
  }

  string(path: string, value: unknown): string | undefined {
    if (typeof value === 'string') return value;
    this.add(path, `must be a string, got ${describe(value)}`);
    return undefined;
  }

  boolean(path: string, value: unknown): boolean | undefined {
    if (typeof value === 'boolean') return value;
    this.add(path, `must be true or false, got ${describe(value)}`);
    return undefined;
  }

  /** An integer in [min, max]. */
  integer(path: string, value: unknown, min: number, max: number): number | undefined {
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    this.add(path, `must be an integer from ${min} to ${max}, got ${describe(value)}`);
    return undefined;
  }

  number(path: string, value: unknown, min: number, max: number): number | undefined {
    if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max) return value;
    this.add(path, `must be a number from ${min} to ${max}, got ${describe(value)}`);
    return undefined;
  }

  oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[]): T | undefined {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    const hint = typeof value === 'string' ? suggestKey(value, allowed) : undefined;
    this.add(path, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describe(value)}${hint ? ` (did you mean "${hint}"?)` : ''}`);
    return undefined;
  }
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isGuid(text: string): boolean {
  return GUID.test(text);
}
