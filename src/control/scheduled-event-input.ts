// Reads a scheduled event to publish (control `events.add`): profile field names, friendly defaults
// (new upper-case GUID, NotBefore = now + the type's minimum notice, imds-spec §10.3), checked with the
// config scheduled-events validator (src/config/validate-scheduled-events.ts): exactly what a profile could hold.
import { randomUUID } from 'node:crypto';
import { ProblemList } from '../config/profile-checker.ts';
import { validateScheduledEvents } from '../config/validate-scheduled-events.ts';
import type { ScheduledEventProfile, ScheduledEventType } from '../config/vm-profile.ts';
import type { Clock } from '../util/clock.ts';
import { fieldError } from './control-error.ts';
import { parseDuration } from './duration.ts';
import { Params } from './params.ts';

/** Minimum notice per event type (imds-spec §10.3; Terminate: the 5-minute low end of its range). */
export const MINIMUM_NOTICE_MS: Readonly<Record<ScheduledEventType, number>> = {
  Freeze: 15 * 60_000,
  Reboot: 15 * 60_000,
  Redeploy: 10 * 60_000,
  Preempt: 30_000,
  Terminate: 5 * 60_000,
};

const KEYS = ['eventId', 'eventType', 'eventStatus', 'resources', 'notBefore', 'notBeforeIn', 'description', 'eventSource', 'durationInSeconds'] as const;

export function readScheduledEvent(value: unknown, vmName: string, clock: Clock, field = 'event'): ScheduledEventProfile {
  const p = new Params(value, field).only(KEYS);
  const item: Record<string, unknown> = {};
  for (const key of KEYS) if (p.has(key) && key !== 'notBeforeIn') item[key] = p.raw(key);
  item.eventId ??= randomUUID().toUpperCase();
  if (p.has('notBefore') && p.has('notBeforeIn')) throw fieldError(p.field('notBeforeIn'), 'give notBefore or notBeforeIn, not both');
  const status = item.eventStatus ?? 'Scheduled';
  if (status === 'Scheduled') {
    if (p.has('notBeforeIn')) {
      item.notBefore = new Date(clock.wallTime() + parseDuration(p.raw('notBeforeIn'), p.field('notBeforeIn'))).toUTCString();
    } else if (typeof item.notBefore === 'string' && /^\d{4}-\d\d-\d\dT/.test(item.notBefore) && Number.isFinite(Date.parse(item.notBefore))) {
      item.notBefore = new Date(Date.parse(item.notBefore)).toUTCString(); // ISO 8601 accepted, published as RFC 1123
    } else if (item.notBefore === undefined) {
      const notice = MINIMUM_NOTICE_MS[item.eventType as ScheduledEventType] ?? 0;
      item.notBefore = new Date(clock.wallTime() + notice).toUTCString();
    }
  }
  const problems = new ProblemList();
  const section = validateScheduledEvents({ events: [item] }, problems, vmName);
  const event = section?.events[0];
  if (!event || problems.count > 0) {
    const first = problems.problems[0];
    const path = (first?.path ?? '').replace(/^scheduledEvents\.events\[0\]\.?/, '');
    throw fieldError(path ? `${field}.${path}` : field, first?.message ?? 'invalid event');
  }
  return event;
}
