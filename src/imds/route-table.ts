// The IMDS route table: every endpoint with its methods, error style, api-version list, rate class and path
// family (imds-spec §0 endpoint catalog). The HTTP layer runs the request rules against these definitions.
import type { ImdsRequest, RouteDefinition } from '../http/imds-request.ts';
import { SCHEDULED_EVENTS_API_VERSIONS } from './api-versions.ts';
import { handleAttested } from './attested-handler.ts';
import { handleIdentityInfo } from './identity-info-handler.ts';
import { handleIdentityToken } from './identity-token-handler.ts';
import type { ImdsContext } from './imds-context.ts';
import { handleInstance } from './instance-handler.ts';
import { isInstancePath } from './instance-route.ts';
import { handleLoadBalancer } from './loadbalancer-handler.ts';
import { handleReprovisionData } from './reprovision-handler.ts';
import { handleScheduledEvents } from './scheduled-events-handler.ts';
import { handleVersions, supportedInstanceVersions } from './versions-handler.ts';

const exactly =
  (path: string) =>
  (candidate: string): boolean =>
    candidate === path;

/** `/metadata/identity` and everything below it: identity error style and rate class even where no route serves (E8). */
function isIdentityPath(path: string): boolean {
  return path === '/metadata/identity' || path.startsWith('/metadata/identity/');
}

/** A route as written in the table: GET, instance style, instance-family versions and general rate class unless given. */
interface RouteSpec {
  readonly name: string;
  readonly matches: (path: string) => boolean;
  readonly family?: (path: string) => boolean;
  readonly methods?: readonly string[];
  readonly errorStyle?: RouteDefinition['errorStyle'];
  /** 'instance-family' follows the profile's service.apiVersions (read on every request); null = unversioned. */
  readonly versions?: 'instance-family' | readonly string[] | null;
  readonly rateClass?: RouteDefinition['rateClass'];
  readonly handle: (request: ImdsRequest) => ReturnType<RouteDefinition['handle']>;
}

export function createRouteTable(ctx: ImdsContext): RouteDefinition[] {
  const route = (spec: RouteSpec): RouteDefinition => {
    const versions = spec.versions === undefined ? 'instance-family' : spec.versions;
    return {
      name: spec.name,
      matches: spec.matches,
      ...(spec.family ? { family: spec.family } : {}),
      methods: spec.methods ?? ['GET'],
      errorStyle: spec.errorStyle ?? 'instance',
      rateClass: spec.rateClass ?? 'general',
      // A getter, so a profile swapped at runtime (service.apiVersions) takes effect at once.
      get versions() {
        return versions === 'instance-family' ? supportedInstanceVersions(ctx) : versions;
      },
      handle: spec.handle,
    };
  };
  const identity = { errorStyle: 'identity', rateClass: 'identity', family: isIdentityPath } as const;
  return [
    route({ name: 'versions', matches: exactly('/metadata/versions'), versions: null, handle: (r) => handleVersions(r, ctx) }),
    route({ name: 'instance', matches: isInstancePath, handle: (r) => handleInstance(r, ctx) }),
    route({ name: 'attested', matches: exactly('/metadata/attested/document'), handle: (r) => handleAttested(r, ctx) }),
    route({ name: 'identity-token', matches: exactly('/metadata/identity/oauth2/token'), ...identity, handle: (r) => handleIdentityToken(r, ctx) }),
    route({ name: 'identity-info', matches: exactly('/metadata/identity/info'), ...identity, handle: (r) => handleIdentityInfo(r, ctx) }),
    route({ name: 'loadbalancer', matches: exactly('/metadata/loadbalancer'), handle: (r) => handleLoadBalancer(r, ctx) }),
    route({
      name: 'scheduledevents',
      matches: exactly('/metadata/scheduledevents'),
      methods: ['GET', 'POST'],
      versions: SCHEDULED_EVENTS_API_VERSIONS,
      handle: (r) => handleScheduledEvents(r, ctx),
    }),
    route({ name: 'reprovisiondata', matches: exactly('/metadata/reprovisiondata'), handle: (r) => handleReprovisionData(r, ctx) }),
  ];
}

/** The list checked on paths no route serves (so `GET /metadata` without a version yields E4). */
export function defaultApiVersions(ctx: ImdsContext): readonly string[] {
  return supportedInstanceVersions(ctx);
}
