// Reads the fields of a control request strictly: unknown keys, missing or mistyped values become a
// ControlError naming the field path and the reason (never a crash, never a silent default).
import { childPath, describeValue, isPlainObject, unknownKeys, type PlainObject } from '../util/field-reader.ts';
import { fieldError } from './control-error.ts';

/** A request object (or a nested one) whose fields are read by name; `path` prefixes error fields. */
export class Params {
  readonly value: PlainObject;
  readonly path: string;

  constructor(value: unknown, path: string) {
    if (!isPlainObject(value)) throw fieldError(path || 'request', `must be a JSON object, got ${describeValue(value)}`);
    this.value = value;
    this.path = path;
  }

  field(key: string): string {
    return childPath(this.path, key);
  }

  has(key: string): boolean {
    return this.value[key] !== undefined;
  }

  /** Rejects keys outside `known`. */
  only(known: readonly string[]): this {
    const [key] = unknownKeys(this.value, known);
    if (key !== undefined) throw fieldError(this.field(key), `unknown field (known: ${known.join(', ') || 'none'})`);
    return this;
  }

  raw(key: string): unknown {
    return this.value[key];
  }

  required(key: string): unknown {
    const v = this.value[key];
    if (v === undefined) throw fieldError(this.field(key), 'is required');
    return v;
  }

  string(key: string): string {
    const v = this.required(key);
    if (typeof v !== 'string') throw fieldError(this.field(key), `must be a string, got ${describeValue(v)}`);
    return v;
  }

  optionalString(key: string): string | undefined {
    return this.has(key) ? this.string(key) : undefined;
  }

  integer(key: string, min: number, max: number): number {
    const v = this.required(key);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw fieldError(this.field(key), `must be an integer from ${min} to ${max}, got ${describeValue(v)}`);
    }
    return v;
  }

  optionalInteger(key: string, min: number, max: number): number | undefined {
    return this.has(key) ? this.integer(key, min, max) : undefined;
  }

  boolean(key: string): boolean {
    const v = this.required(key);
    if (typeof v !== 'boolean') throw fieldError(this.field(key), `must be true or false, got ${describeValue(v)}`);
    return v;
  }

  optionalBoolean(key: string): boolean | undefined {
    return this.has(key) ? this.boolean(key) : undefined;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const v = this.required(key);
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      throw fieldError(this.field(key), `must be one of ${allowed.join(', ')}, got ${describeValue(v)}`);
    }
    return v as T;
  }

  object(key: string): Params {
    return new Params(this.required(key), this.field(key));
  }

  array(key: string): readonly unknown[] {
    const v = this.required(key);
    if (!Array.isArray(v)) throw fieldError(this.field(key), `must be an array, got ${describeValue(v)}`);
    return v;
  }
}
