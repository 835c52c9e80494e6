// Fault step (after route resolution, before the handler): a matching fault first waits its delay (on the
// injected clock; the identity concurrency slot stays held), then answers its status with the style's body.
// Placed last so faults only hit otherwise valid requests: header probes, 400s and 429s stay prompt.
import type { Clock } from '../../util/clock.ts';
import { HttpError } from '../http-error.ts';
import { errorBodyForStatus } from '../error-response.ts';
import type { HttpFaultSet } from '../http-faults.ts';
import { RULES } from '../rule-names.ts';
import type { RuleContext } from './rule-context.ts';

export interface FaultOutcome {
  readonly id: number;
  /** The answer when the fault carries a status; undefined for a delay-only fault (the handler runs). */
  readonly error: HttpError | undefined;
}

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

function outcome(ctx: RuleContext, id: number, status: number | undefined): FaultOutcome {
  const error = status === undefined ? undefined : new HttpError(status, errorBodyForStatus(status, ctx.style), { rule: RULES.fault });
  return { id, error };
}

/** Synchronous when no fault matches or the fault has no delay; a promise while a delay runs. */
export function applyFault(ctx: RuleContext, faults: HttpFaultSet, clock: Clock): FaultOutcome | undefined | Promise<FaultOutcome> {
  const hit = faults.take(ctx.path);
  if (!hit) return undefined;
  if (hit.delayMs > 0) return sleep(clock, hit.delayMs).then(() => outcome(ctx, hit.id, hit.status));
  return outcome(ctx, hit.id, hit.status);
}
