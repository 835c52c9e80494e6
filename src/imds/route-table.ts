// The IMDS route table: every endpoint with its methods, error style, api-version list and rate class
// (imds-spec §0 endpoint catalog). The HTTP layer runs the request rules against these definitions.
import type { ImdsRequest, RouteDefinition } from '../http/imds-request.ts';
import { SCHEDULED_EVENTS_API_VERSIONS } from './api-versions.ts';
import { handleAttested } from './attested-handler.ts';
import { handleIdentityInfo } from './identity-info-handler.ts';
import { handleIdentityToken } from './identity-token-handler.ts';
import type { ImdsContext } from './imds-context.ts';
import { handleInstance } from './instance-handler.ts';
import { handleLoadBalancer } from './loadbalancer-handler.ts';
import { handleReprovisionData } from './reprovision-handler.ts';
import { handleScheduledEvents } from './scheduled-events-handler.ts';
import { handleVersions, supportedInstanceVersions } from './versions-handler.ts';

const exactly =
  (path: string) =>
  (candidate: string): boolean =>
    candidate === path;

/** `/metadata/instance` and every route-filtered sub-path below it (imds-spec §5.2). */
const instanceTree = (candidate: string): boolean => candidate === '/metadata/instance' || candidate.startsWith('/metadata/instance/');

export function createRouteTable(ctx: ImdsContext): RouteDefinition[] {
  // A getter, so a profile swapped at runtime (service.apiVersions) takes effect at once.
  const instanceFamily = {
    get versions(): readonly string[] {
      return supportedInstanceVersions(ctx);
    },
  };
  const route = (
    definition: Omit<RouteDefinition, 'versions' | 'handle'> & { versions: 'instance-family' | readonly string[] | null },
    handle: (request: ImdsRequest) => ReturnType<RouteDefinition['handle']>,
  ): RouteDefinition => {
    const { versions, ...rest } = definition;
    return {
      ...rest,
      get versions() {
        return versions === 'instance-family' ? instanceFamily.versions : versions;
      },
      handle,
    };
  };
  return [
    route({ name: 'versions', matches: exactly('/metadata/versions'), methods: ['GET'], errorStyle: 'instance', versions: null, rateClass: 'general' }, (r) =>
      handleVersions(r, ctx),
    ),
    route({ name: 'instance', matches: instanceTree, methods: ['GET'], errorStyle: 'instance', versions: 'instance-family', rateClass: 'general' }, (r) =>
      handleInstance(r, ctx),
    ),
    route(
      { name: 'attested', matches: exactly('/metadata/attested/document'), methods: ['GET'], errorStyle: 'instance', versions: 'instance-family', rateClass: 'general' },
      (r) => handleAttested(r, ctx),
    ),
    route(
      { name: 'identity-token', matches: exactly('/metadata/identity/oauth2/token'), methods: ['GET'], errorStyle: 'identity', versions: 'instance-family', rateClass: 'identity' },
      (r) => handleIdentityToken(r, ctx),
    ),
    route(
      { name: 'identity-info', matches: exactly('/metadata/identity/info'), methods: ['GET'], errorStyle: 'identity', versions: 'instance-family', rateClass: 'identity' },
      (r) => handleIdentityInfo(r, ctx),
    ),
    route(
      { name: 'loadbalancer', matches: exactly('/metadata/loadbalancer'), methods: ['GET'], errorStyle: 'instance', versions: 'instance-family', rateClass: 'general' },
      (r) => handleLoadBalancer(r, ctx),
    ),
    route(
      {
        name: 'scheduledevents',
        matches: exactly('/metadata/scheduledevents'),
        methods: ['GET', 'POST'],
        errorStyle: 'instance',
        versions: SCHEDULED_EVENTS_API_VERSIONS,
        rateClass: 'general',
      },
      (r) => handleScheduledEvents(r, ctx),
    ),
    route(
      { name: 'reprovisiondata', matches: exactly('/metadata/reprovisiondata'), methods: ['GET'], errorStyle: 'instance', versions: 'instance-family', rateClass: 'general' },
      (r) => handleReprovisionData(r, ctx),
    ),
  ];
}

/** The list checked on paths no route serves (so `GET /metadata` without a version yields E4). */
export function defaultApiVersions(ctx: ImdsContext): readonly string[] {
  return supportedInstanceVersions(ctx);
}
