// Durations in control commands: a number of milliseconds, or text such as "250ms", "5s", "1.5m", "2h".
import { fieldError } from './control-error.ts';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a duration (ms number or "5s"-style text) into milliseconds >= 0; errors name `field`. */
export function parseDuration(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
    throw fieldError(field, `must be a duration >= 0 (milliseconds, or text like "5s"), got ${value}`);
  }
  if (typeof value === 'string') {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(value.trim());
    if (m) return Number(m[1]) * UNITS[m[2] ?? 'ms']!;
  }
  throw fieldError(field, `must be a duration: milliseconds or text like "250ms", "5s", "2m", "1h"; got ${JSON.stringify(value)}`);
}
