// What every request rule sees: the parsed request, the route it resolved to (if any), the error style and
// rate class its route (or route family) declares, and the current service settings. Rules throw HttpError
// to answer; returning means "pass".
import type { IncomingHttpHeaders } from 'node:http';
import type { ServiceSettings } from '../../config/vm-profile.ts';
import type { RateLimitClass } from '../../ratelimit/rate-limiter.ts';
import type { ErrorStyle, RouteDefinition } from '../imds-request.ts';
import type { ParsedQuery } from '../request-target.ts';

export interface RuleContext {
  readonly method: string;
  readonly path: string;
  readonly query: ParsedQuery;
  readonly headers: IncomingHttpHeaders;
  /** The route serving this path, or undefined (reported as 404 by the route rule, step 7). */
  readonly route: RouteDefinition | undefined;
  readonly style: ErrorStyle;
  readonly rateClass: RateLimitClass;
  readonly settings: ServiceSettings;
}

/** The route that decides a path's error style and rate class: the one serving it, else the first whose family covers it. */
export function routeOwning(routes: readonly RouteDefinition[], path: string): { route: RouteDefinition | undefined; owner: RouteDefinition | undefined } {
  const route = routes.find((r) => r.matches(path));
  return { route, owner: route ?? routes.find((r) => r.family?.(path) === true) };
}
