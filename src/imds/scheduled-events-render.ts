// Renders the scheduled-events document for an SE api-version (imds-spec §10.3): PascalCase keys in the
// documented order (not alphabetical), DocumentIncarnation and DurationInSeconds as JSON integers.
import type { ScheduledEventProfile, ScheduledEventType } from '../config/vm-profile.ts';
import type { ScheduledEventsSnapshot } from './scheduled-events-state.ts';

/** First SE api-version that shows each optional field / event type (imds-spec §10.1). */
export const SE_FIELD_SINCE = {
  Description: '2019-04-01',
  EventSource: '2019-08-01',
  DurationInSeconds: '2020-07-01',
} as const;

/**
 * Before 2017-08-01 (the 2017-03-01 preview) resource names carried a leading underscore and Freeze was
 * called Pause (imds-spec §10.1 "removed leading underscore", §10.3 EventType / Resources rows).
 */
export const SE_GA_VERSION = '2017-08-01';

export const SE_EVENT_TYPE_SINCE: Readonly<Partial<Record<ScheduledEventType, string>>> = {
  Preempt: '2017-11-01',
  Terminate: '2019-01-01',
};

function renderEvent(event: ScheduledEventProfile, version: string): Record<string, unknown> {
  const preview = version < SE_GA_VERSION;
  const out: Record<string, unknown> = {
    EventId: event.eventId,
    EventStatus: event.eventStatus,
    EventType: preview && event.eventType === 'Freeze' ? 'Pause' : event.eventType,
    ResourceType: event.resourceType,
    Resources: preview ? event.resources.map((name) => `_${name}`) : [...event.resources],
    NotBefore: event.eventStatus === 'Started' ? '' : event.notBefore,
  };
  if (version >= SE_FIELD_SINCE.Description) out.Description = event.description;
  if (version >= SE_FIELD_SINCE.EventSource) out.EventSource = event.eventSource;
  if (version >= SE_FIELD_SINCE.DurationInSeconds) out.DurationInSeconds = Math.trunc(event.durationInSeconds);
  return out;
}

/** Events whose type the version does not know (Preempt before 2017-11-01, Terminate before 2019-01-01) are left out. */
export function renderScheduledEvents(snapshot: ScheduledEventsSnapshot, version: string): string {
  const events = snapshot.events
    .filter((e) => version >= (SE_EVENT_TYPE_SINCE[e.eventType] ?? ''))
    .map((e) => renderEvent(e, version));
  return JSON.stringify({ DocumentIncarnation: Math.trunc(snapshot.documentIncarnation), Events: events });
}
