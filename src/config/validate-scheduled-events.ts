// Validates the profile's `scheduledEvents` section (imds-spec §10.3): incarnation, event fields, RFC 1123 dates.
import { SCHEDULED_EVENT_TYPES } from './vm-profile.ts';
import type { ScheduledEventProfile, VmProfile } from './vm-profile.ts';
import type { ProblemList } from './profile-checker.ts';
import { childPath, describeValue } from '../util/field-reader.ts';
import { isGuid } from './profile-checker.ts';

const EVENT_KEYS = [
  'eventId',
  'eventType',
  'eventStatus',
  'resourceType',
  'resources',
  'notBefore',
  'description',
  'eventSource',
  'durationInSeconds',
] as const;

/** True for an RFC 1123 GMT date such as `Mon, 19 Sep 2016 18:29:47 GMT` (weekday must match the date). */
export function isRfc1123Date(text: string): boolean {
  const time = Date.parse(text);
  return Number.isFinite(time) && new Date(time).toUTCString() === text;
}

function readEvent(value: unknown, path: string, problems: ProblemList, vmName: string): ScheduledEventProfile | undefined {
  const item = problems.object(path, value);
  if (!item) return undefined;
  const before = problems.count;
  problems.checkKeys(path, item, EVENT_KEYS);
  const eventId = problems.string(`${path}.eventId`, item.eventId);
  if (eventId !== undefined && !isGuid(eventId)) problems.add(`${path}.eventId`, `must be a GUID, got ${describeValue(eventId)}`);
  const eventType = problems.oneOf(`${path}.eventType`, item.eventType, SCHEDULED_EVENT_TYPES);
  const eventStatus = item.eventStatus === undefined ? 'Scheduled' : problems.oneOf(`${path}.eventStatus`, item.eventStatus, ['Scheduled', 'Started'] as const);
  const resourceType = item.resourceType === undefined ? 'VirtualMachine' : problems.oneOf(`${path}.resourceType`, item.resourceType, ['VirtualMachine'] as const);
  let resources: string[] = [vmName];
  if (item.resources !== undefined) {
    const list = problems.array(`${path}.resources`, item.resources);
    if (list) {
      if (list.length === 0) problems.add(`${path}.resources`, 'must name at least one affected VM');
      resources = [];
      list.forEach((name, i) => {
        const text = problems.string(childPath(`${path}.resources`, i), name);
        if (text === '') problems.add(childPath(`${path}.resources`, i), 'must not be empty');
        if (text) resources.push(text);
      });
    }
  }
  const notBefore = item.notBefore === undefined ? '' : problems.string(`${path}.notBefore`, item.notBefore);
  if (notBefore !== undefined && eventStatus === 'Scheduled' && !isRfc1123Date(notBefore)) {
    problems.add(`${path}.notBefore`, `a Scheduled event needs an RFC 1123 GMT date (e.g. "Mon, 19 Sep 2016 18:29:47 GMT"), got ${describeValue(notBefore)}`);
  }
  if (notBefore && eventStatus === 'Started') problems.add(`${path}.notBefore`, 'must be "" once the event is Started (imds-spec §10.3)');
  const description = item.description === undefined ? '' : problems.string(`${path}.description`, item.description);
  const eventSource = item.eventSource === undefined ? 'Platform' : problems.oneOf(`${path}.eventSource`, item.eventSource, ['Platform', 'User'] as const);
  const durationInSeconds = item.durationInSeconds === undefined ? -1 : problems.integer(`${path}.durationInSeconds`, item.durationInSeconds, -1, 86400 * 366);
  if (problems.count !== before) return undefined;
  return {
    eventId: eventId!,
    eventType: eventType!,
    eventStatus: eventStatus!,
    resourceType: resourceType!,
    resources,
    notBefore: notBefore!,
    description: description!,
    eventSource: eventSource!,
    durationInSeconds: durationInSeconds!,
  };
}

/**
 * `scheduledEvents` replaces the default section: `documentIncarnation` defaults to 0, `events` to [].
 * Per event, defaults: eventStatus "Scheduled", resourceType "VirtualMachine", resources [compute.name],
 * notBefore "" (required for Scheduled), description "", eventSource "Platform", durationInSeconds -1.
 */
export function validateScheduledEvents(value: unknown, problems: ProblemList, vmName: string): VmProfile['scheduledEvents'] | undefined {
  const path = 'scheduledEvents';
  const section = problems.object(path, value);
  if (!section) return undefined;
  const before = problems.count;
  problems.checkKeys(path, section, ['documentIncarnation', 'events']);
  const documentIncarnation =
    section.documentIncarnation === undefined ? 0 : problems.integer(`${path}.documentIncarnation`, section.documentIncarnation, 0, Number.MAX_SAFE_INTEGER);
  const events: ScheduledEventProfile[] = [];
  const ids = new Map<string, number>();
  if (section.events !== undefined) {
    (problems.array(`${path}.events`, section.events) ?? []).forEach((entry, i) => {
      const event = readEvent(entry, childPath(`${path}.events`, i), problems, vmName);
      if (!event) return;
      const key = event.eventId.toLowerCase();
      if (ids.has(key)) problems.add(`${path}.events[${i}].eventId`, `duplicates events[${ids.get(key)}].eventId`);
      else ids.set(key, i);
      events.push(event);
    });
  }
  if (problems.count !== before) return undefined;
  return { documentIncarnation: documentIncarnation!, events };
}
