// What every request rule sees: the parsed request, the route it resolved to (if any), its error style and
// the current service settings. Rules throw HttpError to answer; returning means "pass".
import type { IncomingHttpHeaders } from 'node:http';
import type { ServiceSettings } from '../../config/vm-profile.ts';
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
  readonly settings: ServiceSettings;
}

/** True for `/metadata/identity` and everything below it (identity error style, identity rate class). */
export function isIdentityPath(path: string): boolean {
  return path === '/metadata/identity' || path.startsWith('/metadata/identity/');
}
