// Supported api-versions: the instance family (instance, attested, identity, loadbalancer, versions;
// imds-spec §3.1) and scheduled events (imds-spec §3.3), ascending; plus comparison helpers.
import type { ServiceSettings } from '../config/vm-profile.ts';

/** The 35 instance-family versions of the current docs, ascending (imds-spec §3.1). */
export const INSTANCE_API_VERSIONS: readonly string[] = Object.freeze([
  '2017-03-01',
  '2017-04-02',
  '2017-08-01',
  '2017-10-01',
  '2017-12-01',
  '2018-02-01',
  '2018-04-02',
  '2018-10-01',
  '2019-02-01',
  '2019-03-11',
  '2019-04-30',
  '2019-06-01',
  '2019-06-04',
  '2019-08-01',
  '2019-08-15',
  '2019-11-01',
  '2020-06-01',
  '2020-07-15',
  '2020-09-01',
  '2020-10-01',
  '2020-12-01',
  '2021-01-01',
  '2021-02-01',
  '2021-03-01',
  '2021-05-01',
  '2021-08-01',
  '2021-10-01',
  '2021-11-01',
  '2021-11-15',
  '2021-12-13',
  '2023-07-01',
  '2023-11-15',
  '2024-03-15',
  '2024-07-17',
  '2025-04-07',
]);

/** Scheduled-events versions, ascending (imds-spec §3.3, §10.1). */
export const SCHEDULED_EVENTS_API_VERSIONS: readonly string[] = Object.freeze([
  '2017-03-01',
  '2017-08-01',
  '2017-11-01',
  '2019-01-01',
  '2019-04-01',
  '2019-08-01',
  '2020-07-01',
]);

/** Orders two YYYY-MM-DD versions: negative when a is older, 0 when equal, positive when a is newer. */
export function compareApiVersions(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when `version` is `minimum` or newer. */
export function isAtLeast(version: string, minimum: string): boolean {
  return compareApiVersions(version, minimum) >= 0;
}

/** The instance-family versions a VM supports, ascending: the profile's service.apiVersions, else the built-in list. */
export function instanceVersionsOf(service: Pick<ServiceSettings, 'apiVersions'>): readonly string[] {
  return service.apiVersions ?? INSTANCE_API_VERSIONS;
}
