// The contract between the HTTP layer and the IMDS handlers: a parsed request, a plain response, a route.
import type { IncomingHttpHeaders } from 'node:http';
import type { RateLimitClass } from '../ratelimit/rate-limiter.ts';

export type ErrorStyle = 'instance' | 'identity';

export interface ImdsRequest {
  readonly method: string;
  /** URL pathname as received (no query). */
  readonly path: string;
  /** Query parameters, decoded; duplicates were already rejected by the request rules. */
  readonly query: ReadonlyMap<string, string>;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly remoteAddress: string;
  /** The validated api-version (undefined on unversioned routes). */
  readonly apiVersion: string | undefined;
}

export interface ImdsResponse {
  readonly status: number;
  readonly body: string | Buffer;
  /** Defaults to application/json; charset=utf-8. */
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteDefinition {
  /** Stable name, used in logs and rule reports ("instance", "identity-token", …). */
  readonly name: string;
  /** True when this route serves the path. */
  matches(path: string): boolean;
  /**
   * The path family of the route: a path no route serves but this family covers still answers in this
   * route's error style and draws from its rate class (e.g. an unknown path under /metadata/identity).
   */
  family?(path: string): boolean;
  readonly methods: readonly string[];
  readonly errorStyle: ErrorStyle;
  /** Supported api-versions (ascending), or null for an unversioned route. */
  readonly versions: readonly string[] | null;
  readonly rateClass: RateLimitClass;
  handle(request: ImdsRequest): ImdsResponse | Promise<ImdsResponse>;
}
