// Builds ImdsRequest objects and an ImdsContext around a profile for handler unit tests (no sockets).
// contextFor() fills only profile() and clock; handler families that need more pass their own fields.
import type { ImdsRequest, ImdsResponse } from '../../src/http/imds-request.ts';
import type { ImdsContext } from '../../src/imds/imds-context.ts';
import type { VmProfile } from '../../src/config/vm-profile.ts';
import { FakeClock } from '../../src/util/clock.ts';

/** An ImdsRequest for `url` (path + query, e.g. `/metadata/instance/compute?api-version=2021-02-01`). */
export function instanceRequest(url: string): ImdsRequest {
  const parsed = new URL(url, 'http://169.254.169.254');
  const query = new Map<string, string>();
  for (const [key, value] of parsed.searchParams) query.set(key, value);
  return {
    method: 'GET',
    path: parsed.pathname,
    query,
    headers: { metadata: 'true' },
    body: Buffer.alloc(0),
    remoteAddress: '10.1.0.4',
    apiVersion: query.get('api-version'),
  };
}

/** A context whose profile() returns `profile`, with a FakeClock; `extra` adds or overrides fields. */
export function contextFor(profile: VmProfile, extra: Partial<ImdsContext> = {}): ImdsContext {
  return { profile: () => profile, clock: new FakeClock(), ...extra } as ImdsContext;
}

export function bodyText(response: ImdsResponse): string {
  return typeof response.body === 'string' ? response.body : response.body.toString('utf8');
}
