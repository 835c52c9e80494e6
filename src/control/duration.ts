// Durations in control requests: a number of milliseconds, or duration text (src/util/duration.ts).
import { DURATION_FORMS, parseDurationText } from '../util/duration.ts';
import { fieldError } from './control-error.ts';

/** Parses a duration (ms number or "5s"-style text) into milliseconds >= 0; errors name `field`. */
export function parseDuration(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
    throw fieldError(field, `must be a duration >= 0 (milliseconds, or text like "5s"), got ${value}`);
  }
  const ms = typeof value === 'string' ? parseDurationText(value) : undefined;
  if (ms !== undefined) return ms;
  throw fieldError(field, `must be a duration: ${DURATION_FORMS}; got ${JSON.stringify(value)}`);
}
