// A createImdsServer with stand-in routes (echo handlers, a gated identity route, a throwing route) for the
// HTTP layer's own tests: src/http/imds-server.test.ts and src/http/request-pipeline.test.ts.
import type { Server } from 'node:http';
import type { ServiceSettings } from '../../src/config/vm-profile.ts';
import { HttpError } from '../../src/http/http-error.ts';
import { HttpFaultSet } from '../../src/http/http-faults.ts';
import type { HttpTimeouts } from '../../src/http/http-timeouts.ts';
import type { ImdsResponse, RouteDefinition } from '../../src/http/imds-request.ts';
import { createImdsServer } from '../../src/http/imds-server.ts';
import { createRateLimiter } from '../../src/ratelimit/rate-limiter.ts';
import { systemClock, type Clock } from '../../src/util/clock.ts';

export const VERSIONS = ['2017-04-02', '2018-02-01', '2020-09-01', '2021-02-01', '2021-12-13'];
export const SE_VERSIONS = ['2017-08-01', '2019-08-01', '2020-07-01'];
export const H = { Metadata: 'true' };

export function testSettings(overrides: Partial<ServiceSettings> = {}): ServiceSettings {
  return {
    serverHeader: 'IMDS/test',
    rateLimit: { enabled: false, generalPerSecond: 5, identityPerSecond: 20, identityConcurrent: 5 },
    strictIdentityMetadataCase: false,
    forwardedForStatus: 403,
    apiVersions: null,
    tokenLifetimeSeconds: 86400,
    faults: [],
    ...overrides,
  };
}

function echo(name: string): (r: Parameters<RouteDefinition['handle']>[0]) => ImdsResponse {
  return (r) => ({ status: 200, body: JSON.stringify({ route: name, apiVersion: r.apiVersion ?? null, query: [...r.query], body: r.body.toString() }) });
}

export interface Gate {
  wait: Promise<void>;
  open(): void;
}
export function gate(): Gate {
  let open = (): void => {};
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

function testRoutes(identityGate?: { current: Gate | null }): RouteDefinition[] {
  const prefix = (p: string) => (path: string) => path === p || path.startsWith(`${p}/`);
  return [
    { name: 'versions', matches: (p) => p === '/metadata/versions', methods: ['GET'], errorStyle: 'instance', versions: null, rateClass: 'general', handle: echo('versions') },
    { name: 'instance', matches: prefix('/metadata/instance'), methods: ['GET'], errorStyle: 'instance', versions: VERSIONS, rateClass: 'general', handle: echo('instance') },
    {
      name: 'identity-token',
      matches: (p) => p === '/metadata/identity/oauth2/token',
      family: prefix('/metadata/identity'),
      methods: ['GET'],
      errorStyle: 'identity',
      versions: VERSIONS.slice(1, -1), // its own list: newest three differ from the instance route's
      rateClass: 'identity',
      handle: async (r) => {
        if (identityGate?.current) await identityGate.current.wait;
        return echo('identity-token')(r);
      },
    },
    { name: 'scheduledevents', matches: (p) => p === '/metadata/scheduledevents', methods: ['GET', 'POST'], errorStyle: 'instance', versions: SE_VERSIONS, rateClass: 'general', handle: echo('scheduledevents') },
    {
      name: 'boom',
      matches: (p) => p === '/metadata/boom',
      methods: ['GET'],
      errorStyle: 'identity',
      versions: null,
      rateClass: 'general',
      handle: () => {
        throw new TypeError('handler bug');
      },
    },
    {
      name: 'teapot',
      matches: (p) => p === '/metadata/teapot',
      methods: ['GET'],
      errorStyle: 'instance',
      versions: null,
      rateClass: 'general',
      handle: () => {
        throw new HttpError(418, '<teapot/>', { rule: 'teapot-rule', contentType: 'text/xml' });
      },
    },
  ];
}

const servers: Server[] = [];

export interface Harness {
  server: Server;
  faults: HttpFaultSet;
  errors: unknown[];
}

export function harness(options: { settings?: Partial<ServiceSettings>; clock?: Clock; identityGate?: { current: Gate | null }; timeouts?: Partial<HttpTimeouts> } = {}): Harness {
  const settings = testSettings(options.settings);
  const faults = new HttpFaultSet(settings.faults);
  const errors: unknown[] = [];
  const server = createImdsServer({
    routes: testRoutes(options.identityGate),
    settings: () => settings,
    clock: options.clock ?? systemClock,
    rateLimiter: createRateLimiter(settings.rateLimit),
    defaultVersions: () => VERSIONS,
    faults,
    onUnexpectedError: (e) => errors.push(e),
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
  });
  servers.push(server);
  return { server, faults, errors };
}

export const E4 = (top: string[]) =>
  `{"error":"Bad request. api-version is invalid or was not specified in the request. For more information refer to aka.ms/azureimds","newest-versions":${JSON.stringify(top)}}`;


/** Closes every server harness() made (call from an `after` hook). */
export function closeTestServers(): void {
  for (const s of servers.splice(0)) s.close();
}
