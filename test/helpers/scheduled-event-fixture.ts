// A scheduled event for tests (the documented Freeze example's shape), with per-test overrides.
import type { ScheduledEventProfile } from '../../src/config/vm-profile.ts';

export function scheduledEvent(id: string, overrides: Partial<ScheduledEventProfile> = {}): ScheduledEventProfile {
  return {
    eventId: id,
    eventType: 'Freeze',
    eventStatus: 'Scheduled',
    resourceType: 'VirtualMachine',
    resources: ['vm0'],
    notBefore: 'Mon, 11 Apr 2026 22:26:58 GMT',
    description: 'Host server is undergoing maintenance.',
    eventSource: 'Platform',
    durationInSeconds: 5,
    ...overrides,
  };
}
