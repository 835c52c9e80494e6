// The project's one duration grammar: plain milliseconds or a number with a unit, "250ms", "5s", "1.5m",
// "2h" (serve --fault delay, ctl fault/timeline/clock/events, check --timeout and --param).
const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** What the grammar accepts, for error messages. */
export const DURATION_FORMS = 'milliseconds or text like "250ms", "5s", "1.5m", "2h"';

/** Milliseconds (>= 0) of a duration text, or undefined when the text is not one. */
export function parseDurationText(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2] ?? 'ms']! : undefined;
}
